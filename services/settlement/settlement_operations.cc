#include "services/settlement/settlement_operations.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/payment/domain/bill.h"
#include "spdlog/spdlog.h"

namespace aggpay::settlement {

SettlementOperations::SettlementOperations(SettlementRepository& repo,
                                           SettlementDirectory& directory,
                                           const common::Clock& clock, SettlementOptions options)
    : repo_(repo), directory_(directory), clock_(clock), options_(std::move(options)) {}

absl::CivilDay SettlementOperations::Today() const {
  return absl::ToCivilDay(clock_.Now(), options_.zone);
}

absl::StatusOr<absl::CivilDay> SettlementOperations::NextPayout(const std::string& cycle,
                                                                absl::CivilDay today) {
  if (cycle != "T1" && cycle != "D0") {
    return common::InvalidField("cycle", "must be T1 or D0");
  }
  ASSIGN_OR_RETURN(BusinessCalendar calendar, repo_.LoadCalendar(options_.calendar));
  return NextPayoutDate(calendar, today, cycle);
}

std::string SettlementOperations::PayoutFilePath(const Batch& batch) const {
  return absl::StrCat(
      options_.output_dir, "/",
      absl::StrReplaceAll(absl::StrCat("payouts-", batch.batch_id, "-", batch.run_key, ".csv"),
                          {{":", "_"}, {"/", "of"}, {" ", "T"}}));
}

absl::StatusOr<std::string> SettlementOperations::WritePayoutFile(const Batch& batch) {
  if (options_.output_dir.empty() || batch.batch_id == 0) return std::string();
  const std::string path = PayoutFilePath(batch);
  // Written once: a rerun never rewrites it, so it cannot send a committed payout to an account
  // changed since.
  if (batch.payout_file_at) return path;
  ASSIGN_OR_RETURN(std::vector<Payout> payouts, repo_.Payouts(batch.batch_id));
  std::vector<std::string> merchants;
  merchants.reserve(payouts.size());
  for (const Payout& p : payouts) merchants.push_back(p.merchant_id);
  std::sort(merchants.begin(), merchants.end());
  merchants.erase(std::unique(merchants.begin(), merchants.end()), merchants.end());
  ASSIGN_OR_RETURN(auto accounts, directory_.PayoutAccounts(merchants));
  size_t missing = 0;
  for (const std::string& m : merchants) missing += accounts.contains(m) ? 0 : 1;
  if (missing > 0) {
    spdlog::error("payout file of batch {}: {} merchant(s) have no approved settlement account",
                  batch.batch_id, missing);
  }
  const std::string body =
      FormatPayoutFile(absl::StrCat(batch.batch_id, " ", batch.run_key), payouts, accounts);
  // Account numbers in full: the directory and the file are the service user's only, from the
  // moment they exist. Its own temporary name: overlapping runs each write a whole file and the
  // rename is atomic.
  ::mkdir(options_.output_dir.c_str(), 0700);
  static std::atomic<uint64_t> sequence{0};
  const std::string tmp = absl::StrCat(path, ".", getpid(), ".",
                                       sequence.fetch_add(1, std::memory_order_relaxed), ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(fd, body.data() + written, body.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == body.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = strerror(errno);
    ::unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", why));
  }
  RETURN_IF_ERROR(repo_.MarkPayoutFileWritten(batch.batch_id, clock_.Now()));
  return path;
}

void SettlementOperations::WritePendingPayoutFiles() {
  if (options_.output_dir.empty()) return;
  auto batches = repo_.BatchesWithoutPayoutFile(100);
  if (!batches.ok()) {
    spdlog::warn("settlement: cannot list batches without a payout file: {}",
                 std::string(batches.status().message()));
    return;
  }
  for (const Batch& b : *batches) {
    auto written = WritePayoutFile(b);
    if (!written.ok()) {
      spdlog::error("settlement: payout file of batch {} still not written: {}", b.batch_id,
                    std::string(written.status().message()));
      return;
    }
    spdlog::info("settlement: wrote the payout file of batch {} (committed earlier): {}",
                 b.batch_id, *written);
  }
}

absl::StatusOr<RunReport> SettlementOperations::Finish(RunOutcome outcome) {
  RunReport report;
  const Batch& b = outcome.batch;
  if (outcome.already_done && b.batch_id == 0) {
    report.message = b.cycle == "D0" ? "D0: nothing new since the last run" : "nothing to do";
  } else if (outcome.already_done) {
    report.message =
        absl::StrCat(b.run_key, " was already settled in batch ", b.batch_id, ": nothing changed");
  } else {
    report.message = absl::StrCat(b.run_key, " settled in batch ", b.batch_id, ": ", b.line_count,
                                  " lines, ", b.payout_count, " payouts");
  }
  // The batch is committed whatever happens to its file: a file not written now (a crash, the
  // merchant service not answering) is written by the next run of any cycle.
  auto file = WritePayoutFile(b);
  if (file.ok()) {
    report.payout_file = *file;
  } else {
    spdlog::error("settlement: batch {} is committed but its payout file is not written yet: {}",
                  b.batch_id, std::string(file.status().message()));
    absl::StrAppend(&report.message, "; payout file not written yet (", file.status().message(),
                    "): the next run writes it");
  }
  report.outcome = std::move(outcome);
  return report;
}

absl::StatusOr<RunReport> SettlementOperations::RunT1(const std::string& date,
                                                      const std::string& shard_text) {
  WritePendingPayoutFiles();
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(date, "date"));
  ASSIGN_OR_RETURN(Shard shard, ParseShard(shard_text.empty() ? "1/1" : shard_text));
  RETURN_IF_ERROR(CheckClosedDate(day, Today()));
  ASSIGN_OR_RETURN(BusinessCalendar calendar, repo_.LoadCalendar(options_.calendar));
  RETURN_IF_ERROR(calendar.IsBusinessDay(day).status());
  ASSIGN_OR_RETURN(absl::CivilDay payout, calendar.NextBusinessDay(day));
  RunSpec spec;
  spec.cycle = "T1";
  spec.run_key = absl::StrCat("T1:", date, ":", shard.Name());
  spec.period = date;
  spec.business_date = date;
  spec.by_business_date = true;
  const DayWindow window = LocalDayWindow(day, options_.zone);
  spec.window_from = window.from;
  spec.window_to = window.to;
  spec.payout_date = FormatDate(payout);
  spec.shard = shard;
  ASSIGN_OR_RETURN(spec.plan_ids, directory_.PlanIds("T1"));
  // Nothing is recorded on the date any more once this answers: the batch sees all of it, and
  // a success resolved later goes to the next open day's batch.
  RETURN_IF_ERROR(directory_.CloseBusinessDay(date));
  // Read after the close (which may wait): a freeze during the wait still holds the line.
  ASSIGN_OR_RETURN(spec.frozen, directory_.FrozenMerchants());
  spec.now = clock_.Now();
  ASSIGN_OR_RETURN(RunOutcome outcome, repo_.Run(spec));
  return Finish(std::move(outcome));
}

absl::StatusOr<RunReport> SettlementOperations::RunD0() {
  WritePendingPayoutFiles();
  RunSpec spec;
  spec.cycle = "D0";
  spec.by_business_date = false;
  spec.now = clock_.Now();
  spec.window_to = absl::FromUnixMicros(absl::ToUnixMicros(spec.now - options_.d0_lag));
  spec.d0_lag = options_.d0_lag;
  // The first D0 run takes everything before its cut-off; later ones start where the last
  // committed run ended (read under the D0 lock).
  spec.window_from = absl::UnixEpoch();
  const std::string today = FormatDate(absl::ToCivilDay(spec.window_to, options_.zone));
  spec.business_date = today;
  spec.payout_date = today;
  ASSIGN_OR_RETURN(spec.plan_ids, directory_.PlanIds("D0"));
  ASSIGN_OR_RETURN(spec.frozen, directory_.FrozenMerchants());
  ASSIGN_OR_RETURN(RunOutcome outcome, repo_.Run(spec));
  return Finish(std::move(outcome));
}

absl::StatusOr<RunReport> SettlementOperations::Release(const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  WritePendingPayoutFiles();
  ASSIGN_OR_RETURN(std::set<std::string> frozen, directory_.FrozenMerchants());
  if (frozen.contains(merchant_id)) {
    return common::FailedPreconditionField(
        "merchant_id",
        "the merchant is frozen, or its settlement account is under review: its held "
        "settlement is paid once it is active again");
  }
  const absl::CivilDay today = Today();
  ASSIGN_OR_RETURN(BusinessCalendar calendar, repo_.LoadCalendar(options_.calendar));
  ASSIGN_OR_RETURN(absl::CivilDay payout, calendar.NextBusinessDay(today));
  ASSIGN_OR_RETURN(RunOutcome outcome, repo_.ReleaseHeld(merchant_id, FormatDate(today),
                                                         FormatDate(payout), clock_.Now()));
  if (outcome.already_done) {
    RunReport report;
    report.message = absl::StrCat(merchant_id, " has nothing held");
    report.outcome = std::move(outcome);
    return report;
  }
  return Finish(std::move(outcome));
}

absl::StatusOr<std::vector<Batch>> SettlementOperations::ListBatches(const std::string& date,
                                                                     int limit) {
  if (!date.empty()) RETURN_IF_ERROR(ParseDate(date, "date").status());
  return repo_.ListBatches(date, limit);
}

absl::StatusOr<std::vector<Line>> SettlementOperations::ListLines(const std::string& date,
                                                                  const std::string& merchant_id,
                                                                  const std::string& status,
                                                                  int64_t after_line_id,
                                                                  int limit) {
  if (!status.empty() && status != "PAID" && status != "HELD" && status != "CARRIED") {
    return common::InvalidField("status", "must be PAID, HELD or CARRIED");
  }
  if (!date.empty() || status.empty()) RETURN_IF_ERROR(ParseDate(date, "date").status());
  if (!merchant_id.empty()) RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  return repo_.ListLines(date, merchant_id, status, after_line_id, limit);
}

absl::StatusOr<std::vector<Line>> SettlementOperations::ReleasedLines(int64_t batch_id) {
  return repo_.ReleasedLines(batch_id);
}

absl::StatusOr<std::string> SettlementOperations::Statement(const std::string& merchant_id,
                                                            const std::string& date) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(date, "date"));
  ASSIGN_OR_RETURN(StatementData data, repo_.Statement(merchant_id, FormatDate(day)));
  if (data.lines.empty()) {
    return absl::NotFoundError(absl::StrCat("no settlement for ", merchant_id, " on ", date));
  }
  return FormatStatement(merchant_id, date, data, options_.zone);
}

