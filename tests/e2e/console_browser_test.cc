// The staff console (/console/ on the gateway) in a real browser (tests/browser/), against real
// MariaDB, Redis, aggpayd and gateway processes: sign-in with a password and TOTP, the session
// cookie's flags and its end on sign-out, CSRF, the audit log and its chain check. And the staff
// REST routes' rule that the interceptor, not the gateway, decides: an auditor's session or
// token is refused what an auditor may not do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/browser.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class ConsoleBrowserTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd(), {});
  }
  static void TearDownTestSuite() {
    delete gateway_;
    StackTest::TearDownTestSuite();
  }

  struct Console {
    std::string staff_id;
    std::string password;
    std::string totp_uri;
  };
  static Console CreateConsoleStaff(const std::string& username, const std::string& role) {
    CommandResult c =
        AdminCtl(absl::StrCat("staff create ", username, " --role ", role, " --console -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return {JsonString(c.out, "staff_id"), JsonString(c.out, "password"),
            JsonString(c.out, "totp_uri")};
  }

  static std::string IssueCode(const std::string& merchant, const std::string& store) {
    CommandResult c =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  static GatewayProcess* gateway_;
};

GatewayProcess* ConsoleBrowserTest::gateway_ = nullptr;

TEST_F(ConsoleBrowserTest, SignInWithPasswordAndTotpThenAuditAndSignOut) {
  Console auditor = CreateConsoleStaff("audrey", "auditor");
  ASSERT_EQ(auditor.password.size(), 20u);
  ASSERT_EQ(auditor.totp_uri.rfind("otpauth://totp/aggpay:audrey?secret=", 0), 0u)
      << auditor.totp_uri;
  BrowserRun run = RunBrowserScript("console_sign_in.mjs", {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                                            {"AGGPAY_USERNAME", "audrey"},
                                                            {"AGGPAY_PASSWORD", auditor.password},
                                                            {"AGGPAY_TOTP_URI", auditor.totp_uri}});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The server's record: one live sign-in ended by sign-out, and the failures counted then
  // cleared by the successful sign-in (2 wrong answers before it, 1 replay after it).
  EXPECT_EQ(Query("SELECT COUNT(*), SUM(ended_at IS NOT NULL) FROM staff_sessions WHERE "
                  "staff_id = '" +
                  auditor.staff_id + "'"),
            "1\t1");
  EXPECT_EQ(Query("SELECT failed_sign_ins, totp_last_step > 0, password_hash LIKE '$argon2id$%' "
                  "FROM staff WHERE staff_id = '" +
                  auditor.staff_id + "'"),
            "1\t1\t1");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE action = "
                  "'/aggpay.v1.AdminService/SignIn' AND target = 'username:audrey'"),
            "4");
}

TEST_F(ConsoleBrowserTest, StaffRoutesTakeABearerTokenAndTheInterceptorDecides) {
  // An auditor's bearer token: the audit log yes, the staff list yes (admin, auditor), but a
  // merchant-signed request or no credential is refused at the gateway.
  Console auditor = CreateConsoleStaff("audit2", "auditor");
  CommandResult token = AdminCtl("token issue " + auditor.staff_id + " -o json");
  ASSERT_EQ(token.exit_code, 0) << token.out;
  const std::string bearer = "Bearer " + JsonString(token.out, "token");
  HttpResponse audit = PlainRequest(gateway_->url(), "GET", "/v1/staff/audit?page_size=5", "",
                                    {{"Authorization", bearer}});
  EXPECT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(PlainRequest(gateway_->url(), "GET", "/v1/staff/audit", "").status, 401);
  EXPECT_EQ(PlainRequest(gateway_->url(), "GET", "/v1/staff/audit", "",
                         {{"Authorization", "Bearer agst_not-a-token"}})
                .status,
            401);

  // An operator may not read the audit log: the services refuse it, whatever the console shows.
  Console op = CreateConsoleStaff("oscar", "operator");
  CommandResult op_token = AdminCtl("token issue " + op.staff_id + " -o json");
  HttpResponse refused =
      PlainRequest(gateway_->url(), "GET", "/v1/staff/audit", "",
                   {{"Authorization", "Bearer " + JsonString(op_token.out, "token")}});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("PERMISSION_DENIED"), std::string::npos) << refused.body;
}

