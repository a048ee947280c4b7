// The merchant portal (/m/ on the gateway) in a real browser (tests/browser/), against real
// MariaDB, Redis, aggpayd and gateway processes: sign-in by an SMS code to the merchant's
// registered mobile, Today's numbers against payments made here, a code reset confirmed with a
// fresh one-time password whose stand card decodes (zbarimg) to the new code's URL, the old
// code's cashier page, another merchant's payment "not found", a cashier whom the server
// refuses the settlement account whatever the page shows, and a frozen merchant's refused reset.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "tests/support/browser.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

// docs/examples/application.json, which OnboardMerchant applies with.
constexpr char kRegisteredMobile[] = "13812345678";
constexpr char kDisplayName[] = "Minjiang Tea House";
constexpr char kCashierMobile[] = "13900001111";
constexpr char kSettlementOwnerMobile[] = "13700002222";

class PortalBrowserTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd(), {});
  }
  static void TearDownTestSuite() {
    delete gateway_;
    StackTest::TearDownTestSuite();
  }

  static std::string IssueCode(const std::string& merchant, const std::string& store,
                               const std::string& terminal) {
    CommandResult c = AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store,
                                            " --terminal ", terminal, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  // A successful sandbox payment on the code, as a payer makes it.
  static std::string Pay(const std::string& code, const std::string& amount) {
    CommandResult scan = AdminCtl("sandbox scan " + code + " --amount " + amount + " -o json");
    const std::string id = JsonString(scan.out, "payment_id");
    EXPECT_FALSE(id.empty()) << scan.out;
    EXPECT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
    for (int i = 0; i < 100; ++i) {
      if (JsonString(AdminCtl("payment get " + id + " -o json").out, "status") == "SUCCESS") break;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return id;
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static std::map<std::string, std::string> Env() {
    return {{"AGGPAY_GATEWAY_URL", gateway_->url()}, {"AGGPAY_SMS_LOG", aggpayd().sms_log()}};
  }

  static GatewayProcess* gateway_;
};

GatewayProcess* PortalBrowserTest::gateway_ = nullptr;

TEST_F(PortalBrowserTest, OwnerSignsInSeesTodayResetsACodeAndACashierIsRefusedTheAccount) {
  if (RunCommand("command -v zbarimg").exit_code != 0) GTEST_SKIP() << "zbarimg not installed";
  const std::string merchant = OnboardMerchant("PORTAL_OWNER");
  const std::string store = CreateStore(merchant);
  const ActivatedTerminal terminal = ActivateTerminal(merchant, store, "PORTAL-0001");
  const std::string code = IssueCode(merchant, store, terminal.sn);
  // Today: two payments, one of them partly refunded.
  const std::string first = Pay(code, "12.34");
  Pay(code, "100.00");
  ASSERT_EQ(
      AdminCtl("payment refund " + first + " --amount 2.00 --out-refund-no PORTAL-RF-1").exit_code,
      0);
  // Another merchant's payment, which the owner's session must not see.
  const std::string other = OnboardMerchant("PORTAL_OTHER");
  const std::string other_store = CreateStore(other);
  const std::string other_code = JsonString(
      AdminCtl(absl::StrCat("code issue --merchant ", other, " --store ", other_store, " -o json"))
          .out,
      "code_id");
  const std::string other_payment = Pay(other_code, "5.00");

  // The business calendar makes tomorrow (UTC+8, the settlement zone) a holiday, so the next
  // settlement's date on Today is the settlement service's, not the next weekday.
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), shanghai);
  std::set<absl::CivilDay> holidays = {today + 1, absl::CivilDay(today.year() + 1, 1, 1)};
  std::string calendar = "date,kind,name\n";
  for (absl::CivilDay d : holidays)
    absl::StrAppend(&calendar, absl::FormatCivilTime(d), ",HOLIDAY,test\n");
  const std::string calendar_file = SharedServers().dir() + "/portal-calendar.csv";
  std::ofstream(calendar_file) << calendar;
  ASSERT_EQ(AdminCtl("settlement calendar import --file " + calendar_file).exit_code, 0);
  absl::CivilDay payout = today + 1;
  while (holidays.contains(payout) || absl::GetWeekday(payout) == absl::Weekday::saturday ||
         absl::GetWeekday(payout) == absl::Weekday::sunday) {
    ++payout;
  }

  const std::string downloads = SharedServers().dir() + "/portal-downloads";
  std::filesystem::create_directories(downloads);
  std::map<std::string, std::string> env = Env();
  env.insert({{"AGGPAY_OWNER_MOBILE", kRegisteredMobile},
              {"AGGPAY_CODE_ID", code},
              {"AGGPAY_TODAY_AMOUNT", "CNY 112.34"},
              {"AGGPAY_TODAY_COUNT", "2 payments"},
              {"AGGPAY_TODAY_REFUNDS", "CNY 2.00"},
              {"AGGPAY_NEXT_PAYOUT", absl::FormatCivilTime(payout)},
              {"AGGPAY_OWN_PAYMENT", first},
              {"AGGPAY_OTHER_PAYMENT", other_payment},
              {"AGGPAY_CASHIER_MOBILE", kCashierMobile},
              {"AGGPAY_DOWNLOAD_DIR", downloads}});
  BrowserRun owner = RunBrowserScript("portal_owner.mjs", env);
  ASSERT_EQ(owner.exit_code, 0) << owner.output;
  const std::string new_code = owner.results["NEW_CODE_ID"];
  ASSERT_FALSE(new_code.empty()) << owner.output;

  // The stand card's QR decodes back to the new code's URL; the SVG names the shop and the code.
  EXPECT_EQ(RunCommand("zbarimg --raw -q " + owner.results["CARD_PNG"]).out,
            owner.results["NEW_CODE_URL"] + "\n");
  const std::string svg = ReadFile(owner.results["CARD_SVG"]);
  EXPECT_NE(svg.find(kDisplayName), std::string::npos);
  EXPECT_NE(svg.find(new_code), std::string::npos);
  EXPECT_NE(svg.find("WeChat / Alipay / UnionPay"), std::string::npos);

  // The rows: the registered mobile is the owner, the cashier invited by that owner; the code
  // revoked and replaced; the reset and the invitation audited with the portal user as actor.
  const std::string owner_id = Query(absl::StrCat(
      "SELECT user_id FROM merchant_users WHERE role = 'owner' AND invited_by = 'registered' AND "
      "merchant_id = '",
      merchant, "' AND mobile = '", kRegisteredMobile, "'"));
  ASSERT_FALSE(owner_id.empty());
  const std::string actor = absl::StrCat("merchant:", merchant, "/", owner_id);
  EXPECT_EQ(Query(absl::StrCat("SELECT role, invited_by FROM merchant_users WHERE mobile = '",
                               kCashierMobile, "'")),
            "cashier\t" + actor);
  EXPECT_EQ(
      Query("SELECT status, replaced_by FROM collection_codes WHERE code_id = '" + code + "'"),
      "REVOKED\t" + new_code);
  EXPECT_EQ(Query(absl::StrCat("SELECT outcome FROM audit_log WHERE actor = '", actor,
                               "' AND action = '/aggpay.v1.BindingService/VerifyReset'")),
            "OK");
  EXPECT_EQ(Query(absl::StrCat("SELECT outcome FROM audit_log WHERE actor = '", actor,
                               "' AND action = '/aggpay.v1.MerchantService/InviteMerchantUser'")),
            "OK");
  // The refund made in the page: 2.00 before it, 1.00 in it.
  EXPECT_EQ(
      Query("SELECT refunded_minor, refund_count FROM payments WHERE payment_id = '" + first + "'"),
      "300\t2");
  // The key the owner made and revoked, audited with the portal user as actor.
  const std::string key = owner.results["API_KEY_ID"];
  ASSERT_FALSE(key.empty()) << owner.output;
  EXPECT_EQ(Query("SELECT merchant_id, status FROM merchant_api_keys WHERE key_id = '" + key + "'"),
            merchant + "\tREVOKED");
  EXPECT_EQ(Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE actor = '", actor,
                               "' AND action IN ('/aggpay.v1.MerchantService/CreateApiKey', "
                               "'/aggpay.v1.MerchantService/RevokeApiKey') AND outcome = 'OK'")),
            "2");
  // One wrong code counted, then cleared by the right one; one live session.
  EXPECT_EQ(Query(absl::StrCat("SELECT failures, otp_hash IS NULL FROM portal_sign_in_codes WHERE "
                               "mobile = '",
                               kRegisteredMobile, "'")),
            "0\t1");

  // A payment of yesterday (the merchant's day, UTC+8), which a cashier may neither open nor
  // refund: made now and moved back a day.
  const std::string old_payment = Pay(new_code, "8.00");
  Query(
      "UPDATE payments SET created_at = created_at - INTERVAL 1 DAY, paid_at = paid_at - "
      "INTERVAL 1 DAY, business_date = business_date - INTERVAL 1 DAY WHERE payment_id = '" +
      old_payment + "'");
  env = Env();
  env["AGGPAY_CASHIER_MOBILE"] = kCashierMobile;
  env["AGGPAY_OWN_PAYMENT"] = first;
  env["AGGPAY_OLD_PAYMENT"] = old_payment;
  env["AGGPAY_TODAY"] = absl::FormatTime("%Y-%m-%d", absl::Now(), shanghai);
  env["AGGPAY_YESTERDAY"] = absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24), shanghai);
  BrowserRun cashier = RunBrowserScript("portal_cashier.mjs", env);
  ASSERT_EQ(cashier.exit_code, 0) << cashier.output;
  // The cashier's refund within its limit (the default 500.00), and not the one over it.
  EXPECT_EQ(
      Query("SELECT refunded_minor, refund_count FROM payments WHERE payment_id = '" + first + "'"),
      "350\t3");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM refunds WHERE out_refund_no IN ('PORTAL-CASHIER-1', "
                  "'PORTAL-CASHIER-OLD')"),
            "0");
  // Still the account the merchant had, and still ACTIVE.
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "ACTIVE");
  // The owner sets an alert threshold and a payment over it raises the alert.
  BrowserRun risk =
      RunBrowserScript("portal_risk.mjs", {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                           {"AGGPAY_OWNER_SESSION", owner.results["OWNER_SESSION"]},
                                           {"AGGPAY_CODE_ID", new_code}});
  ASSERT_EQ(risk.exit_code, 0) << risk.output;
  EXPECT_EQ(Query("SELECT single_payment_minor FROM risk_alert_thresholds WHERE merchant_id = '" +
                  merchant + "'"),
            "5000");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_alerts WHERE kind = 'SINGLE_PAYMENT' AND "
                  "merchant_id = '" +
                  merchant + "'"),
            "1");

  // Frozen by risk control, the merchant can still sign in; a reset is refused with what to do
  // next, and the owner appeals with evidence; staff approve, which lifts the freeze.
  ASSERT_EQ(AdminCtl("risk freeze --merchant " + merchant + " --reason 'sales surge'").exit_code,
            0);
  BrowserRun refused = RunBrowserScript("portal_refused.mjs",
                                        {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                         {"AGGPAY_OWNER_SESSION", owner.results["OWNER_SESSION"]},
                                         {"AGGPAY_CODE_ID", new_code},
                                         {"AGGPAY_DOWNLOAD_DIR", downloads}});
  ASSERT_EQ(refused.exit_code, 0) << refused.output;
  EXPECT_EQ(
      Query("SELECT replaced_by IS NULL FROM collection_codes WHERE code_id = '" + new_code + "'"),
      "1");
  const std::string appeal =
      Query("SELECT appeal_id FROM risk_appeals WHERE status = 'PENDING' AND merchant_id = '" +
            merchant + "'");
  ASSERT_FALSE(appeal.empty());
  CommandResult appeals = AdminCtl("risk appeals --merchant " + merchant + " -o json");
  EXPECT_NE(appeals.out.find(refused.results["EVIDENCE_SHA256"]), std::string::npos) << appeals.out;
  ASSERT_EQ(
      AdminCtl("risk review " + appeal + " --approve --note 'banquet invoices seen'").exit_code, 0);
  ASSERT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "ACTIVE");

  // The owner changes the settlement account with an SMS password: back to review.
  BrowserRun account = RunBrowserScript("portal_account.mjs",
                                        {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                         {"AGGPAY_SMS_LOG", aggpayd().sms_log()},
                                         {"AGGPAY_OWNER_SESSION", owner.results["OWNER_SESSION"]}});
  ASSERT_EQ(account.exit_code, 0) << account.output;
  EXPECT_EQ(
      Query("SELECT status, account_last4 FROM merchants WHERE merchant_id = '" + merchant + "'"),
      "IN_REVIEW\t7654");
  // The cashier's session ended at sign-out.
  EXPECT_EQ(
      Query(absl::StrCat("SELECT COUNT(*), SUM(s.ended_at IS NOT NULL) FROM portal_sessions s "
                         "JOIN merchant_users u ON u.user_id = s.user_id WHERE u.mobile = '",
                         kCashierMobile, "'")),
      "1\t1");
}

