#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "services/payment/mysql_payment_repository.h"
#include "tests/integration/settlement_fixture.h"

namespace aggpay::testing {
namespace {

using settlement::FormatDate;

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

void ExpectLedgerClean(SettlementDb& db) {
  payment::MysqlPaymentRepository payments(*db.pool);
  auto report = payments.CheckLedger();
  ASSERT_TRUE(report.ok()) << report.status();
  for (const auto& p : report->problems) ADD_FAILURE() << p;
  EXPECT_GT(report->transactions, 0);
}

// Thursday 12 Feb to Tuesday 24 Feb 2026: a normal Thursday and Friday, the Saturday make-up
// working day (14th), the Spring Festival (15th-23rd), the first day back.
const std::vector<absl::CivilDay> kDays = {D(2026, 2, 12), D(2026, 2, 13), D(2026, 2, 14),
                                           D(2026, 2, 15), D(2026, 2, 16)};
// From the State Council's notice (sql/calendars/CN-2026.csv), worked out by hand.
const std::map<absl::CivilDay, std::string> kPayout = {{D(2026, 2, 12), "2026-02-13"},
                                                       {D(2026, 2, 13), "2026-02-14"},
                                                       {D(2026, 2, 14), "2026-02-24"},
                                                       {D(2026, 2, 15), "2026-02-24"},
                                                       {D(2026, 2, 16), "2026-02-24"}};

TEST(SettlementIntegration, OracleOverHolidaysWeekendsFreezesAndNegativeDays) {
  SettlementDb db("settle_oracle");
  std::vector<gen::GenResult> data;
  // Busy days, then a near-empty holiday on which the earlier days' refunds land: negatives.
  const std::vector<int64_t> volume = {1500, 1200, 900, 30, 400};
  for (size_t i = 0; i < kDays.size(); ++i) {
    data.push_back(db.Gen(kDays[i], volume[i], 24, 150000, 7));
  }
  // gm2 frozen for the first two batches, then lifted; gm4 frozen throughout.
  std::map<absl::CivilDay, std::set<std::string>> frozen;
  for (size_t i = 0; i < kDays.size(); ++i) {
    frozen[kDays[i]] = i < 2 ? std::set<std::string>{"gm2", "gm4"} : std::set<std::string>{"gm4"};
  }
  for (absl::CivilDay d : kDays) {
    db.directory.Set(frozen[d]);
    db.At(d + 1);
    auto report = db.ops->RunT1(FormatDate(d), "");
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_FALSE(report->outcome.already_done);
  }
  const auto expected = OracleT1(data, kDays, frozen, kPayout);
  const auto actual = db.Lines(kDays);
  ExpectLinesEqual(expected, actual);

  // The data has what the test is about.
  std::map<std::string, int> statuses;
  for (const auto& [k, l] : actual) ++statuses[l.status];
  EXPECT_GT(statuses["CARRIED"], 0);
  EXPECT_GT(statuses["HELD"], 0);
  int carried_in = 0;
  int released = 0;
  for (const auto& [k, l] : actual) {
    if (l.amounts.carried_in < 0) ++carried_in;
    if (l.released_by_batch != 0) ++released;
  }
  EXPECT_GT(carried_in, 0);
  EXPECT_GT(released, 0);

  // Each PAID line with money is paid exactly once, for its net; nothing else is paid.
  int64_t paid_total = 0;
  int64_t paid_lines = 0;
  for (const auto& [k, l] : actual) {
    if (l.status == "PAID" && l.net > 0) {
      paid_total += l.net;
      ++paid_lines;
    }
  }
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM payout_instructions"), paid_lines);
  EXPECT_EQ(db.Count("SELECT COALESCE(SUM(amount_minor), 0) FROM payout_instructions"), paid_total);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM (SELECT line_id FROM payout_instructions GROUP BY "
                     "line_id HAVING COUNT(*) > 1) x"),
            0);
  // Payout clearing holds exactly what was paid; the held account what is still held.
  EXPECT_EQ(db.Count("SELECT -SUM(amount_minor) FROM ledger_entries WHERE account = "
                     "'payout:CNY'"),
            paid_total);
  int64_t still_held = 0;
  for (const auto& [k, l] : actual) {
    if (l.status == "HELD") still_held += l.net;
  }
  EXPECT_GT(still_held, 0);
  EXPECT_EQ(db.Count("SELECT -SUM(amount_minor) FROM ledger_entries WHERE account LIKE 'held:%'"),
            still_held);
  ExpectLedgerClean(db);

