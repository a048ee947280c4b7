// What breaks under real conditions, end to end, with two aggpayd instances sharing MariaDB and
// Redis:
//  - a revoked code never resolves PAYABLE after the reset returns, with Redis's client
//    connections dropped, with Redis frozen (SIGSTOP), and with Redis restarted from a snapshot
//    taken before the revoke;
//  - a frozen merchant's codes are MERCHANT_FROZEN on every instance at once, it cannot get new
//    or reset codes, and closing it unbinds its codes and revokes its API keys;
//  - a change committed by an instance killed before its audit entry was appended still gets the
//    entry, exactly once; a reason cut inside a CJK character is still audited; an oversized
//    reason is refused naming the field.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

class HardeningFaultTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    second_ = new AggpaydProcess(SharedServers(), db());
    merchant_ = new std::string(OnboardMerchant("HARDENING_FAULT"));
    store_ = new std::string(CreateStore(*merchant_));
  }
  static void TearDownTestSuite() {
    delete second_;
    delete merchant_;
    delete store_;
    StackTest::TearDownTestSuite();
  }

  static std::string StoreCode(const std::string& merchant, const std::string& store) {
    CommandResult c =
        AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  static std::string Outcome(AggpaydProcess& instance, const std::string& code) {
    auto stub = v1::BindingService::NewStub(TestChannel(instance.grpc_addr()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ResolveCodeRequest req;
    req.set_code(code);
    v1::ResolvedCode resp;
    grpc::Status s = stub->ResolveCode(&ctx, req, &resp);
    return s.ok() ? resp.outcome() : absl::StrCat("ERROR ", s.error_code());
  }

  // Resolves `code` `n` times on each instance; how many answered PAYABLE.
  static int PayableOnBoth(const std::string& code, int n) {
    int payable = 0;
    for (int i = 0; i < n; ++i) {
      payable += Outcome(aggpayd(), code) == "PAYABLE";
      payable += Outcome(*second_, code) == "PAYABLE";
    }
    return payable;
  }

  static void CacheOnBoth(const std::string& code) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(Outcome(aggpayd(), code), "PAYABLE");
      ASSERT_EQ(Outcome(*second_, code), "PAYABLE");
    }
  }

  static CommandResult Redis(const std::string& args) {
    return RunCommand(
        absl::StrCat("redis-cli -p ", SharedServers().redis_port(), " ", args, " 2>&1"));
  }

  static std::string RedisPid() {
    std::ifstream in(SharedServers().dir() + "/redis.pid");
    std::string pid;
    in >> pid;
    return pid;
  }

  static AggpaydProcess* second_;
  static std::string* merchant_;
  static std::string* store_;
};

AggpaydProcess* HardeningFaultTest::second_ = nullptr;
std::string* HardeningFaultTest::merchant_ = nullptr;
std::string* HardeningFaultTest::store_ = nullptr;

TEST_F(HardeningFaultTest, RevokeHoldsAfterRedisDroppedEveryClientConnection) {
  const std::string code = StoreCode(*merchant_, *store_);
  CacheOnBoth(code);
  // What a Redis `timeout`, a proxy's idle timeout or a network blip does to pooled connections.
  CommandResult killed = Redis("CLIENT KILL TYPE normal");
  ASSERT_EQ(killed.exit_code, 0) << killed.out;
  CommandResult reset = AdminCtl("code reset " + code + " --reason DEVICE_LOST --mode IMMEDIATE");
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  EXPECT_EQ(PayableOnBoth(code, 100), 0);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(PayableOnBoth(code, 20), 0);
  EXPECT_EQ(Outcome(aggpayd(), code), "REPLACED");
  EXPECT_EQ(Outcome(*second_, code), "REPLACED");
}

TEST_F(HardeningFaultTest, RevokeHoldsWhileRedisIsFrozen) {
  const std::string code = StoreCode(*merchant_, *store_);
  CacheOnBoth(code);
  const std::string pid = RedisPid();
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(RunCommand("kill -STOP " + pid).exit_code, 0);
  const absl::Time start = absl::Now();
  CommandResult reset = AdminCtl("code reset " + code + " --reason DEVICE_LOST --mode IMMEDIATE");
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(reset.exit_code, 0) << reset.out;
  EXPECT_EQ(PayableOnBoth(code, 10), 0) << "Redis frozen: answers from MySQL";
  ASSERT_EQ(RunCommand("kill -CONT " + pid).exit_code, 0);
  EXPECT_EQ(PayableOnBoth(code, 50), 0) << "Redis thawed with the old entry in it";
  EXPECT_LT(took, absl::Seconds(10));
}

