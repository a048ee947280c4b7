// The payer's cashier page (/c/<code_id> on the gateway) in a real browser: Debian's chromium,
// headless, driven by puppeteer-core (tests/browser/), against real MariaDB, Redis, aggpayd and
// gateway processes seeded as staff do (aggpayctl). Scan -> amount -> sandbox pay -> success;
// a replaced code's page; a frozen merchant's page; a double tap that makes one payment. And the
// payer's status RPC, which only the payment's own page view can read.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "tests/support/browser.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

// docs/examples/application.json, which OnboardMerchant applies with.
constexpr char kDisplayName[] = "Minjiang Tea House";

class CashierBrowserTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    // The local stack's settings: the sandbox channel behind the gateway; a limit per address
    // that the scenarios, all from 127.0.0.1, stay under.
    gateway_ = new GatewayProcess(
        aggpayd(), {"--cashier-sandbox", "--public-rate", "50", "--public-burst", "50"});
    merchant_ = new std::string(OnboardMerchant("CASHIER_E2E"));
    store_ = new std::string(CreateStore(*merchant_));
  }
  static void TearDownTestSuite() {
    delete gateway_;
    delete merchant_;
    delete store_;
    StackTest::TearDownTestSuite();
  }

  static std::string IssueCode(const std::string& merchant, const std::string& store) {
    CommandResult c =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  static BrowserRun Browse(const std::string& script, const std::string& code) {
    return RunBrowserScript(script, {{"AGGPAY_GATEWAY_URL", gateway_->url()},
                                     {"AGGPAY_CODE_ID", code},
                                     {"AGGPAY_MERCHANT_NAME", kDisplayName}});
  }

  static std::unique_ptr<v1::PaymentService::Stub> Payments() {
    return v1::PaymentService::NewStub(TestChannel(aggpayd().grpc_addr()));
  }

  static GatewayProcess* gateway_;
  static std::string* merchant_;
  static std::string* store_;
};

GatewayProcess* CashierBrowserTest::gateway_ = nullptr;
std::string* CashierBrowserTest::merchant_ = nullptr;
std::string* CashierBrowserTest::store_ = nullptr;

TEST_F(CashierBrowserTest, ScanAmountPayInTheSandboxSuccess) {
  const std::string code = IssueCode(*merchant_, *store_);
  BrowserRun run = Browse("cashier_pay.mjs", code);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string id = run.results["PAYMENT_ID"];
  ASSERT_FALSE(id.empty()) << run.output;
  std::printf("first cashier page: %s bytes transferred\n",
              run.results["FIRST_PAGE_BYTES"].c_str());
  // The payment as the page made it: the amount typed, the wallet chosen, the payer's address as
  // the gateway saw it, the page view's key; paid through the sandbox.
  EXPECT_EQ(Query("SELECT code_id, merchant_id, amount_minor, currency, wallet, status, payer_ip, "
                  "client_request_id LIKE 'cq%' FROM payments WHERE payment_id = '" +
                  id + "'"),
            absl::StrCat(code, "\t", *merchant_, "\t1234\tCNY\talipay\tSUCCESS\t127.0.0.1\t1"));
}

TEST_F(CashierBrowserTest, AReplacedCodeShowsTheReplacedPage) {
  const std::string code = IssueCode(*merchant_, *store_);
  CommandResult reset = AdminCtl("code reset " + code + " --reason DEVICE_LOST -o json");
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  BrowserRun run = Browse("cashier_replaced.mjs", code);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // The scan of the replaced code was raised to the merchant as an alert, with the payer's
  // address as the gateway saw it.
  EXPECT_EQ(Query("SELECT DISTINCT client FROM code_alerts WHERE code_id = '" + code + "'"),
            "127.0.0.1");
}

TEST_F(CashierBrowserTest, AFrozenMerchantsCodeShowsItsPage) {
  const std::string merchant = OnboardMerchant("CASHIER_FROZEN");
  const std::string code = IssueCode(merchant, CreateStore(merchant));
  ASSERT_EQ(AdminCtl("merchant freeze " + merchant + " --reason 'risk review'").exit_code, 0);
  BrowserRun run = Browse("cashier_frozen.mjs", code);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE merchant_id = '" + merchant + "'"), "0");
}