absl::StatusOr<std::pair<int64_t, std::set<int>>> SettlementOperations::ImportCalendar(
    const std::string& calendar, const std::string& csv) {
  const std::string name = calendar.empty() ? options_.calendar : calendar;
  RETURN_IF_ERROR(common::ValidateId(name, "calendar"));
  ASSIGN_OR_RETURN(std::vector<CalendarDay> days, ParseCalendarCsv(csv));
  ASSIGN_OR_RETURN(std::set<int> years, repo_.ImportCalendar(name, days, clock_.Now()));
  return std::make_pair(static_cast<int64_t>(days.size()), std::move(years));
}

absl::StatusOr<StoredReconciliation> SettlementOperations::Reconcile(const std::string& channel,
                                                                     const std::string& date,
                                                                     const std::string& bill_csv) {
  auto ppm = options_.channel_cost_ppm.find(channel);
  if (ppm == options_.channel_cost_ppm.end()) {
    return common::InvalidField("channel", absl::StrCat("unknown channel \"", channel, "\""));
  }
  ASSIGN_OR_RETURN(absl::CivilDay day, ParseDate(date, "date"));
  if (bill_csv.empty()) return common::InvalidField("bill_csv", "is empty");
  auto bill = payment::ParseDownloadBill(bill_csv);
  if (!bill.ok()) {
    return common::InvalidField("bill_csv",
                                absl::StrCat("malformed bill: ", bill.status().message()));
  }
  for (size_t i = 0; i < bill->size(); ++i) {
    const absl::CivilDay at = absl::ToCivilDay((*bill)[i].at, options_.zone);
    if (at != day) {
      return common::InvalidField(
          "bill_csv", absl::StrCat("the bill is for another date: row ", i + 1, " is on ",
                                   FormatDate(at), ", not ", date));
    }
  }
  StoredReconciliation stored;
  stored.channel = channel;
  stored.date = date;
  stored.bill_sha256 = common::Sha256Hex(bill_csv);
  stored.created_at = clock_.Now();
  ASSIGN_OR_RETURN(std::vector<StoredReconciliation> earlier,
                   repo_.ListReconciliations(channel, date));
  if (!earlier.empty()) {
    return absl::AlreadyExistsError(absl::StrCat(
        earlier.front().bill_sha256 == stored.bill_sha256 ? "duplicate bill: this bill"
                                                          : "a bill for this channel and date",
        " was already reconciled (reconciliation ", earlier.front().reconciliation_id, ")"));
  }
  std::vector<std::pair<bool, std::string>> ids;
  ids.reserve(bill->size());
  for (const payment::BillLine& l : *bill) {
    const bool refund = l.trade_state == "REFUND";
    ids.emplace_back(refund, refund ? l.out_refund_no : l.out_trade_no);
  }
  const DayWindow window = LocalDayWindow(day, options_.zone);
  ASSIGN_OR_RETURN(std::vector<OurRecord> ours,
                   repo_.OurRecords(channel, window.from, window.to, ids));
  stored.result = settlement::Reconcile(*bill, ours, ppm->second);
  auto id = repo_.SaveReconciliation(stored);
  if (absl::IsAlreadyExists(id.status())) {
    return absl::AlreadyExistsError("duplicate bill: this bill was already reconciled");
  }
  if (!id.ok()) return id.status();
  stored.reconciliation_id = *id;
  return stored;
}

absl::StatusOr<std::vector<StoredReconciliation>> SettlementOperations::ListReconciliations(
    const std::string& channel, const std::string& date) {
  if (!date.empty()) RETURN_IF_ERROR(ParseDate(date, "date").status());
  return repo_.ListReconciliations(channel, date);
}

}  // namespace aggpay::settlement
