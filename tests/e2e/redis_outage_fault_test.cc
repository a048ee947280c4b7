// Redis stopped, frozen (SIGSTOP) and restarted under one aggpayd and its gateway:
//  - resolves and payments keep working from MySQL, each call well inside its deadline, with
//    several callers at once while Redis is frozen;
//  - risk rules fail by their configured mode: OPEN lets the payment through flagged REVIEW,
//    CLOSED refuses it, and nobody is frozen;
//  - a code revoked while Redis is down never pays again, after Redis comes back empty or from
//    a snapshot taken before the revoke;
//  - a signed merchant change is refused UNAVAILABLE while nonces cannot be checked, and a
//    request accepted before the outage is refused when replayed after it, Redis restarted
//    empty included.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "tests/e2e/fault_payments.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

// A call that must not wait on Redis past this: the Redis client's timeouts are 200 ms.
constexpr absl::Duration kBound = absl::Milliseconds(1500);

class RedisOutageFaultTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    merchant_ = new std::string(OnboardMerchant("REDIS_OUTAGE"));
    store_ = new std::string(CreateStore(*merchant_));
  }
  static void TearDownTestSuite() {
    delete merchant_;
    delete store_;
    StackTest::TearDownTestSuite();
  }
  void TearDown() override {
    // Whatever an assertion left behind, the next test starts with a running Redis.
    RunCommand(absl::StrCat("kill -CONT $(cat ", SharedServers().dir(), "/redis.pid) 2>/dev/null"));
    if (Redis("PING").out.find("PONG") == std::string::npos) SharedServers().StartRedis();
  }

  static std::string IssueCode() {
    CommandResult c = AdminCtl(
        absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  struct Resolved {
    std::string outcome;
    absl::Duration took;
  };
  static Resolved Resolve(const std::string& code) {
    auto stub = v1::BindingService::NewStub(aggpayd().Channel());
    grpc::ClientContext ctx;
    FaultDeadline(ctx, absl::Seconds(3));
    v1::ResolveCodeRequest req;
    req.set_code(code);
    v1::ResolvedCode resp;
    const absl::Time start = absl::Now();
    grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
    return {s.ok() ? resp.outcome() : absl::StrCat("ERROR ", s.error_code()), absl::Now() - start};
  }

  static CommandResult Redis(const std::string& args) {
    return RunCommand(
        absl::StrCat("redis-cli -p ", SharedServers().redis_port(), " ", args, " 2>&1"));
  }
  // Redis started again with nothing in it (no snapshot to load).
  static void RestartRedisEmpty() {
    SharedServers().StopRedis();
    RunCommand(absl::StrCat("rm -f ", SharedServers().dir(), "/dump.rdb"));
    SharedServers().StartRedis();
  }

  // Payments of `code` created while Redis is in whatever state the caller put it in: how many
  // succeeded, and the slowest call. `payers_at_once` payers, `each` payments each.
  struct Burst {
    int ok = 0;
    int review = 0;
    absl::Duration slowest;
    std::string errors;
  };
  static Burst PayBurst(const std::string& code, const std::string& tag, int each,
                        int payers_at_once = 3) {
    Burst out;
    std::mutex mu;
    std::vector<std::thread> payers;
    for (int t = 0; t < payers_at_once; ++t) {
      payers.emplace_back([&, t] {
        auto stub = PaymentStub(aggpayd());
        for (int n = 0; n < each; ++n) {
          PaymentAnswer p = PayCode(*stub, code, kAboveNightSmall + n,
                                    absl::StrCat(tag, "-", t, "-", n), absl::Seconds(3));
          Resolved r = Resolve(code);
          std::lock_guard lock(mu);
          out.slowest = std::max({out.slowest, p.took, r.took});
          if (p.status.ok() && r.outcome == "PAYABLE") ++out.ok;
          if (p.status.ok() && p.payment.risk_decision() == "REVIEW") ++out.review;
          if (!p.status.ok()) {
            absl::StrAppend(&out.errors, p.status.error_code(), " ", p.status.error_message(),
                            "\n");
          }
          if (r.outcome != "PAYABLE") absl::StrAppend(&out.errors, "resolve: ", r.outcome, "\n");
        }
      });
    }
    for (auto& t : payers) t.join();
    return out;
  }

  static std::string* merchant_;
  static std::string* store_;
};

std::string* RedisOutageFaultTest::merchant_ = nullptr;
std::string* RedisOutageFaultTest::store_ = nullptr;

TEST_F(RedisOutageFaultTest, ResolvesAndPaymentsKeepWorkingStoppedFrozenAndRestarted) {
  const std::string code = IssueCode();
  Burst up = PayBurst(code, "up", 2);
  EXPECT_EQ(up.ok, 6) << up.errors;

  SharedServers().StopRedis();
  Burst stopped = PayBurst(code, "stopped", 3);
  EXPECT_EQ(stopped.ok, 9) << stopped.errors;
  EXPECT_LT(stopped.slowest, kBound);
  // OPEN rules whose counters cannot be read let the payment through, flagged.
  EXPECT_EQ(stopped.review, 9);

  SharedServers().StartRedis();
  SharedServers().FreezeRedis();
  // Twelve payers at once: more callers than the Redis client has connections.
  Burst frozen = PayBurst(code, "frozen", 1, 12);
  SharedServers().ThawRedis();
  EXPECT_EQ(frozen.ok, 12) << frozen.errors;
  EXPECT_LT(frozen.slowest, kBound) << "a frozen Redis holds calls up to its timeouts only";
  EXPECT_EQ(frozen.review, 12);

  RestartRedisEmpty();
  Burst restarted;
  int rounds = 0;
  for (int i = 0; i < 50; ++i) {  // the client reconnects after its back-off
    ++rounds;
    restarted = PayBurst(code, absl::StrCat("restarted", i), 1);
    if (restarted.review == 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(restarted.ok, 3) << restarted.errors;
  EXPECT_EQ(restarted.review, 0) << "risk reads its counters again";
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_freezes"), "0") << "an outage freezes no one";
  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE code_id = '" + code + "'"),
            absl::StrCat(6 + 9 + 12 + 3 * rounds))
      << "one payment per request";
  CommandResult ledger = AdminCtl("ledger check -o json");
  EXPECT_NE(ledger.out.find("\"ok\":true"), std::string::npos) << ledger.out;
}

TEST_F(RedisOutageFaultTest, RiskRulesFailByTheirConfiguredModeWhileRedisIsDown) {
  const std::string code = IssueCode();
  auto stub = PaymentStub(aggpayd());
  const auto pay = [&](const std::string& id, const std::string& device) {
    v1::CreateCodePaymentRequest req;
    req.set_code(code);
    req.mutable_amount()->set_currency("CNY");
    req.mutable_amount()->set_amount_minor(2500);
    req.set_wallet("wechat");
    req.set_client_request_id(id);
    req.set_device_id(device);
    grpc::ClientContext ctx;
    FaultDeadline(ctx, absl::Seconds(3));
    v1::Payment p;
    grpc::Status s = stub->CreateCodePayment(&ctx, req, &p);
    return s.ok() ? p.risk_decision() : absl::StrCat("ERROR ", s.error_code());
  };
  ASSERT_EQ(pay("risk-up", "risk-device"), "ALLOW");
  const std::string events_before = Query("SELECT COUNT(*) FROM risk_events");

  for (const bool frozen : {false, true}) {
    SCOPED_TRACE(frozen ? "Redis frozen" : "Redis stopped");
    const std::string tag = frozen ? "frozen" : "stopped";
    if (frozen) {
      SharedServers().FreezeRedis();
    } else {
      SharedServers().StopRedis();
    }
    // Daytime, no device: amount_surge and foreign_ip are in scope, both OPEN.
    const std::string open = pay("risk-open-" + tag, "");
    // A device id brings device_hopping (CLOSED) into scope: refused.
    const std::string closed = pay("risk-closed-" + tag, "risk-device");
    if (frozen) {
      SharedServers().ThawRedis();
    } else {
      SharedServers().StartRedis();
    }
    EXPECT_EQ(open, "REVIEW");
    EXPECT_EQ(closed, absl::StrCat("ERROR ", grpc::StatusCode::FAILED_PRECONDITION));
  }
  // Staff make amount_surge fail closed: the payment without a device is refused too.
  CommandResult set = AdminCtl("risk set amount_surge --fail-mode CLOSED --reason 'outage drill'");
  ASSERT_EQ(set.exit_code, 0) << set.out;
  SharedServers().StopRedis();
  const std::string refused = pay("risk-surge-closed", "");
  SharedServers().StartRedis();
  ASSERT_EQ(AdminCtl("risk set amount_surge --fail-mode OPEN --reason 'drill over'").exit_code, 0);
  EXPECT_EQ(refused, absl::StrCat("ERROR ", grpc::StatusCode::FAILED_PRECONDITION));

  EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE client_request_id LIKE 'risk-closed-%' OR "
                  "client_request_id = 'risk-surge-closed'"),
            "0")
      << "nothing written for a refused payment";
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_freezes"), "0") << "an outage freezes no one";
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_events"), absl::StrCat(std::stoi(events_before) + 5))
      << "every fallback decision is recorded";
}

