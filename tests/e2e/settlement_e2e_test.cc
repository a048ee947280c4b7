// Settlement end to end, as an operator and staff run it: the calendar imported with aggpayctl,
// a generated business day, `aggpayd settle` (T+1, its rerun, bad input, D0), the lines,
// batches and statement through aggpayctl, a clean ledger, and the sandbox's own bill of the
// day reconciled clean (then refused as a duplicate).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class SettlementE2eTest : public StackTest {
 protected:
  static CommandResult Settle(const std::string& args) {
    return RunCommand(absl::StrCat(aggpayd().AggpaydCommand(), " settle ", args, " 2>&1"));
  }
  // A new code of a new store of `merchant`.
  static std::string IssueCode(const std::string& merchant) {
    const std::string store = CreateStore(merchant);
    return JsonString(
        AdminCtl("code issue --merchant " + merchant + " --store " + store + " -o json").out,
        "code_id");
  }
  // A payer's scan of `code` for `amount`: the payment id (pending until paid).
  static std::string Scan(const std::string& code, const std::string& amount) {
    CommandResult scan = AdminCtl("sandbox scan " + code + " --amount " + amount + " -o json");
    EXPECT_EQ(scan.exit_code, 0) << scan.out;
    return JsonString(scan.out, "payment_id");
  }
  static std::string Today() {
    absl::TimeZone sh;
    absl::LoadTimeZone("Asia/Shanghai", &sh);
    return absl::FormatTime("%Y-%m-%d", absl::Now(), sh);
  }
};

