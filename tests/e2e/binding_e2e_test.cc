// Collection codes end to end, with two aggpayd instances sharing MariaDB and Redis: issue,
// resolve through both instances, an IMMEDIATE reset under concurrent resolves (no resolve of the
// old code succeeds after the reset returns), GRACEFUL reset, unbind by scanned URL, Redis down,
// images that decode back to the URL, and merchant self-service resets with one-time passwords.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

class BindingE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    second_ = new AggpaydProcess(SharedServers(), db());
    merchant_ = new std::string(OnboardMerchant("BINDING_E2E"));
    store_ = new std::string(CreateStore(*merchant_));
  }
  static void TearDownTestSuite() {
    delete second_;
    delete merchant_;
    delete store_;
    StackTest::TearDownTestSuite();
  }

  // A new terminal (8.0.15: skins allowed) with a static code; returns {terminal_sn, code_id}.
  static std::pair<std::string, std::string> TerminalWithCode(
      const std::string& serial, const std::string& version = "8.0.15") {
    CommandResult t = AdminCtl(absl::StrCat(
        "terminal register --merchant ", *merchant_, " --store ", *store_, " --type POS --serial ",
        serial, " --vendor sunmi --client-version ", version, " -o json"));
    const std::string sn = JsonString(t.out, "terminal_sn");
    CommandResult c = AdminCtl(absl::StrCat("code issue --merchant ", *merchant_, " --store ",
                                            *store_, " --terminal ", sn, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return {sn, JsonString(c.out, "code_id")};
  }

  static std::string Outcome(AggpaydProcess& instance, const std::string& code) {
    auto stub = v1::BindingService::NewStub(TestChannel(instance.grpc_addr()));
    grpc::ClientContext ctx;
    v1::ResolveCodeRequest req;
    req.set_code(code);
    v1::ResolvedCode resp;
    grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
    return s.ok() ? resp.outcome() : absl::StrCat("ERROR ", s.error_code());
  }

  static AggpaydProcess* second_;
  static std::string* merchant_;
  static std::string* store_;
};

AggpaydProcess* BindingE2eTest::second_ = nullptr;
std::string* BindingE2eTest::merchant_ = nullptr;
std::string* BindingE2eTest::store_ = nullptr;

TEST_F(BindingE2eTest, IssuedCodeResolvesOnBothInstancesWithoutPrivateData) {
  auto [sn, code] = TerminalWithCode("BIND-0001");
  ASSERT_EQ(code.size(), 22u);
  CommandResult r = Ctl("", "code resolve https://pay.aggpay.local/c/" + code + " -o json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(JsonString(r.out, "outcome"), "PAYABLE");
  EXPECT_EQ(JsonString(r.out, "merchant_display_name"), "Minjiang Tea House");
  EXPECT_EQ(JsonString(r.out, "terminal_sn"), sn);
  EXPECT_EQ(r.out.find("13812345678"), std::string::npos);
  EXPECT_EQ(r.out.find(*merchant_), std::string::npos) << "resolve returns nothing private";
  EXPECT_EQ(Outcome(*second_, code), "PAYABLE");
  EXPECT_EQ(Outcome(aggpayd(), "not-a-code"),
            absl::StrCat("ERROR ", grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Outcome(aggpayd(), std::string(22, 'A')),
            absl::StrCat("ERROR ", grpc::StatusCode::NOT_FOUND));
}

TEST_F(BindingE2eTest, NoResolveOfTheOldCodeSucceedsAfterAnImmediateResetReturns) {
  auto [sn, old_code] = TerminalWithCode("BIND-0002");
  std::atomic<bool> reset_returned{false};
  std::atomic<bool> stop{false};
  std::atomic<int> payable_before{0};
  std::atomic<int> payable_after{0};
  std::atomic<int> replaced_after{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      AggpaydProcess& instance = t % 2 == 0 ? aggpayd() : *second_;
      auto stub = v1::BindingService::NewStub(TestChannel(instance.grpc_addr()));
      while (!stop.load()) {
        const bool after = reset_returned.load();  // read before the call starts
        grpc::ClientContext ctx;
        v1::ResolveCodeRequest req;
        req.set_code(old_code);
        v1::ResolvedCode resp;
        grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
        if (!s.ok()) {
          ++errors;
          continue;
        }
        if (resp.outcome() == "PAYABLE") {
          (after ? payable_after : payable_before)++;
        } else if (after) {
          ++replaced_after;
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  CommandResult reset = AdminCtl("code reset " + old_code + " --reason DEVICE_LOST -o json");
  reset_returned.store(true);
  absl::SleepFor(absl::Milliseconds(500));
  stop.store(true);
  for (auto& th : threads) th.join();
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  std::printf(
      "resolves: %d payable before the reset returned, %d replaced after, %d payable after\n",
      payable_before.load(), replaced_after.load(), payable_after.load());
  EXPECT_GT(payable_before.load(), 100) << "the resolvers were running before the reset";
  EXPECT_GT(replaced_after.load(), 100) << "and after it";
  EXPECT_EQ(payable_after.load(), 0) << "a resolve of the old code succeeded after the reset";
  EXPECT_EQ(errors.load(), 0);
  const std::string new_code = JsonString(reset.out.substr(reset.out.find("new_code")), "code_id");
  EXPECT_EQ(Outcome(aggpayd(), new_code), "PAYABLE");
  EXPECT_EQ(Outcome(*second_, new_code), "PAYABLE");
  // Scans of the old code were raised as an alert.
  CommandResult alerts = AdminCtl("code alerts --merchant " + *merchant_ + " -o json");
  EXPECT_NE(alerts.out.find(old_code), std::string::npos) << alerts.out;
}

TEST_F(BindingE2eTest, GracefulResetKeepsTheOldCodeUntilEndedAndTerminalsGetTheNewOne) {
  auto [sn, old_code] = TerminalWithCode("BIND-0003");
  CommandResult bad = AdminCtl("code reset " + old_code + " --reason DEVICE_LOST --mode GRACEFUL");
  EXPECT_NE(bad.out.find("FAILED_PRECONDITION: mode"), std::string::npos) << bad.out;
  CommandResult reset =
      AdminCtl("code reset " + old_code + " --reason DAMAGED --mode GRACEFUL -o json");
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  EXPECT_EQ(Outcome(aggpayd(), old_code), "PAYABLE");
  EXPECT_EQ(Outcome(*second_, old_code), "PAYABLE");
  ASSERT_EQ(AdminCtl("code end-grace " + old_code).exit_code, 0);
  EXPECT_EQ(Outcome(aggpayd(), old_code), "REPLACED");
  EXPECT_EQ(Outcome(*second_, old_code), "REPLACED");
  CommandResult history = AdminCtl("code history --terminal " + sn + " -o json");
  for (const char* event : {"ISSUED", "GRACE_STARTED", "RESET", "GRACE_ENDED"}) {
    EXPECT_NE(history.out.find(absl::StrCat("\"event\":\"", event, "\"")), std::string::npos)
        << event;
  }
}

TEST_F(BindingE2eTest, ResetReachesTheTerminalAtItsNextCheckIn) {
  auto [sn, old_code] = TerminalWithCode("BIND-0004");
  CommandResult code = AdminCtl(absl::StrCat("terminal code --merchant ", *merchant_, " --store ",
                                             *store_, " --terminal ", sn, " -o json"));
  CommandResult act = Ctl("", "terminal activate --code " + JsonString(code.out, "code") +
                                  " --device-id bind-device-0004 -o json");
  ASSERT_EQ(act.exit_code, 0) << act.out;
  EXPECT_NE(act.out.find(old_code), std::string::npos) << "activation delivers the code";
  CommandResult reset = AdminCtl("code reset " + old_code + " --reason DAMAGED -o json");
  EXPECT_NE(reset.out.find(absl::StrCat("\"terminals_holding_old_code\":[\"", sn, "\"]")),
            std::string::npos)
      << reset.out;
  const std::string new_code = JsonString(reset.out.substr(reset.out.find("new_code")), "code_id");
  absl::SleepFor(absl::Seconds(1));
  CommandResult in =
      Ctl("", "terminal check-in " + sn + " --key " + JsonString(act.out, "terminal_key") +
                  " --client-version 8.0.15 -o json");
  ASSERT_EQ(in.exit_code, 0) << in.out;
  EXPECT_NE(in.out.find(new_code), std::string::npos) << in.out;
}

TEST_F(BindingE2eTest, UnbindByScannedUrl) {
  auto [sn, code] = TerminalWithCode("BIND-0005");
  ASSERT_EQ(AdminCtl("code unbind 'https://old-domain.example/c/" + code +
                     "?src=scan' --reason "
                     "'channel change'")
                .exit_code,
            0);
  EXPECT_EQ(Outcome(aggpayd(), code), "UNBOUND");
  EXPECT_EQ(Outcome(*second_, code), "UNBOUND");
  CommandResult again = AdminCtl("code unbind " + code + " --reason again");
  EXPECT_NE(again.out.find("FAILED_PRECONDITION"), std::string::npos);
}

TEST_F(BindingE2eTest, ResolveAnswersFromMysqlWhileRedisIsDown) {
  auto [sn, code] = TerminalWithCode("BIND-0006");
  SharedServers().StopRedis();
  const std::string a = Outcome(aggpayd(), code);
  const std::string b = Outcome(*second_, code);
  SharedServers().StartRedis();
  EXPECT_EQ(a, "PAYABLE");
  EXPECT_EQ(b, "PAYABLE");
  auto metrics = HttpGet(aggpayd().admin_url() + "/metrics");
  EXPECT_NE(metrics.second.find("aggpay_redis_degraded_total{path=\"resolve\"}"),
            std::string::npos);
}

TEST_F(BindingE2eTest, RenderedPngDecodesBackToTheUrl) {
  auto [sn, code] = TerminalWithCode("BIND-0007");
  if (RunCommand("command -v zbarimg").exit_code != 0) GTEST_SKIP() << "zbarimg not installed";
  const std::string png = absl::StrCat(SharedServers().dir(), "/", code, ".png");
  ASSERT_EQ(AdminCtl("code render " + code + " --out " + png).exit_code, 0);
  CommandResult decoded = RunCommand("zbarimg --raw -q " + png);
  EXPECT_EQ(decoded.out, "https://pay.aggpay.local/c/" + code + "\n");
  const std::string skinned = absl::StrCat(SharedServers().dir(), "/", code, "-skin.png");
  ASSERT_EQ(AdminCtl("code render " + code + " --skin --foreground '#123A7B' --logo-area --out " +
                     skinned)
                .exit_code,
            0);
  EXPECT_EQ(RunCommand("zbarimg --raw -q " + skinned).out,
            "https://pay.aggpay.local/c/" + code + "\n");
  // Version 7.0 cannot show skins.
  auto [old_sn, old_code] = TerminalWithCode("BIND-0008", "7.0");
  CommandResult refused = AdminCtl("code render " + old_code + " --skin --out /dev/null");
  EXPECT_NE(refused.out.find("FAILED_PRECONDITION: skin"), std::string::npos) << refused.out;
}

TEST_F(BindingE2eTest, ResolveIsRateLimitedPerClientAddress) {
  auto [sn, code] = TerminalWithCode("BIND-0011");
  // A third instance with a tight limit: 5 per second, burst 5.
  AggpaydProcess tight(SharedServers(), db(), "all", 5);
  int payable = 0;
  std::string refused;
  for (int i = 0; i < 20 && refused.empty(); ++i) {
    const std::string outcome = Outcome(tight, code);
    if (outcome == "PAYABLE") {
      ++payable;
    } else {
      refused = outcome;
    }
  }
  EXPECT_EQ(payable, 5);
  EXPECT_EQ(refused, absl::StrCat("ERROR ", grpc::StatusCode::RESOURCE_EXHAUSTED));
  // Other instances keep their own budget.
  EXPECT_EQ(Outcome(aggpayd(), code), "PAYABLE");
}

// Payers reach ResolveCode through the gateway's cashier page, all from the gateway's address:
// the limit counts each payer by the address the gateway vouches for, not the gateway. A caller
// without the gateway's certificate cannot choose its bucket by sending an address.
TEST_F(BindingE2eTest, ResolveThroughTheGatewayIsLimitedPerPayerNotPerGateway) {
  auto [sn, code] = TerminalWithCode("BIND-0013");
  AggpaydProcess tight(SharedServers(), db(), "all", 5);  // 5 per second, burst 5
  auto gateway = v1::BindingService::NewStub(IdentityChannel(tight.grpc_addr(), "gateway"));
  auto payer = v1::BindingService::NewStub(TestChannel(tight.grpc_addr()));
  const auto resolve = [&](v1::BindingService::Stub& stub, const std::string& address) {
    grpc::ClientContext ctx;
    if (!address.empty()) ctx.AddMetadata("x-aggpay-client-address", address);
    v1::ResolveCodeRequest req;
    req.set_code(code);
    v1::ResolvedCode resp;
    grpc::Status s = stub.ResolveCode(&ctx, req, &resp);
    return s.ok() ? resp.outcome() : absl::StrCat("ERROR ", s.error_code());
  };
  const std::string refused = absl::StrCat("ERROR ", grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Payer A uses up its burst; the gateway's next call for A is refused.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resolve(*gateway, "203.0.113.10"), "PAYABLE") << i;
  EXPECT_EQ(resolve(*gateway, "203.0.113.10"), refused);
  // Payer B, through the same gateway connection, has its own bucket.
  EXPECT_EQ(resolve(*gateway, "203.0.113.11"), "PAYABLE");
  // A direct caller naming B's address is counted as itself (its TCP peer), not as B.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(resolve(*payer, "203.0.113.12"), "PAYABLE") << i;
  EXPECT_EQ(resolve(*payer, "203.0.113.12"), refused);
  EXPECT_EQ(resolve(*gateway, "203.0.113.12"), "PAYABLE") << "the direct caller spent its own";
}

// ResolveCode is served on gRPC's callback API (binding_service.h); the auth interceptor must
// still decide every call. A payer who forges the principal the interceptor hands to handlers
// (a service's, which would be shown the merchant id) is still an anonymous payer, and the call
// is counted in the RPC metrics, which only the interceptor records.
TEST_F(BindingE2eTest, ResolveOnTheCallbackApiStillGoesThroughTheInterceptor) {
  auto [sn, code] = TerminalWithCode("BIND-0012");
  auto stub = v1::BindingService::NewStub(TestChannel(aggpayd().grpc_addr()));
  for (int i = 0; i < 2; ++i) {  // the first from MySQL (off gRPC's threads), then the cache
    grpc::ClientContext ctx;
    // Kind 3 (service) "payment": what the interceptor writes for the payment service.
    ctx.AddMetadata("x-aggpay-principal", "3.cGF5bWVudA...");
    ctx.AddMetadata("x-aggpay-internal", "not-the-secret");
    v1::ResolveCodeRequest req;
    req.set_code(code);
    v1::ResolvedCode resp;
    grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
    if (s.ok()) {
      EXPECT_EQ(resp.outcome(), "PAYABLE");
      EXPECT_EQ(resp.merchant_id(), "") << "a forged principal was believed";
    } else {
      // A wrong internal credential may be refused outright: also not a service.
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
    }
  }
  EXPECT_EQ(Outcome(aggpayd(), code), "PAYABLE");
  const std::string metrics = HttpGet(aggpayd().admin_url() + "/metrics").second;
  const std::regex counted(
      R"re(aggpay_rpc_requests_total\{method="/aggpay.v1.BindingService/ResolveCode",code="OK"\} ([0-9]+))re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics, m, counted)) << "ResolveCode is not in the RPC metrics";
  EXPECT_GE(std::stoll(m[1].str()), 1);
}

TEST_F(BindingE2eTest, MerchantSelfServiceResetWithOneTimePassword) {
  GatewayProcess gateway(aggpayd());
  CommandResult key = AdminCtl("merchant key create " + *merchant_ + " -o json");
  MerchantKey k{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
  auto [sn, code] = TerminalWithCode("BIND-0009");
  HttpResponse list = SignedRequest(gateway.url(), "GET", "/v1/merchant/codes", "", k);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(code), std::string::npos);

  HttpResponse req =
      SignedRequest(gateway.url(), "POST", "/v1/merchant/codes/" + code + "/reset-requests",
                    R"({"reason":"DEVICE_LOST","mode":"IMMEDIATE"})", k);
  ASSERT_EQ(req.status, 200) << req.body;
  const std::string request_id = JsonString(req.body, "request_id");
  EXPECT_EQ(JsonString(req.body, "status"), "PENDING_OTP");
  // The OTP went to the registered phone: the local SMS log.
  std::ifstream sms(aggpayd().sms_log());
  std::stringstream text;
  text << sms.rdbuf();
  std::smatch m;
  const std::string log = text.str();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(request_id + " one-time password ([0-9]{6})")))
      << log;
  const std::string otp = m[1];
  ASSERT_NE(log.find("13812345678"), std::string::npos);
  const std::string wrong = otp == "000000" ? "111111" : "000000";
  HttpResponse bad = SignedRequest(gateway.url(), "POST",
                                   "/v1/merchant/code-reset-requests/" + request_id + "/verify",
                                   absl::StrCat(R"({"otp":")", wrong, R"("})"), k);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(JsonString(bad.body, "field"), "otp");
  EXPECT_EQ(Outcome(aggpayd(), code), "PAYABLE") << "a wrong code changes nothing";
  HttpResponse ok = SignedRequest(gateway.url(), "POST",
                                  "/v1/merchant/code-reset-requests/" + request_id + "/verify",
                                  absl::StrCat(R"({"otp":")", otp, R"("})"), k);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Outcome(aggpayd(), code), "REPLACED");
  EXPECT_EQ(Outcome(*second_, code), "REPLACED");

  // Five wrong codes lock a request.
  auto [sn2, code2] = TerminalWithCode("BIND-0010");
  HttpResponse req2 =
      SignedRequest(gateway.url(), "POST", "/v1/merchant/codes/" + code2 + "/reset-requests",
                    R"({"reason":"DEVICE_LOST","mode":"IMMEDIATE"})", k);
  const std::string id2 = JsonString(req2.body, "request_id");
  HttpResponse last;
  for (int i = 0; i < 5; ++i) {
    last =
        SignedRequest(gateway.url(), "POST", "/v1/merchant/code-reset-requests/" + id2 + "/verify",
                      R"({"otp":"12345x"})", k);
    if (i < 4) {
      EXPECT_EQ(last.status, 400) << last.body;
    }
  }
  EXPECT_EQ(last.status, 412) << last.body;
  EXPECT_NE(last.body.find("locked"), std::string::npos) << last.body;
  EXPECT_EQ(Outcome(aggpayd(), code2), "PAYABLE");

  // Staff review is the fallback.
  HttpResponse review_req =
      SignedRequest(gateway.url(), "POST", "/v1/merchant/codes/" + code2 + "/reset-requests",
                    R"({"reason":"ACCOUNT_BANNED","mode":"IMMEDIATE","staff_review":true})", k);
  const std::string id3 = JsonString(review_req.body, "request_id");
  EXPECT_EQ(JsonString(review_req.body, "status"), "PENDING_REVIEW");
  CommandResult pending = AdminCtl("code requests --status PENDING_REVIEW -o json");
  EXPECT_NE(pending.out.find(id3), std::string::npos);
  CommandResult approved =
      AdminCtl("code review " + id3 + " --approve --reason 'checked by phone' -o json");
  ASSERT_EQ(approved.exit_code, 0) << approved.out;
  EXPECT_EQ(JsonString(approved.out, "status"), "COMPLETED");
  EXPECT_EQ(Outcome(aggpayd(), code2), "REPLACED");

  // Another merchant's code is not found.
  HttpResponse foreign = SignedRequest(
      gateway.url(), "GET", "/v1/merchant/codes/" + std::string(22, 'B') + "/image", "", k);
  EXPECT_EQ(foreign.status, 404);
  HttpResponse alerts = SignedRequest(gateway.url(), "GET", "/v1/merchant/code-alerts", "", k);
  EXPECT_EQ(alerts.status, 200) << alerts.body;
}

}  // namespace
}  // namespace aggpay::testing