TEST_F(RedisOutageFaultTest, ACodeRevokedWhileRedisIsDownNeverPaysAgain) {
  for (const bool from_snapshot : {false, true}) {
    SCOPED_TRACE(from_snapshot ? "Redis back from a snapshot taken before the revoke"
                               : "Redis back empty");
    const std::string code = IssueCode();
    // Resolved until the view is cached (the client may still be backing off a restart).
    for (int i = 0;
         i < 50 && Redis("GET aggpay:code:" + code).out.find("ACTIVE") == std::string::npos; ++i) {
      ASSERT_EQ(Resolve(code).outcome, "PAYABLE");
      absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_NE(Redis("GET aggpay:code:" + code).out.find("ACTIVE"), std::string::npos)
        << "the PAYABLE view is cached";
    if (from_snapshot) {
      ASSERT_NE(Redis("SAVE").out.find("OK"), std::string::npos);
    }
    SharedServers().StopRedis();
    if (!from_snapshot) RunCommand(absl::StrCat("rm -f ", SharedServers().dir(), "/dump.rdb"));
    CommandResult reset =
        AdminCtl("code reset " + code + " --reason DEVICE_LOST --mode IMMEDIATE -o json");
    ASSERT_EQ(reset.exit_code, 0) << reset.out;
    auto stub = PaymentStub(aggpayd());
    PaymentAnswer during = PayCode(*stub, code, kAboveNightSmall, "rvd-" + code);
    EXPECT_EQ(during.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(Resolve(code).outcome, "REPLACED");
    SharedServers().StartRedis();
    if (from_snapshot) {
      ASSERT_NE(Redis("GET aggpay:code:" + code).out.find("ACTIVE"), std::string::npos)
          << "the snapshot brought the pre-revoke entry back";
    }
    int paid = 0;
    for (int i = 0; i < 5; ++i) {
      PaymentAnswer after =
          PayCode(*stub, code, kAboveNightSmall, absl::StrCat("rva", i, "-", code));
      paid += after.status.ok();
      paid += Resolve(code).outcome == "PAYABLE";
    }
    EXPECT_EQ(paid, 0);
    EXPECT_EQ(Resolve(code).outcome, "REPLACED");
    EXPECT_EQ(Query("SELECT COUNT(*) FROM payments WHERE code_id = '" + code + "'"), "0");
    // The new code pays.
    const std::string fresh =
        Query("SELECT replaced_by FROM collection_codes WHERE code_id = '" + code + "'");
    ASSERT_FALSE(fresh.empty());
    EXPECT_TRUE(PayCode(*stub, fresh, kAboveNightSmall, "new-" + fresh).status.ok());
  }
}

TEST_F(RedisOutageFaultTest, NoSignedChangeIsReplayedAcrossAnOutage) {
  GatewayProcess gateway(aggpayd());
  CommandResult created = AdminCtl("merchant key create " + *merchant_ + " -o json");
  const MerchantKey key{JsonString(created.out, "key_id"), JsonString(created.out, "secret")};
  ASSERT_FALSE(key.secret.empty()) << created.out;
  const std::string body = R"({"notify_url":"http://127.0.0.1:9/notify"})";
  SignOptions first;
  first.nonce = "outage-nonce-first-0001";
  // Ten seconds ago (inside the 300 s window): before the restarts below by more than the nonce
  // guard's 2 s of slack. This Redis's memory of nonces began a minute ago (the earlier tests'
  // restarts set it later).
  first.timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) - 10);
  ASSERT_EQ(Redis(absl::StrCat("SET aggpay:nonce-since ", absl::ToUnixSeconds(absl::Now()) - 60))
                .exit_code,
            0);
  // (Retried while the Redis client still backs off the previous test's restart: a refused
  // request records no nonce.)
  HttpResponse accepted;
  for (int i = 0; i < 50; ++i) {
    accepted = SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, first);
    if (accepted.status != 503) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(accepted.status, 200) << accepted.body;

  for (const bool frozen : {false, true}) {
    SCOPED_TRACE(frozen ? "Redis frozen" : "Redis stopped");
    SignOptions fresh;
    fresh.nonce = frozen ? "outage-nonce-frozen-01" : "outage-nonce-stopped-1";
    if (frozen) {
      SharedServers().FreezeRedis();
    } else {
      SharedServers().StopRedis();
    }
    const absl::Time start = absl::Now();
    HttpResponse change =
        SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, fresh);
    HttpResponse replay =
        SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, first);
    HttpResponse read = SignedRequest(gateway.url(), "GET", "/v1/merchant", "", key);
    const absl::Duration took = absl::Now() - start;
    if (frozen) {
      SharedServers().ThawRedis();
    } else {
      SharedServers().StartRedis();
    }
    EXPECT_EQ(change.status, 503) << change.body;
    EXPECT_EQ(replay.status, 503) << replay.body;
    EXPECT_EQ(read.status, 200) << "reads fail open: " << read.body;
    EXPECT_LT(took, 3 * kBound);
  }
  // Redis is back: the request accepted before the outage is still refused, and so after a
  // restart that lost every nonce.
  HttpResponse after;
  for (int i = 0; i < 50; ++i) {
    after = SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, first);
    if (after.status != 503) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after.status, 401) << after.body;
  RestartRedisEmpty();
  for (int i = 0; i < 50; ++i) {
    after = SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, first);
    if (after.status != 503) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after.status, 401) << "replayed after Redis lost its nonces: " << after.body;
  // A freshly signed change passes once.
  SignOptions again;
  again.nonce = "outage-nonce-after-0001";
  EXPECT_EQ(SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, again).status,
            200);
  EXPECT_EQ(SignedRequest(gateway.url(), "PUT", "/v1/merchant/webhook", body, key, again).status,
            401);
}

}  // namespace
}  // namespace aggpay::testing