  // Rerunning a finished date changes nothing and says so.
  const int64_t entries = db.Count("SELECT COUNT(*) FROM ledger_entries");
  auto again = db.ops->RunT1(FormatDate(kDays[1]), "1/1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->outcome.already_done);
  EXPECT_NE(again->message.find("already settled"), std::string::npos) << again->message;
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM ledger_entries"), entries);
  ExpectLinesEqual(expected, db.Lines(kDays));

  // The payout file of the last batch: one row per payout and count-and-sum checksums.
  ASSERT_FALSE(again->payout_file.empty());
  const std::string file = ReadFile(again->payout_file);
  const int64_t batch = again->outcome.batch.batch_id;
  const int64_t n =
      db.Count(absl::StrCat("SELECT COUNT(*) FROM payout_instructions WHERE batch_id = ", batch));
  const int64_t sum = db.Count(absl::StrCat(
      "SELECT COALESCE(SUM(amount_minor), 0) FROM payout_instructions WHERE batch_id = ", batch));
  EXPECT_NE(file.find(absl::StrCat("CHECKSUM,CNY,", n, ",", sum, "\n")), std::string::npos) << file;

  // gm4 is still frozen: release is refused; once lifted, its holds are paid once.
  auto refused = db.ops->Release("gm4");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  db.directory.Set({});
  db.At(D(2026, 2, 24));
  auto released_now = db.ops->Release("gm4");
  ASSERT_TRUE(released_now.ok()) << released_now.status();
  EXPECT_FALSE(released_now->outcome.already_done);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_lines WHERE status = 'HELD'"), 0);
  EXPECT_EQ(db.Count("SELECT -SUM(amount_minor) FROM ledger_entries WHERE account = "
                     "'payout:CNY'"),
            paid_total + still_held);
  EXPECT_EQ(db.Count("SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_entries WHERE account "
                     "LIKE 'held:%'"),
            0);
  // Every batch's counts are what it wrote: its own lines, and its payouts (released lines'
  // included); payout clearing got one summed credit per batch, currency and kind.
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches b WHERE line_count <> (SELECT "
                     "COUNT(*) FROM settlement_lines l WHERE l.batch_id = b.batch_id) OR "
                     "payout_count <> (SELECT COUNT(*) FROM payout_instructions p WHERE "
                     "p.batch_id = b.batch_id)"),
            0);
  EXPECT_GT(db.Count("SELECT SUM(payout_count) FROM settlement_batches"), 0);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM (SELECT e.txn_id FROM ledger_entries e WHERE e.account "
                     "= 'payout:CNY' GROUP BY e.txn_id, e.posting_kind HAVING COUNT(*) > 1) x"),
            0);
  auto twice = db.ops->Release("gm4");
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->outcome.already_done);
  ExpectLedgerClean(db);

  // The statement of one merchant and date.
  const auto& some = actual.begin()->second;
  auto csv = db.ops->Statement(some.merchant_id, some.business_date);
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_NE(csv->find(absl::StrCat("LINE,T1,CNY,", some.payments, ",", some.amounts.gross, ",")),
            std::string::npos)
      << *csv;
  EXPECT_EQ(db.ops->Statement(some.merchant_id, "2026-03-01").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SettlementIntegration, BadInputIsRefusedAndStoresNothing) {
  SettlementDb db("settle_bad");
  db.Gen(D(2026, 3, 2), 50, 4, 0, 3);
  db.At(D(2026, 3, 3));
  EXPECT_EQ(db.ops->RunT1("2026-03-04", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db.ops->RunT1("2026-03-03", "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db.ops->RunT1("2026-3-2", "").status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* shard : {"3/2", "0/2", "1/0", "a/b", "1", "2/2/2"}) {
    EXPECT_EQ(db.ops->RunT1("2026-03-02", shard).status().code(),
              absl::StatusCode::kInvalidArgument)
        << shard;
  }
  // A year the calendar lacks.
  db.At(D(2027, 3, 3));
  EXPECT_EQ(db.ops->RunT1("2027-03-02", "").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches"), 0);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_lines"), 0);
  // A date settled with 2 shards cannot be settled with 3.
  db.At(D(2026, 3, 3));
  ASSERT_TRUE(db.ops->RunT1("2026-03-02", "1/2").ok());
  EXPECT_EQ(db.ops->RunT1("2026-03-02", "1/3").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches"), 1);
}

TEST(SettlementIntegration, OneTwoAndThreeShardsGiveIdenticalLines) {
  std::map<std::string, settlement::Line> reference;
  for (int n : {1, 2, 3}) {
    SettlementDb db(absl::StrCat("settle_shard", n));
    db.Gen(D(2026, 3, 9), 3000, 60, 100000, 11);
    db.Gen(D(2026, 3, 10), 500, 60, 400000, 12);
    db.directory.Set({"gm6", "gm10"});
    for (absl::CivilDay d : {D(2026, 3, 9), D(2026, 3, 10)}) {
      db.At(d + 1);
      for (int i = 1; i <= n; ++i) {
        auto r = db.ops->RunT1(FormatDate(d), absl::StrCat(i, "/", n));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    }
    auto lines = db.Lines({D(2026, 3, 9), D(2026, 3, 10)});
    ASSERT_GT(lines.size(), 40u);
    if (n == 1) {
      reference = lines;
      continue;
    }
    std::map<std::string, ExpectedLine> want;
    for (const auto& [k, l] : reference) {
      want[k] = {l.amounts.gross,
                 l.amounts.refunds,
                 l.amounts.fees,
                 l.amounts.fee_returns,
                 l.amounts.carried_in,
                 l.net,
                 l.status,
                 l.payout_date};
    }
    ExpectLinesEqual(want, lines);
    ExpectLedgerClean(db);
  }
}

// A batch committed while the merchant service cannot answer for the accounts is reported as
// committed, and the next run (of any date) writes its file, once; a rerun never rewrites it.
TEST(SettlementIntegration, APayoutFileNotWrittenAfterTheCommitIsWrittenByTheNextRun) {
  SettlementDb db("settle_file");
  db.Gen(D(2026, 3, 16), 2000, 20, 0, 11);
  db.Gen(D(2026, 3, 17), 2000, 20, 0, 12);
  db.At(D(2026, 3, 18));
  db.directory.accounts_down = true;
  auto first = db.ops->RunT1("2026-03-16", "1/1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->outcome.already_done);
  EXPECT_TRUE(first->payout_file.empty());
  EXPECT_NE(first->message.find("payout file not written yet"), std::string::npos)
      << first->message;
  const int64_t batch = first->outcome.batch.batch_id;
  EXPECT_EQ(db.Count(absl::StrCat(
                "SELECT COUNT(*) FROM settlement_batches WHERE payout_file_at IS NULL AND "
                "batch_id = ",
                batch)),
            1);

  db.directory.accounts_down = false;
  auto second = db.ops->RunT1("2026-03-17", "1/1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches WHERE payout_file_at IS NULL"), 0);
  const std::string dir = SharedServers().dir() + "/payouts-" + db.mysql.database;
  const std::string path = absl::StrCat(dir, "/payouts-", batch, "-T1_2026-03-16_1of1.csv");
  const std::string file = ReadFile(path);
  EXPECT_NE(file.find(absl::StrCat("CHECKSUM,CNY,",
                                   db.Count(absl::StrCat("SELECT COUNT(*) FROM payout_instructions "
                                                         "WHERE batch_id = ",
                                                         batch)),
                                   ",")),
            std::string::npos)
      << file;
  EXPECT_NE(file.find(",CORPORATE,Bank,Shop gm0,6222gm0,CNY,"), std::string::npos) << file;

  // A rerun finds the batch and its file, and leaves the file as it was.
  std::filesystem::remove(path);
  auto rerun = db.ops->RunT1("2026-03-16", "1/1");
  ASSERT_TRUE(rerun.ok()) << rerun.status();
  EXPECT_TRUE(rerun->outcome.already_done);
  EXPECT_EQ(rerun->payout_file, path);
  EXPECT_FALSE(std::filesystem::exists(path)) << "a written file is never rewritten";
}

TEST(SettlementIntegration, ConcurrentRunsOfOneDateSettleOnce) {
  SettlementDb db("settle_race");
  db.Gen(D(2026, 3, 16), 20000, 200, 50000, 5);
  db.At(D(2026, 3, 17));
  std::vector<absl::StatusOr<settlement::RunReport>> results(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] { results[i] = db.ops->RunT1("2026-03-16", "1/1"); });
  }
  for (auto& t : threads) t.join();
  int settled = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->outcome.already_done) ++settled;
  }
  EXPECT_EQ(settled, 1);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches"), 1);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_lines"), 100);
  ExpectLedgerClean(db);
}

