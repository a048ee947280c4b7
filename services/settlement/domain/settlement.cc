#include "services/settlement/domain/settlement.h"

#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "services/common/status/field_errors.h"

namespace aggpay::settlement {

std::string Shard::Name() const { return absl::StrCat(index, "/", count); }

absl::StatusOr<Shard> ParseShard(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  Shard s;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &s.index) ||
      !absl::SimpleAtoi(parts[1], &s.count)) {
    return common::InvalidField("--shard", "must be i/n, e.g. 1/3");
  }
  if (s.count < 1 || s.count > 1024) {
    return common::InvalidField("--shard", "n must be between 1 and 1024");
  }
  if (s.index < 1 || s.index > s.count) {
    return common::InvalidField("--shard",
                                absl::StrCat("i must be between 1 and n (", text, " is not)"));
  }
  return s;
}

absl::Status CheckClosedDate(absl::CivilDay date, absl::CivilDay today) {
  if (date > today) return common::InvalidField("date", "is in the future");
  if (date == today) {
    return common::InvalidField("date", "is today: the business day is still open");
  }
  return absl::OkStatus();
}

DayWindow LocalDayWindow(absl::CivilDay day, absl::TimeZone zone) {
  return {absl::FromCivil(day, zone), absl::FromCivil(day + 1, zone)};
}

absl::string_view LineStatusName(LineStatus s) {
  switch (s) {
    case LineStatus::kPaid:
      return "PAID";
    case LineStatus::kHeld:
      return "HELD";
    case LineStatus::kCarried:
      return "CARRIED";
  }
  return "PAID";
}

LineStatus DecideStatus(int64_t net, bool frozen) {
  if (net < 0) return LineStatus::kCarried;
  return frozen && net > 0 ? LineStatus::kHeld : LineStatus::kPaid;
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(text);
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string FormatPayoutFile(absl::string_view batch_ref, const std::vector<Payout>& payouts,
                             const std::map<std::string, PayoutAccount>& accounts) {
  std::string out = absl::StrCat(
      "# aggpay payout instructions, batch ", batch_ref, "\n",
      "payout_id,line_id,merchant_id,account_kind,bank_name,account_name,account_number,currency,"
      "amount_minor,payout_date\n");
  std::map<std::string, std::pair<int64_t, int64_t>> totals;
  const PayoutAccount missing{"MISSING", "", "", ""};
  for (const Payout& p : payouts) {
    auto found = accounts.find(p.merchant_id);
    const PayoutAccount& a = found == accounts.end() ? missing : found->second;
    absl::StrAppend(&out, p.payout_id, ",", p.line_id, ",", p.merchant_id, ",", a.kind, ",",
                    CsvField(a.bank_name), ",", CsvField(a.account_name), ",", a.account_number,
                    ",", p.currency, ",", p.amount_minor, ",", p.payout_date, "\n");
    auto& t = totals[p.currency];
    ++t.first;
    t.second += p.amount_minor;
  }
  for (const auto& [currency, t] : totals) {
    absl::StrAppend(&out, "CHECKSUM,", currency, ",", t.first, ",", t.second, "\n");
  }
  absl::StrAppend(&out, "CHECKSUM,ALL,", payouts.size(), ",", totals.size(), "\n");
  return out;
}

std::string FormatStatement(absl::string_view merchant_id, absl::string_view date,
                            const StatementData& data, absl::TimeZone zone) {
  std::string out =
      absl::StrCat("# aggpay settlement statement,merchant ", merchant_id, ",date ", date, "\n",
                   "LINE,cycle,currency,payments,gross_minor,refund_count,"
                   "refunds_minor,fees_minor,fee_returns_minor,carried_in_minor,"
                   "net_minor,status,payout_date\n");
  for (const Line& l : data.lines) {
    absl::StrAppend(&out, "LINE,", l.cycle, ",", l.currency, ",", l.payments, ",", l.amounts.gross,
                    ",", l.refund_count, ",", l.amounts.refunds, ",", l.amounts.fees, ",",
                    l.amounts.fee_returns, ",", l.amounts.carried_in, ",", l.net, ",", l.status,
                    ",", l.payout_date, "\n");
  }
  absl::StrAppend(&out, "TYPE,id,payment_id,out_no,time,currency,amount_minor,fee_minor\n");
  for (const StatementData::Row& r : data.rows) {
    absl::StrAppend(&out, r.is_refund ? "REFUND," : "PAYMENT,", r.id, ",", r.payment_id, ",",
                    r.out_no, ",", absl::FormatTime("%Y-%m-%d %H:%M:%S", r.at, zone), ",",
                    r.currency, ",", r.amount_minor, ",", r.fee_minor, "\n");
  }
  return out;
}

}  // namespace aggpay::settlement
