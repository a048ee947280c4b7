// The staff console's pages beyond sign-in, review, codes and statements (docs/console.md), in a
// real browser against real MariaDB, Redis, aggpayd and gateway processes: an operator refunds a
// payment from its detail page and freezes, forces offline and clears a terminal; a reviewer
// freezes a merchant from its detail page; finance releases a HELD settlement line and reads a
// reconciliation; an operator prints and unbinds codes, a reviewer approves a reset request and an
// appeal and changes a risk rule; an auditor sees no refund, re-send or freeze button, and the
// server refuses refund and freeze from the auditor's session.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/browser.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class ConsolePagesBrowserTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd(), {});
  }
  static void TearDownTestSuite() {
    delete gateway_;
    StackTest::TearDownTestSuite();
  }

  // A console account: the environment a scenario signs in with (PREFIX, _PASSWORD, _TOTP_URI).
  static void AddConsoleStaff(std::map<std::string, std::string>& env, const std::string& prefix,
                              const std::string& username, const std::string& role) {
    CommandResult c =
        AdminCtl(absl::StrCat("staff create ", username, " --role ", role, " --console -o json"));
    ASSERT_EQ(c.exit_code, 0) << c.out;
    env[prefix] = username;
    env[prefix + "_PASSWORD"] = JsonString(c.out, "password");
    env[prefix + "_TOTP_URI"] = JsonString(c.out, "totp_uri");
  }

  // A paid payment of `minor` CNY on a new code of the store, as a payer would make it.
  static std::string PaidPayment(const std::string& merchant, const std::string& store,
                                 const std::string& minor) {
    CommandResult code =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    EXPECT_EQ(code.exit_code, 0) << code.out;
    HttpResponse created =
        PlainRequest(gateway_->url(), "POST", "/v1/public/payments",
                     absl::StrCat(R"({"code":")", JsonString(code.out, "code_id"),
                                  R"(","amount":{"currency":"CNY","amount_minor":")", minor,
                                  R"("},"wallet":"wechat","client_request_id":"console-pages-)",
                                  minor, R"("})"));
    EXPECT_EQ(created.status, 200) << created.body;
    const std::string id = JsonString(created.body, "payment_id");
    EXPECT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
    for (int i = 0; i < 100; ++i) {
      if (JsonString(AdminCtl("payment get " + id + " -o json").out, "status") == "SUCCESS") break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return id;
  }

  static GatewayProcess* gateway_;
};

GatewayProcess* ConsolePagesBrowserTest::gateway_ = nullptr;

TEST_F(ConsolePagesBrowserTest, OperatorRefundsAndActsOnATerminalAuditorMayNot) {
  const std::string merchant = OnboardMerchant("CONSOLE_PAYMENTS");
  const std::string store = CreateStore(merchant);
  // A receiver that refuses: the payment's notification stays to be re-sent.
  ASSERT_EQ(AdminCtl("payment webhook --merchant " + merchant + " --url http://127.0.0.1:9/notify")
                .exit_code,
            0);
  const std::string payment = PaidPayment(merchant, store, "2500");
  ASSERT_FALSE(payment.empty());
  ActivatedTerminal terminal = ActivateTerminal(merchant, store, "SN-CONSOLE-1");
  std::map<std::string, std::string> env = {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                            {"AGGPAY_MERCHANT_ID", merchant},
                                            {"AGGPAY_PAYMENT_ID", payment},
                                            {"AGGPAY_TERMINAL_SN", terminal.sn}};
  AddConsoleStaff(env, "AGGPAY_OPERATOR", "otto", "operator");
  AddConsoleStaff(env, "AGGPAY_AUDITOR", "ada", "auditor");
  BrowserRun run = RunBrowserScript("console_refund.mjs", env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The rows: one refund of CNY 5.00 with the operator's reason, the payment's total, the
  // terminal frozen, forced offline and cleared; the auditor's attempts refused and audited as
  // such.
  EXPECT_EQ(Query("SELECT COUNT(*), SUM(amount_minor), MAX(reason) FROM refunds WHERE payment_id "
                  "= '" +
                  payment + "'"),
            "1\t500\tthe tea was cold");
  EXPECT_EQ(Query("SELECT refunded_minor FROM payments WHERE payment_id = '" + payment + "'"),
            "500");
  EXPECT_EQ(Query("SELECT status FROM terminals WHERE terminal_sn = '" + terminal.sn + "'"),
            "REGISTERED");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE actor = 'staff:ada' AND outcome = "
                  "'PERMISSION_DENIED' AND action IN ('/aggpay.v1.PaymentService/RefundPayment', "
                  "'/aggpay.v1.MerchantService/FreezeMerchant')"),
            "2");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE actor = 'staff:otto' AND outcome = 'OK' "
                  "AND action IN ('/aggpay.v1.PaymentService/ResendNotification', "
                  "'/aggpay.v1.TerminalService/ForceOffline', "
                  "'/aggpay.v1.TerminalService/FreezeTerminal', "
                  "'/aggpay.v1.TerminalService/ClearTerminal')"),
            "4");
}

