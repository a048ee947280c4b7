// The channel's daily statement (services/payment/domain/bill.h, ParseDownloadBill): a file it
// accepts has exactly 27 backticked fields on every detail row and a 7-field summary that adds
// up, and what it reads formats back (FormatDownloadBill) to a file that reads the same lines
// again and formats identically.
//
// Input: the statement, as downloaded; it is read with the exponents 2, 0 and 3 in turn, so
// that every currency's form is fuzzed.

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/payment/domain/bill.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using aggpay::payment::BillLine;

bool SameLine(const BillLine& a, const BillLine& b) {
  return a.at == b.at && a.app_id == b.app_id && a.mch_id == b.mch_id &&
         a.sub_mch_id == b.sub_mch_id && a.device == b.device &&
         a.channel_txn_id == b.channel_txn_id && a.out_trade_no == b.out_trade_no &&
         a.payer == b.payer && a.trade_type == b.trade_type && a.trade_state == b.trade_state &&
         a.currency == b.currency && a.amount_minor == b.amount_minor &&
         a.channel_refund_id == b.channel_refund_id && a.out_refund_no == b.out_refund_no &&
         a.refund_minor == b.refund_minor && a.refund_state == b.refund_state &&
         a.product == b.product && a.fee_milli_minor == b.fee_milli_minor && a.rate == b.rate &&
         a.exponent == b.exponent;
}

void Check(const std::string& csv, int exponent) {
  absl::StatusOr<std::vector<BillLine>> lines = aggpay::payment::ParseDownloadBill(csv, exponent);
  if (!lines.ok()) {
    FUZZ_CHECK(lines.status().code() == absl::StatusCode::kInvalidArgument,
               lines.status().ToString());
    FUZZ_CHECK(absl::StartsWith(lines.status().message(), "downloadbill line "),
               lines.status().ToString());
    return;
  }

  // The rows as the file has them: header, details, summary header, summary.
  absl::string_view text = csv;
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  std::vector<absl::string_view> rows = absl::StrSplit(text, '\n');
  if (!rows.empty() && rows.back().empty()) rows.pop_back();
  FUZZ_CHECK(rows.size() == lines->size() + 3,
             absl::StrCat(rows.size(), " rows for ", lines->size(), " detail lines"));
  for (size_t i = 1; i < rows.size(); ++i) {
    if (i == rows.size() - 2) continue;  // the summary header
    absl::string_view row = rows[i];
    absl::ConsumeSuffix(&row, "\r");
    const std::vector<absl::string_view> fields = absl::StrSplit(row, ',');
    const size_t want = i == rows.size() - 1 ? 7 : 27;
    FUZZ_CHECK(fields.size() == want, absl::StrCat("row ", i + 1, " has ", fields.size(),
                                                   " fields, not ", want, ": ", row));
    for (absl::string_view field : fields) {
      FUZZ_CHECK(absl::StartsWith(field, "`"), absl::StrCat("row ", i + 1, ": ", field));
    }
  }
  for (const BillLine& line : *lines) {
    FUZZ_CHECK(line.trade_state == "SUCCESS" || line.trade_state == "REFUND", line.trade_state);
    FUZZ_CHECK(line.amount_minor >= 0 && line.refund_minor >= 0, line.out_trade_no);
    FUZZ_CHECK(line.exponent == exponent, line.out_trade_no);
  }

  // Round trip: what was read formats to a statement that reads the same lines, and formats
  // to the same bytes again.
  const std::string formatted = aggpay::payment::FormatDownloadBill(*lines);
  absl::StatusOr<std::vector<BillLine>> again =
      aggpay::payment::ParseDownloadBill(formatted, exponent);
  FUZZ_CHECK(again.ok(), absl::StrCat("the formatted statement does not read back: ",
                                      again.status().ToString(), "\n", absl::CEscape(formatted)));
  FUZZ_CHECK(again->size() == lines->size(), formatted);
  for (size_t i = 0; i < lines->size(); ++i) {
    FUZZ_CHECK(SameLine((*lines)[i], (*again)[i]),
               absl::StrCat("line ", i + 1, " reads differently after formatting:\n",
                            absl::CEscape(formatted)));
  }
  FUZZ_CHECK(aggpay::payment::FormatDownloadBill(*again) == formatted, formatted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string csv(aggpay::fuzz::AsText(data, size));
  for (int exponent : {2, 0, 3}) Check(csv, exponent);
  return 0;
}