TEST(SettlementIntegration, D0SettlesEachPaymentOnceAcrossOverlappingRuns) {
  SettlementDb db("settle_d0");
  auto day = db.Gen(D(2026, 3, 16), 3000, 40, 0, 9);
  int64_t d0_gross = 0;
  for (const auto& p : day.payment_rows) {
    if (p.plan_id == "independent-standard") d0_gross += p.amount_minor;
  }
  // Noon: the morning's payments are due, the afternoon's not yet.
  db.clock.Set(absl::FromCivil(absl::CivilSecond(2026, 3, 16, 12, 0, 0), Shanghai()));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(db.ops->RunD0().ok()); });
  }
  for (auto& t : threads) t.join();
  const int64_t morning = db.Count("SELECT COALESCE(SUM(gross_minor), 0) FROM settlement_lines");
  EXPECT_GT(morning, 0);
  EXPECT_LT(morning, d0_gross);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_lines WHERE cycle <> 'D0'"), 0);
  // Nothing new: no batch.
  const int64_t batches = db.Count("SELECT COUNT(*) FROM settlement_batches");
  auto none = db.ops->RunD0();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->outcome.already_done);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_batches"), batches);
  // The next day: the rest, exactly once.
  db.At(D(2026, 3, 17));
  ASSERT_TRUE(db.ops->RunD0().ok());
  EXPECT_EQ(db.Count("SELECT SUM(gross_minor) FROM settlement_lines"), d0_gross);
  EXPECT_EQ(db.Count("SELECT COUNT(*) FROM settlement_lines WHERE payout_date <> business_date"),
            0);
  ExpectLedgerClean(db);
}

}  // namespace
}  // namespace aggpay::testing