TEST_F(CashierBrowserTest, ADoubleTappedPayButtonMakesOnePayment) {
  const std::string code = IssueCode(*merchant_, *store_);
  BrowserRun run = Browse("cashier_double_tap.mjs", code);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(Query("SELECT COUNT(*), MIN(payment_id), MIN(amount_minor), MIN(wallet), MIN(status) "
                  "FROM payments WHERE code_id = '" +
                  code + "'"),
            absl::StrCat("1\t", run.results["PAYMENT_ID"], "\t880\twechat\tSUCCESS"));
}

TEST_F(CashierBrowserTest, EveryStepWorksWithoutTheScript) {
  const std::string code = IssueCode(*merchant_, *store_);
  BrowserRun run = Browse("cashier_no_script.mjs", code);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // The refused amount made no payment; the second one did, and was paid.
  EXPECT_EQ(Query("SELECT COUNT(*), MIN(payment_id), MIN(amount_minor), MIN(status) FROM payments "
                  "WHERE code_id = '" +
                  code + "'"),
            absl::StrCat("1\t", run.results["PAYMENT_ID"], "\t399\tSUCCESS"));
}

TEST_F(CashierBrowserTest, PaymentStatusIsForThePaymentsOwnPageViewOnly) {
  const std::string code = IssueCode(*merchant_, *store_);
  const std::string key = "cq0123456789abcdef0123456789abcd";
  HttpResponse created = PlainRequest(
      gateway_->url(), "POST", "/v1/public/payments",
      absl::StrCat(R"({"code":")", code,
                   R"(","amount":{"currency":"CNY","amount_minor":"500"},"wallet":"wechat",)",
                   R"("client_request_id":")", key, R"("})"));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string id = JsonString(created.body, "payment_id");
  // Created without a key (aggpayctl, a terminal's flow): no payer can read it.
  CommandResult keyless = AdminCtl("sandbox scan " + code + " --amount 1.00 -o json");
  ASSERT_EQ(keyless.exit_code, 0) << keyless.out;
  const std::string keyless_id = JsonString(keyless.out, "payment_id");

  auto stub = Payments();
  auto ask = [&](const std::string& payment, const std::string& k, v1::PaymentStatus* out) {
    grpc::ClientContext ctx;  // anonymous: no credential at all
    v1::GetPaymentStatusRequest req;
    req.set_payment_id(payment);
    req.set_client_request_id(k);
    return stub->GetPaymentStatus(&ctx, req, out);
  };
  v1::PaymentStatus st;
  grpc::Status ok = ask(id, key, &st);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(st.payment_id(), id);
  EXPECT_EQ(st.status(), "PAYING");
  EXPECT_EQ(st.amount().amount_minor(), 500);
  EXPECT_EQ(st.amount().currency(), "CNY");
  EXPECT_FALSE(st.has_paid_at());

  for (const auto& [payment, k] : std::vector<std::pair<std::string, std::string>>{
           {id, "cq0123456789abcdef0123456789abce"},  // another page view's key
           {keyless_id, key},                         // a payment made without a key
           {"01ZZZZZZZZZZZZZZZZZZZZZZZZ", key},       // no such payment
       }) {
    v1::PaymentStatus none;
    grpc::Status s = ask(payment, k, &none);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << payment << " " << k;
    EXPECT_EQ(s.error_message(), "payment not found");
    EXPECT_TRUE(none.payment_id().empty());
  }
  v1::PaymentStatus none;
  grpc::Status bad = ask(id, "", &none);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("client_request_id"), std::string::npos)
      << bad.error_message();

  ASSERT_EQ(AdminCtl("sandbox pay " + id).exit_code, 0);
  for (int i = 0; i < 100 && st.status() != "SUCCESS"; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(ask(id, key, &st).ok());
  }
  EXPECT_EQ(st.status(), "SUCCESS");
  EXPECT_TRUE(st.has_paid_at());
}

}  // namespace
}  // namespace aggpay::testing