TEST_F(HardeningFaultTest, RevokeHoldsAfterRedisRestartsFromASnapshotTakenBeforeIt) {
  const std::string code = StoreCode(*merchant_, *store_);
  CacheOnBoth(code);
  ASSERT_NE(Redis("GET aggpay:code:" + code).out.find("CV2"), std::string::npos)
      << "the PAYABLE view is cached in Redis";
  ASSERT_NE(Redis("SAVE").out.find("OK"), std::string::npos);
  CommandResult reset = AdminCtl("code reset " + code + " --reason DEVICE_LOST --mode IMMEDIATE");
  ASSERT_EQ(reset.exit_code, 0) << reset.out;
  Redis("SHUTDOWN NOSAVE");
  SharedServers().StartRedis();
  // The snapshot brought the pre-revoke entry back.
  const std::string restored = Redis("GET aggpay:code:" + code).out;
  ASSERT_NE(restored.find("ACTIVE"), std::string::npos) << restored;
  EXPECT_EQ(PayableOnBoth(code, 100), 0);
  EXPECT_EQ(Outcome(aggpayd(), code), "REPLACED");
  EXPECT_EQ(Outcome(*second_, code), "REPLACED");
}

TEST_F(HardeningFaultTest, AFrozenMerchantCannotCollectAndAClosedOneLosesCodesAndKeys) {
  const std::string merchant = OnboardMerchant("HARDENING_FREEZE");
  const std::string store = CreateStore(merchant);
  const std::string code = StoreCode(merchant, store);
  CacheOnBoth(code);
  CommandResult key = AdminCtl("merchant key create " + merchant + " -o json");
  ASSERT_EQ(key.exit_code, 0) << key.out;

  CommandResult freeze = AdminCtl("merchant freeze " + merchant + " --reason 'risk review'");
  ASSERT_EQ(freeze.exit_code, 0) << freeze.out;
  // At once, on both instances, with no merchant details but the name.
  EXPECT_EQ(Outcome(aggpayd(), code), "MERCHANT_FROZEN");
  EXPECT_EQ(Outcome(*second_, code), "MERCHANT_FROZEN");
  EXPECT_EQ(PayableOnBoth(code, 50), 0);
  CommandResult shown = Ctl("", "code resolve " + code + " -o json");
  EXPECT_EQ(JsonString(shown.out, "merchant_display_name"), "Minjiang Tea House") << shown.out;
  EXPECT_NE(shown.out.find("cannot accept payments"), std::string::npos) << shown.out;
  EXPECT_EQ(JsonString(shown.out, "store_id"), "") << shown.out;
  // No new payable code, no reset into one.
  CommandResult issue =
      AdminCtl(absl::StrCat("code issue --merchant ", merchant, " --store ", store));
  EXPECT_NE(issue.exit_code, 0);
  EXPECT_NE(issue.out.find("FAILED_PRECONDITION"), std::string::npos) << issue.out;
  CommandResult reset = AdminCtl("code reset " + code + " --reason DEVICE_LOST --mode IMMEDIATE");
  EXPECT_NE(reset.exit_code, 0);
  EXPECT_NE(reset.out.find("FAILED_PRECONDITION"), std::string::npos) << reset.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM collection_codes WHERE merchant_id = '" + merchant + "'"),
            "1")
      << "nothing written";

  CommandResult unfreeze = AdminCtl("merchant unfreeze " + merchant + " --reason 'cleared'");
  ASSERT_EQ(unfreeze.exit_code, 0) << unfreeze.out;
  EXPECT_EQ(Outcome(aggpayd(), code), "PAYABLE");
  EXPECT_EQ(Outcome(*second_, code), "PAYABLE");

  CommandResult close = AdminCtl("merchant close " + merchant + " --reason 'left the platform'");
  ASSERT_EQ(close.exit_code, 0) << close.out;
  EXPECT_EQ(Outcome(aggpayd(), code), "UNBOUND");
  EXPECT_EQ(Outcome(*second_, code), "UNBOUND");
  EXPECT_EQ(Query("SELECT status FROM collection_codes WHERE code_id = '" + code + "'"), "UNBOUND");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM merchant_api_keys WHERE merchant_id = '" + merchant +
                  "' AND revoked_at IS NULL"),
            "0");
}