TEST_F(ConsoleBrowserTest, OperatorResetsACodeAuditorMayNotAndTheAuditShowsIt) {
  const std::string merchant = OnboardMerchant("CONSOLE_RESET");
  const std::string store = CreateStore(merchant);
  const std::string code = IssueCode(merchant, store);
  const std::string other = IssueCode(merchant, store);
  Console op = CreateConsoleStaff("olga", "operator");
  Console aud = CreateConsoleStaff("arthur", "auditor");
  // The stack's codes point at the gateway under test (binding.public_base_url).
  const std::string code_url = gateway_->url() + "/c/" + code;
  BrowserRun run = RunBrowserScript("console_code_reset.mjs",
                                    {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                     {"AGGPAY_CODE_URL", code_url},
                                     {"AGGPAY_OTHER_CODE_URL", gateway_->url() + "/c/" + other},
                                     {"AGGPAY_OPERATOR", "olga"},
                                     {"AGGPAY_OPERATOR_PASSWORD", op.password},
                                     {"AGGPAY_OPERATOR_TOTP_URI", op.totp_uri},
                                     {"AGGPAY_AUDITOR", "arthur"},
                                     {"AGGPAY_AUDITOR_PASSWORD", aud.password},
                                     {"AGGPAY_AUDITOR_TOTP_URI", aud.totp_uri}});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string new_code = run.results["NEW_CODE_ID"];
  ASSERT_FALSE(new_code.empty()) << run.output;
  // The rows: the old code revoked and replaced, the other untouched.
  EXPECT_EQ(
      Query("SELECT status, replaced_by FROM collection_codes WHERE code_id = '" + code + "'"),
      "REVOKED\t" + new_code);
  EXPECT_EQ(Query("SELECT status FROM collection_codes WHERE code_id = '" + other + "'"), "ACTIVE");
}

TEST_F(ConsoleBrowserTest, ReviewerApprovesASubmittedApplication) {
  // Applied and submitted as an operator would, not yet reviewed.
  std::ifstream in(SourceDir() + "/docs/examples/application.json");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string path = SharedServers().dir() + "/console_review.json";
  std::ofstream(path) << absl::StrReplaceAll(buf.str(),
                                             {{"APPLY_20261126_0001", "CONSOLE_REVIEW"}});
  CommandResult applied = AdminCtl("merchant apply -o json --file " + path);
  const std::string id = JsonString(applied.out, "merchant_id");
  ASSERT_FALSE(id.empty()) << applied.out;
  ASSERT_EQ(AdminCtl("merchant submit " + id).exit_code, 0);
  Console rita = CreateConsoleStaff("rita", "reviewer");
  BrowserRun run =
      RunBrowserScript("console_review.mjs", {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                              {"AGGPAY_MERCHANT_ID", id},
                                              {"AGGPAY_REVIEWER", "rita"},
                                              {"AGGPAY_REVIEWER_PASSWORD", rita.password},
                                              {"AGGPAY_REVIEWER_TOTP_URI", rita.totp_uri}});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + id + "'"), "ACTIVE");
  // The review as the reviewer made it, in the audit chain.
  EXPECT_EQ(Query("SELECT outcome FROM audit_log WHERE actor = 'staff:rita' AND action = "
                  "'/aggpay.v1.MerchantService/ApproveApplication' AND target LIKE '%" +
                  id + "%'"),
            "OK");
}

TEST_F(ConsoleBrowserTest, FinanceDownloadsAStatement) {
  // A settled business day: the calendar, a generated Thursday (26 November 2026), its batch.
  ASSERT_EQ(ImportCnCalendar().exit_code, 0);
  CommandResult gen = GenerateDay(
      "--date 2026-11-26 --payments 40 --merchants 2 --refund-ratio 0 --seed 7 "
      "--merchant-prefix cst");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  CommandResult settle = SettleDay("2026-11-26");
  ASSERT_EQ(settle.exit_code, 0) << settle.out;
  Console fay = CreateConsoleStaff("fay", "finance");
  const std::string downloads = SharedServers().dir() + "/console-downloads";
  std::filesystem::create_directories(downloads);
  BrowserRun run =
      RunBrowserScript("console_statement.mjs", {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                                 {"AGGPAY_MERCHANT_ID", "cst0"},
                                                 {"AGGPAY_DATE", "2026-11-26"},
                                                 {"AGGPAY_DOWNLOAD_DIR", downloads},
                                                 {"AGGPAY_FINANCE", "fay"},
                                                 {"AGGPAY_FINANCE_PASSWORD", fay.password},
                                                 {"AGGPAY_FINANCE_TOTP_URI", fay.totp_uri}});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The file is the statement aggpayctl gives.
  CommandResult cli = AdminCtl("settlement statement --merchant cst0 --date 2026-11-26");
  ASSERT_EQ(cli.exit_code, 0) << cli.out;
  std::ifstream in(downloads + "/statement-cst0-2026-11-26.csv");
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(file.empty());
  EXPECT_NE(cli.out.find(file.substr(0, file.find('\n'))), std::string::npos) << file;
}

}  // namespace
}  // namespace aggpay::testing