TEST_F(PortalBrowserTest, AFrozenMerchantsHeldLineSaysWhyAndTheStatementDownloads) {
  // A settled business day (generated, 26 November 2026) of a merchant frozen before the run.
  ASSERT_EQ(ImportCnCalendar().exit_code, 0);
  CommandResult gen = GenerateDay(
      "--date 2026-11-26 --payments 20 --merchants 1 --refund-ratio 0 --seed 9 --merchant-prefix "
      "pst");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  ASSERT_EQ(AdminCtl("merchant freeze pst0 --reason 'risk review'").exit_code, 0);
  CommandResult settle = SettleDay("2026-11-26");
  ASSERT_EQ(settle.exit_code, 0) << settle.out;
  // Staff add an owner for the generated merchant (its registered mobile is nobody's here).
  auto stub = v1::MerchantService::NewStub(TestChannel(aggpayd().grpc_addr()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + admin_token());
  v1::InviteMerchantUserRequest invite;
  invite.set_merchant_id("pst0");
  invite.set_mobile(kSettlementOwnerMobile);
  invite.set_role("owner");
  v1::MerchantUser user;
  grpc::Status invited = stub->InviteMerchantUser(&ctx, invite, &user);
  ASSERT_TRUE(invited.ok()) << invited.error_message();
  EXPECT_EQ(user.invited_by(), "staff:admin");

  const std::string downloads = SharedServers().dir() + "/portal-statements";
  std::filesystem::create_directories(downloads);
  std::map<std::string, std::string> env = Env();
  env.insert({{"AGGPAY_OWNER_MOBILE", kSettlementOwnerMobile},
              {"AGGPAY_DATE", "2026-11-26"},
              {"AGGPAY_DOWNLOAD_DIR", downloads}});
  BrowserRun run = RunBrowserScript("portal_settlement.mjs", env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT status FROM settlement_lines WHERE merchant_id = 'pst0'"), "HELD");
  // The file is the statement aggpayctl gives.
  CommandResult cli = AdminCtl("settlement statement --merchant pst0 --date 2026-11-26");
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  const std::string csv = ReadFile(run.results["STATEMENT"]);
  ASSERT_FALSE(csv.empty());
  EXPECT_NE(cli.out.find(csv.substr(0, csv.find('\n'))), std::string::npos) << csv;
}

}  // namespace
}  // namespace aggpay::testing