TEST_F(ConsolePagesBrowserTest, ReviewerFreezesAMerchantFromItsDetailPage) {
  const std::string merchant = OnboardMerchant("CONSOLE_FREEZE");
  const std::string store = CreateStore(merchant);
  // One more code than a page of the merchant's codes.
  for (int i = 0; i < 21; ++i) {
    ASSERT_EQ(
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store)).exit_code,
        0);
  }
  std::map<std::string, std::string> env = {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                            {"AGGPAY_MERCHANT_ID", merchant}};
  AddConsoleStaff(env, "AGGPAY_REVIEWER", "rosa", "reviewer");
  BrowserRun run = RunBrowserScript("console_freeze.mjs", env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "FROZEN");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE actor = 'staff:rosa' AND outcome = 'OK' "
                  "AND action = '/aggpay.v1.MerchantService/FreezeMerchant'"),
            "1");
}

TEST_F(ConsolePagesBrowserTest, FinanceReleasesAHeldLine) {
  // A business day of a (T+1) merchant frozen when it settles: its line is HELD. Unfrozen
  // afterwards, finance releases it from the console.
  ASSERT_EQ(ImportCnCalendar().exit_code, 0);
  CommandResult gen = GenerateDay(
      "--date 2026-11-26 --payments 20 --merchants 1 --refund-ratio 0 --seed 11 "
      "--merchant-prefix chd");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  Query("UPDATE merchants SET status = 'FROZEN' WHERE merchant_id = 'chd0'");
  CommandResult settle = SettleDay("2026-11-26");
  ASSERT_EQ(settle.exit_code, 0) << settle.out;
  ASSERT_EQ(Query("SELECT status FROM settlement_lines WHERE merchant_id = 'chd0'"), "HELD")
      << settle.out;
  Query("UPDATE merchants SET status = 'ACTIVE' WHERE merchant_id = 'chd0'");
  // The sandbox's bill of that day has none of the generated payments: a reconciliation with
  // differences.
  CommandResult bill = AdminCtl("sandbox bill --date 2026-11-26");
  ASSERT_EQ(bill.exit_code, 0) << bill.out;
  const std::string bill_file = SharedServers().dir() + "/console-bill.csv";
  std::ofstream(bill_file) << bill.out;
  CommandResult recon =
      AdminCtl("reconcile --channel sandbox --date 2026-11-26 --file " + bill_file + " -o json");
  ASSERT_EQ(recon.exit_code, 3) << recon.out;  // 3: differences found
  std::map<std::string, std::string> env = {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                            {"AGGPAY_MERCHANT_ID", "chd0"}};
  AddConsoleStaff(env, "AGGPAY_FINANCE", "fiona", "finance");
  BrowserRun run = RunBrowserScript("console_held.mjs", env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // Lines need a date or a status, and a status that is one.
  const std::map<std::string, std::string> bearer = {{"Authorization", "Bearer " + admin_token()}};
  HttpResponse no_date =
      PlainRequest(gateway_->url(), "GET", "/v1/staff/settlement/lines", "", bearer);
  EXPECT_EQ(no_date.status, 400) << no_date.body;
  EXPECT_EQ(JsonString(no_date.body, "field"), "date") << no_date.body;
  HttpResponse bad =
      PlainRequest(gateway_->url(), "GET", "/v1/staff/settlement/lines?status=LOST", "", bearer);
  EXPECT_EQ(JsonString(bad.body, "field"), "status") << bad.body;
  EXPECT_EQ(Query("SELECT l.status, b.cycle FROM settlement_lines l JOIN settlement_batches b ON "
                  "b.batch_id = l.released_by_batch WHERE l.merchant_id = 'chd0'"),
            "PAID\tRELEASE");
}

TEST_F(ConsolePagesBrowserTest, OperatorAndReviewerUseTheCodeAndRiskTools) {
  const std::string merchant = OnboardMerchant("CONSOLE_CODES");
  const std::string store = CreateStore(merchant);
  const auto issue = [&] {
    CommandResult c =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  };
  const std::string to_unbind = issue();
  // A code replaced, then scanned by a payer: a scan of a replaced code.
  const std::string replaced = issue();
  ASSERT_EQ(AdminCtl("code reset " + replaced + " --reason DAMAGED --mode IMMEDIATE").exit_code, 0);
  EXPECT_EQ(PlainRequest(gateway_->url(), "GET", "/c/" + replaced, "").status, 410);
  // A merchant's reset request waiting for staff review (its phone could not be verified).
  const std::string requested = issue();
  Query(absl::StrCat(
      "INSERT INTO code_reset_requests (request_id, merchant_id, code_id, reason, mode, status, "
      "otp_hash, otp_expires_at, attempts, created_at, updated_at) VALUES ('rr_console_review', '",
      merchant, "', '", requested,
      "', 'DEVICE_LOST', 'IMMEDIATE', 'PENDING_REVIEW', REPEAT('0', 64), NOW(6) + INTERVAL 1 HOUR, "
      "0, NOW(6), NOW(6))"));
  // A merchant frozen by risk control appeals, with a document's hash.
  const std::string frozen = OnboardMerchant("CONSOLE_APPEAL");
  ASSERT_EQ(AdminCtl("risk freeze --merchant " + frozen + " --reason 'sales at night'").exit_code,
            0);
  // The event behind such a freeze, with its rule's evidence, as risk control stores it.
  Query(
      "INSERT INTO risk_events (merchant_id, decision, hits, amount_minor, currency, payer_ip, "
      "device_id, terminal_sn, attempt_id, created_at) VALUES ('" +
      frozen +
      "', 'FREEZE', CONCAT('night_small', CHAR(9), 'FREEZE', CHAR(9), 'count=20', CHAR(9), "
      "'window_seconds=600'), 100, 'CNY', '203.0.113.9', 'dev-night', '', 'NIGHT-20', "
      "UTC_TIMESTAMP(6))");
  CommandResult key = AdminCtl("merchant key create " + frozen + " -o json");
  HttpResponse appeal = SignedRequest(
      gateway_->url(), "POST", "/v1/merchant/risk/appeals",
      R"({"statement":"we bake at night","documents":[{"name":"invoices.pdf","sha256":")" +
          std::string(64, 'a') + R"("}]})",
      MerchantKey{JsonString(key.out, "key_id"), JsonString(key.out, "secret")});
  ASSERT_EQ(appeal.status, 200) << appeal.body;
  std::map<std::string, std::string> env = {
      {"AGGPAY_GATEWAY_URL", gateway_->url()}, {"AGGPAY_MERCHANT_ID", merchant},
      {"AGGPAY_APPEAL_MERCHANT_ID", frozen},   {"AGGPAY_UNBIND_CODE", to_unbind},
      {"AGGPAY_REPLACED_CODE", replaced},      {"AGGPAY_REQUEST_ID", "rr_console_review"}};
  AddConsoleStaff(env, "AGGPAY_OPERATOR", "omar", "operator");
  AddConsoleStaff(env, "AGGPAY_REVIEWER", "rene", "reviewer");
  BrowserRun run = RunBrowserScript("console_code_tools.mjs", env);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT status FROM collection_codes WHERE code_id = '" + to_unbind + "'"),
            "UNBOUND");
  EXPECT_EQ(Query("SELECT c.status, r.status, r.decided_by FROM code_reset_requests r JOIN "
                  "collection_codes c ON c.code_id = r.code_id WHERE r.request_id = "
                  "'rr_console_review'"),
            "REVOKED\tCOMPLETED\tstaff:rene");
  EXPECT_EQ(
      Query("SELECT status, reviewed_by FROM risk_appeals WHERE merchant_id = '" + frozen + "'"),
      "APPROVED\tstaff:rene");
  // The rule's new version, by the reviewer.
  EXPECT_EQ(Query("SELECT params LIKE 'count=25,%', version, updated_by FROM risk_rules WHERE "
                  "rule_id = 'night_small'"),
            "1\t2\tstaff:rene");
}

}  // namespace
}  // namespace aggpay::testing