TEST_F(HardeningFaultTest, ACommittedChangeGetsItsAuditEntryOnceEvenIfTheProcessDiesFirst) {
  // An instance whose relay holds entries for a minute: killed before it delivers any.
  AggpaydOptions slow;
  slow.audit_config = "{batch_delay: 60s, sweep_interval: 60s}";
  auto doomed = std::make_unique<AggpaydProcess>(SharedServers(), db(), slow);
  CommandResult t =
      AdminCtl(absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                            " --type POS --serial FAULT-KILL-1 --vendor sunmi "
                            "--client-version 8.0.15 -o json"));
  const std::string sn = JsonString(t.out, "terminal_sn");
  ASSERT_FALSE(sn.empty()) << t.out;
  const auto activate = [&](const std::string& device) {
    CommandResult code = AdminCtl(absl::StrCat("terminal code --merchant ", *merchant_, " --store ",
                                               *store_, " --terminal ", sn, " -o json"));
    CommandResult act = Ctl("", "terminal activate --code " + JsonString(code.out, "code") +
                                    " --device-id " + device + " -o json");
    ASSERT_EQ(act.exit_code, 0) << act.out;
  };
  activate("fault-device-1");
  // 199 ASCII characters and one Chinese one: 202 bytes, 200 characters.
  const std::string reason = std::string(199, 'a') + "\xE5\x86\xBB";
  CommandResult off = doomed->Ctl(
      admin_token(), "terminal offline --terminal " + sn + " --reason '" + reason + "' -o json");
  ASSERT_EQ(off.exit_code, 0) << off.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox WHERE action LIKE '%ForceOffline'"), "1")
      << "committed with the change";
  doomed->Kill();
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%ForceOffline' AND target "
                  "= 'terminal:" +
                  sn + "'"),
            "0");
  // The surviving instances sweep rows older than 5 s.
  std::string chained;
  for (int i = 0; i < 100; ++i) {
    chained = Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%ForceOffline'");
    if (chained == "1") break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(chained, "1");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox"), "0");
  absl::SleepFor(absl::Seconds(3));  // another sweep round: still exactly one
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%ForceOffline'"), "1");

  // The same reason through a live instance: the cut at 200 bytes lands on a character boundary
  // and the entry is chained with the reason's characters intact.
  ASSERT_EQ(AdminCtl("terminal clear " + sn).exit_code, 0);
  activate("fault-device-2");
  CommandResult again =
      AdminCtl("terminal offline --terminal " + sn + " --reason '" + reason + "' -o json");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  std::string details;
  for (int i = 0; i < 50; ++i) {
    details = Query(
        "SELECT details FROM audit_log WHERE action LIKE '%ForceOffline' ORDER BY seq "
        "DESC LIMIT 1");
    if (details.find("reason=") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_NE(details.find("reason=" + std::string(195, 'a')), std::string::npos) << details;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%ForceOffline'"), "2");

  // A 64 KB reason is refused, naming the field, and nothing is written.
  const std::string huge(65536, 'x');
  CommandResult refused =
      AdminCtl("terminal offline --terminal " + sn + " --reason '" + huge + "'");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("reason"), std::string::npos) << refused.out.substr(0, 300);

  CommandResult verify = AdminCtl("audit verify -o json");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
}

TEST_F(HardeningFaultTest, AuditVerifyIsCleanWhileAppendsRun) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int i = 0;
    while (!stop.load()) {
      AdminCtl(absl::StrCat("merchant store create ", *merchant_, " --name 'Branch ", i++,
                            "' --address 'Gulou 1'"));
    }
  });
  int clean = 0;
  for (int i = 0; i < 5; ++i) {
    CommandResult verify = AdminCtl("audit verify -o json");
    clean += verify.exit_code == 0;
    EXPECT_EQ(verify.exit_code, 0) << verify.out;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(clean, 5);
}

TEST_F(HardeningFaultTest, NoServiceCalledOutWhileHoldingTheDatabase) {
  for (AggpaydProcess* instance : {&aggpayd(), second_}) {
    auto [status, body] = HttpGet(instance->admin_url() + "/metrics");
    ASSERT_EQ(status, 200);
    EXPECT_NE(body.find("aggpay_outbound_calls_holding_database_total 0\n"), std::string::npos)
        << body.substr(0, 400);
  }
}

}  // namespace
}  // namespace aggpay::testing