TEST_F(SettlementE2eTest, SettleReleaseStatementAndReconcileThroughTheCommandLine) {
  CommandResult cal = AdminCtl("settlement calendar import --file " + SourceDir() +
                               "/sql/calendars/CN-2026.csv -o json");
  ASSERT_EQ(cal.exit_code, 0) << cal.out;
  EXPECT_NE(cal.out.find("\"calendar\":\"CN\""), std::string::npos) << cal.out;

  // Thursday 26 November 2026: paid out on Friday the 27th.
  CommandResult gen = RunCommand(
      absl::StrCat("AGGPAY_MYSQL_PASSWORD=", db().password, " ", BuildDir(),
                   "/tools/gen/aggpay-gen --mysql-port ", db().port, " --mysql-user ", db().user,
                   " --mysql-database ", db().database,
                   " --date 2026-11-26 --payments 3000 --merchants 20 --refund-ratio 0.1 --seed 4"
                   " --merchant-prefix e2e 2>&1"));
  ASSERT_EQ(gen.exit_code, 0) << gen.out;

  // e2e0 gets the settlement account of a merchant onboarded for real (the generator's merchants
  // have none): the payout file shows it in full, the others as MISSING.
  const std::string onboarded = OnboardMerchant("PAYOUT_E2E");
  Query("UPDATE merchants t JOIN merchants s ON s.merchant_id = '" + onboarded +
        "' SET t.account_kind = s.account_kind, t.account_bank = s.account_bank, "
        "t.account_name = s.account_name, t.account_number_sealed = s.account_number_sealed, "
        "t.account_last4 = s.account_last4 WHERE t.merchant_id = 'e2e0'");

  // Bad input stores nothing.
  CommandResult shard = Settle("--date 2026-11-26 --shard 3/2");
  EXPECT_NE(shard.exit_code, 0);
  EXPECT_NE(shard.out.find("--shard"), std::string::npos) << shard.out;
  CommandResult future = Settle("--date 2030-01-01");
  EXPECT_NE(future.exit_code, 0);
  EXPECT_NE(future.out.find("future"), std::string::npos) << future.out;
  CommandResult open = Settle("--date " + Today());
  EXPECT_NE(open.exit_code, 0);
  EXPECT_NE(open.out.find("still open"), std::string::npos) << open.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM settlement_batches"), "0");

  CommandResult run = Settle("--date 2026-11-26 --output json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("\"already_done\":false"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"lines\":10"), std::string::npos) << run.out;  // the even merchants
  const std::string payout_file = JsonString(run.out, "payout_file");
  ASSERT_FALSE(payout_file.empty()) << run.out;
  std::ifstream in(payout_file);
  const std::string payouts((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string e2e0_net =
      Query("SELECT net_minor FROM settlement_lines WHERE merchant_id = 'e2e0'");
  EXPECT_NE(payouts.find(absl::StrCat(",e2e0,CORPORATE,Industrial Bank Fuzhou Branch,\"Fuzhou "
                                      "Minjiang Tea House Co., Ltd.\",117010100100123456,CNY,",
                                      e2e0_net, ",2026-11-27\n")),
            std::string::npos)
      << payouts;
  EXPECT_NE(payouts.find(",e2e2,MISSING,,,,CNY,"), std::string::npos) << payouts;
  EXPECT_NE(payouts.find(absl::StrCat("CHECKSUM,ALL,",
                                      Query("SELECT COUNT(*) FROM payout_instructions"), ",1\n")),
            std::string::npos)
      << payouts;
  EXPECT_EQ(std::filesystem::status(payout_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  CommandResult rerun = Settle("--date 2026-11-26");
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out;
  EXPECT_NE(rerun.out.find("already settled"), std::string::npos) << rerun.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM settlement_lines"), "10");

  CommandResult lines = AdminCtl("settlement lines --date 2026-11-26 --merchant e2e0 -o json");
  ASSERT_EQ(lines.exit_code, 0) << lines.out;
  const std::string gross = Query(
      "SELECT SUM(amount_minor) FROM payments WHERE merchant_id = 'e2e0' AND business_date = "
      "'2026-11-26'");
  const std::string fees = Query(
      "SELECT SUM(fee_minor) FROM payments WHERE merchant_id = 'e2e0' AND business_date = "
      "'2026-11-26'");
  for (const std::string& want :
       {std::string("\"merchant_id\":\"e2e0\""), std::string("\"currency\":\"CNY\""),
        absl::StrCat("\"gross\":", gross), absl::StrCat("\"fees\":", fees),
        std::string("\"payout_date\":\"2026-11-27\""), std::string("\"status\":\"PAID\""),
        std::string("\"refunds\":"), std::string("\"fee_returns\":"),
        std::string("\"carried_in\":"), std::string("\"net\":")}) {
    EXPECT_NE(lines.out.find(want), std::string::npos) << want << " in " << lines.out;
  }
  const std::string net =
      Query("SELECT net_minor FROM settlement_lines WHERE merchant_id = 'e2e0'");
  EXPECT_EQ(Query("SELECT amount_minor FROM payout_instructions p JOIN settlement_lines l ON "
                  "l.line_id = p.line_id WHERE l.merchant_id = 'e2e0'"),
            net);
  CommandResult batches = AdminCtl("settlement batches --date 2026-11-26 -o json");
  EXPECT_NE(batches.out.find("\"cycle\":\"T1\""), std::string::npos) << batches.out;
  CommandResult statement = AdminCtl("settlement statement --merchant e2e0 --date 2026-11-26");
  ASSERT_EQ(statement.exit_code, 0) << statement.out;
  EXPECT_NE(statement.out.find(absl::StrCat("LINE,T1,CNY,")), std::string::npos) << statement.out;
  EXPECT_NE(statement.out.find("PAYMENT,G"), std::string::npos);
  CommandResult release = AdminCtl("settlement release --merchant e2e0");
  EXPECT_EQ(release.exit_code, 0) << release.out;
  EXPECT_NE(release.out.find("nothing held"), std::string::npos) << release.out;

  // D0: the odd merchants' day, in the first D0 window.
  CommandResult d0 = Settle("--cycle D0 --output json");
  ASSERT_EQ(d0.exit_code, 0) << d0.out;
  EXPECT_NE(d0.out.find("\"lines\":10"), std::string::npos) << d0.out;
  EXPECT_EQ(Query("SELECT SUM(gross_minor) FROM settlement_lines WHERE cycle = 'D0'"),
            Query("SELECT SUM(amount_minor) FROM payments WHERE plan_id = "
                  "'independent-standard' AND merchant_id LIKE 'e2e%'"));

  // Real sandbox payments of today and a refund: the sandbox's bill reconciles clean.
  const std::string merchant = OnboardMerchant("SETTLE_E2E");
  const std::string code = IssueCode(merchant);
  std::vector<std::string> paid;
  for (const char* amount : {"12.34", "100.00", "0.75"}) {
    paid.push_back(Scan(code, amount));
    ASSERT_EQ(AdminCtl("sandbox pay " + paid.back()).exit_code, 0);
  }
  for (int i = 0; i < 100 && Query("SELECT COUNT(*) FROM payments WHERE merchant_id = '" +
                                   merchant + "' AND status = 'SUCCESS'") != "3";
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  CommandResult refund =
      AdminCtl("payment refund " + paid[1] + " --amount 40.00 --out-refund-no SETTLE-RF1 -o json");
  ASSERT_EQ(refund.exit_code, 0) << refund.out;
  for (int i = 0; i < 100 && Query("SELECT status FROM refunds WHERE out_refund_no = "
                                   "'SETTLE-RF1'") != "SUCCESS";
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string bill_path = SharedServers().dir() + "/settle-e2e-bill.csv";
  CommandResult bill = AdminCtl("sandbox bill --date " + Today());
  ASSERT_EQ(bill.exit_code, 0) << bill.out;
  std::ofstream(bill_path, std::ios::binary) << bill.out;
  CommandResult recon = AdminCtl("reconcile --channel sandbox --date " + Today() + " --file " +
                                 bill_path + " -o json");
  EXPECT_EQ(recon.exit_code, 0) << recon.out;
  EXPECT_NE(recon.out.find("\"result\":\"CLEAN\""), std::string::npos) << recon.out;
  EXPECT_NE(recon.out.find("\"matched\":4"), std::string::npos) << recon.out;
  CommandResult dup = AdminCtl("reconcile --channel sandbox --date " + Today() + " --file " +
                               bill_path + " -o json");
  EXPECT_NE(dup.exit_code, 0);
  EXPECT_NE(dup.out.find("ALREADY_EXISTS"), std::string::npos) << dup.out;
  CommandResult list = AdminCtl("reconcile list --channel sandbox -o json");
  EXPECT_NE(list.out.find("\"result\":\"CLEAN\""), std::string::npos) << list.out;

  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_EQ(ledger.exit_code, 0) << ledger.out;
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
}

// An instance with the D0 scheduler settles an independent merchant's payment by itself, once,
// within a few of its intervals.
TEST_F(SettlementE2eTest, TheD0SchedulerSettlesAnInstantMerchantsPaymentByItself) {
  AggpaydOptions scheduled;
  scheduled.settlement_config = "d0_schedule: true, d0_interval: 1s, d0_lag: 0s";
  AggpaydProcess instance(SharedServers(), db(), scheduled);
  const std::string merchant = OnboardMerchant("D0_SCHEDULE_E2E", "INDEPENDENT");
  const std::string paid = Scan(IssueCode(merchant), "12.34");
  ASSERT_EQ(AdminCtl("sandbox pay " + paid).exit_code, 0);
  const std::string lines_of =
      "SELECT COUNT(*), COALESCE(SUM(gross_minor), 0) FROM settlement_lines WHERE cycle = 'D0' "
      "AND merchant_id = '" +
      merchant + "'";
  std::string got;
  for (int i = 0; i < 100 && got != "1\t1234"; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    got = Query(lines_of);
  }
  EXPECT_EQ(got, "1\t1234") << "one D0 line with the payment's 12.34";
  absl::SleepFor(absl::Seconds(2));  // two more runs: nothing new, nothing twice
  EXPECT_EQ(Query(lines_of), "1\t1234");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payout_instructions p JOIN settlement_lines l ON "
                  "l.line_id = p.line_id WHERE l.merchant_id = '" +
                  merchant + "'"),
            "1");
}

// A payment whose success is learned after its day was closed (a lost callback, found paid by a
// re-query the next day) is recorded on the next open day, not lost in a settled one.
TEST_F(SettlementE2eTest, ASuccessResolvedAfterItsDayClosedGoesToTheNextOpenDay) {
  absl::TimeZone sh;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &sh));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), sh);
  const std::string yesterday = absl::FormatCivilTime(today - 1);
  // The shipped calendar covers 2026; a run in another year adds its years (an import replaces
  // only the years it names, with a holiday far from today that changes nothing here).
  ASSERT_EQ(ImportCnCalendar().exit_code, 0);
  std::string extra;
  for (const absl::CivilDay d : {today - 1, today, today + 7}) {
    if (d.year() == 2026 || extra.find(absl::StrCat(d.year(), "-")) != std::string::npos) continue;
    const absl::CivilDay far = absl::CivilDay(d.year(), d.month() <= 6 ? 12 : 1, 15);
    absl::StrAppend(&extra, absl::FormatCivilTime(far), ",HOLIDAY,late e2e\n");
  }
  if (!extra.empty()) {
    const std::string csv = SharedServers().dir() + "/late-e2e-calendar.csv";
    std::ofstream(csv) << "date,kind,name\n" << extra;
    ASSERT_EQ(AdminCtl("settlement calendar import --file " + csv).exit_code, 0);
  }

  const std::string merchant = OnboardMerchant("LATE_E2E");
  const std::string id = Scan(IssueCode(merchant), "88.80");
  ASSERT_FALSE(id.empty());

  // Yesterday's batch closes yesterday.
  CommandResult run = Settle("--date " + yesterday);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(Query("SELECT closed_at IS NOT NULL FROM payment_business_days WHERE day = '" +
                  yesterday + "'"),
            "1");

  // The wallet's books say it was paid yesterday at noon; the callback never came.
  const absl::Time noon = absl::FromCivil(absl::CivilHour(today - 1) + 12, sh);
  Query("UPDATE sandbox_orders SET status = 'SUCCESS', paid_at = '" +
        absl::FormatTime("%Y-%m-%d %H:%M:%E6S", noon, absl::UTCTimeZone()) +
        "' WHERE channel_txn_id = (SELECT channel_txn_id FROM payments WHERE payment_id = '" + id +
        "')");
  std::string status;
  for (int i = 0; i < 100 && status != "SUCCESS"; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    status = Query("SELECT status FROM payments WHERE payment_id = '" + id + "'");
  }
  ASSERT_EQ(status, "SUCCESS") << "the re-query found it paid";
  EXPECT_EQ(Query("SELECT DATE(CONVERT_TZ(paid_at, '+00:00', '+08:00')) FROM payments WHERE "
                  "payment_id = '" +
                  id + "'"),
            yesterday)
      << "paid_at stays the channel's time";
  EXPECT_EQ(Query("SELECT business_date FROM payments WHERE payment_id = '" + id + "'"),
            absl::FormatCivilTime(today))
      << "recorded on the first open day";
  EXPECT_EQ(Query("SELECT recorded_at IS NOT NULL FROM payments WHERE payment_id = '" + id + "'"),
            "1");

  // Yesterday stays settled as it was; the payment is in no line of it.
  CommandResult rerun = Settle("--date " + yesterday);
  EXPECT_NE(rerun.out.find("already settled"), std::string::npos) << rerun.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM settlement_lines WHERE merchant_id = '" + merchant +
                  "' AND business_date = '" + yesterday + "'"),
            "0");
  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
}

}  // namespace
}  // namespace aggpay::testing
