// The platform core end to end: aggpayd started as a process, driven through aggpayctl and the
// operator's HTTP port as staff and operators drive them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "aggpay/v1/admin.grpc.pb.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class PlatformE2eTest : public StackTest {
 protected:
  static const std::string& admin() { return admin_token(); }
};

TEST_F(PlatformE2eTest, OperatorEndpointsAnswer) {
  EXPECT_EQ(HttpGet(absl::StrCat(aggpayd().admin_url(), "/healthz")).first, 200);
  auto ready = HttpGet(absl::StrCat(aggpayd().admin_url(), "/readyz"));
  EXPECT_EQ(ready.first, 200);
  EXPECT_NE(ready.second.find("mysql: ok"), std::string::npos);
  EXPECT_NE(ready.second.find("redis: ok"), std::string::npos);
  ASSERT_EQ(Ctl(admin(), "whoami").exit_code, 0);
  auto metrics = HttpGet(absl::StrCat(aggpayd().admin_url(), "/metrics"));
  EXPECT_EQ(metrics.first, 200);
  EXPECT_NE(metrics.second.find(
                "aggpay_rpc_requests_total{method=\"/aggpay.v1.AdminService/WhoAmI\",code=\"OK\"}"),
            std::string::npos);
  EXPECT_NE(metrics.second.find("aggpay_rpc_latency_seconds_bucket"), std::string::npos);
}

// The ids of the process's threads now.
std::set<int> ThreadsOf(pid_t pid) {
  std::set<int> out;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"))) {
    int tid = 0;
    if (absl::SimpleAtoi(entry.path().filename().string(), &tid)) out.insert(tid);
  }
  return out;
}

// Under steady concurrency the server answers on the threads it already has: gRPC's default
// (2 idle threads kept) ended every other thread as its call was answered and created a new one
// for the next, thousands a second (grpc_sync_max_pollers, docs/performance.md).
TEST_F(PlatformE2eTest, SteadyConcurrentCallsAreAnsweredByThreadsThatStay) {
  auto stub = v1::AdminService::NewStub(aggpayd().Channel());
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  auto caller = [&] {
    while (!stop.load()) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin_token());
      v1::Principal who;
      grpc::Status status = stub->WhoAmI(&ctx, v1::WhoAmIRequest(), &who);
      (status.ok() ? answered : failed).fetch_add(1);
    }
  };
  std::vector<std::thread> callers;
  for (int i = 0; i < 16; ++i) callers.emplace_back(caller);
  // Let the server grow to the load, then watch its threads for two seconds.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int answered_before = answered.load();
  const std::set<int> at_start = ThreadsOf(aggpayd().pid());
  std::set<int> created;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < until) {
    for (int tid : ThreadsOf(aggpayd().pid())) {
      if (!at_start.contains(tid)) created.insert(tid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int answered_while_watched = answered.load() - answered_before;
  stop = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_GT(answered_while_watched, 1000);
  // A few threads may still join as the load shifts; the old behaviour showed hundreds.
  EXPECT_LE(created.size(), 16u) << answered_while_watched << " calls answered while "
                                 << created.size() << " threads were created";
}

TEST_F(PlatformE2eTest, AdminCreatesStaffWhoActWithinTheirRole) {
  const std::string auditor = StaffToken("audrey", "auditor");
  CommandResult who = Ctl(auditor, "whoami -o json");
  ASSERT_EQ(who.exit_code, 0) << who.out;
  EXPECT_NE(who.out.find("\"role\":\"auditor\""), std::string::npos);
  EXPECT_EQ(Ctl(auditor, "audit list").exit_code, 0);

  CommandResult denied = Ctl(auditor, "staff create mallory --role admin");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.out.find("PERMISSION_DENIED"), std::string::npos);
  // Nothing was created.
  CommandResult list = Ctl(admin(), "staff list -o json");
  EXPECT_EQ(list.out.find("mallory"), std::string::npos);
}

TEST_F(PlatformE2eTest, BadCredentialsAreUnauthenticated) {
  CommandResult bad = Ctl("agst_not-a-real-token", "whoami");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("UNAUTHENTICATED"), std::string::npos);
  CommandResult none = Ctl("", "staff list");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("UNAUTHENTICATED"), std::string::npos);
}

TEST_F(PlatformE2eTest, RevokedTokenStopsWorking) {
  const std::string token = StaffToken("rita", "reviewer");
  ASSERT_EQ(Ctl(token, "whoami").exit_code, 0);
  CommandResult tokens = Ctl(admin(), "audit list --limit 500 -o json");
  // The token id is in the audit details of the IssueToken entry.
  const std::string key = "token_id=";
  const size_t at = tokens.out.rfind(key);
  ASSERT_NE(at, std::string::npos);
  const std::string token_id = tokens.out.substr(at + key.size(), 16);
  ASSERT_EQ(Ctl(admin(), absl::StrCat("token revoke ", token_id)).exit_code, 0);
  // The auth cache holds answers for at most 5 s.
  int code = 0;
  for (int i = 0; i < 70 && code == 0; ++i) {
    code = Ctl(token, "whoami").exit_code;
    if (code == 0) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(code, 1);
}

TEST_F(PlatformE2eTest, EveryMutatingCallIsAuditedAndTamperingIsCaught) {
  ASSERT_EQ(Ctl(admin(), "staff create ollie --role operator").exit_code, 0);
  EXPECT_EQ(Ctl(admin(), "staff create ollie --role operator").exit_code, 1);
  CommandResult list = Ctl(admin(),
                           "audit list --limit 500 --action "
                           "/aggpay.v1.AdminService/CreateStaff -o json");
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("\"outcome\":\"ALREADY_EXISTS\""), std::string::npos);
  EXPECT_NE(list.out.find("\"target\":\"username:ollie\""), std::string::npos);

  CommandResult ok = Ctl(admin(), "audit verify");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("intact"), std::string::npos);

  SharedServers().Sql(db().database, "UPDATE audit_log SET actor = 'staff:nobody' WHERE seq = 2");
  CommandResult broken = Ctl(admin(), "audit verify -o json");
  EXPECT_EQ(broken.exit_code, 3);
  EXPECT_NE(broken.out.find("\"first_broken_seq\":2"), std::string::npos) << broken.out;
}

TEST(AggpaydStartupTest, BadConfigAndUnreachableMysqlFailWithClearMessages) {
  const std::string binary = absl::StrCat(BuildDir(), "/services/aggpayd/aggpayd");
  const std::string config = absl::StrCat(SharedServers().dir(), "/bad.yaml");
  std::ofstream(config) << "mysql: {port: 70000}\n";
  CommandResult bad = RunCommand(absl::StrCat(binary, " --config ", config, " migrate 2>&1"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.out.find("mysql.port"), std::string::npos) << bad.out;

  std::ofstream(config) << "mysqll: {}\n";
  CommandResult typo = RunCommand(absl::StrCat(binary, " --config ", config, " migrate 2>&1"));
  EXPECT_NE(typo.out.find("mysqll: unknown key"), std::string::npos) << typo.out;

  std::ofstream(config) << "mysql: {port: " << FreePort() << ", connect_timeout: 1s}\n";
  CommandResult down = RunCommand(absl::StrCat(binary, " --config ", config, " migrate 2>&1"));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.out.find("cannot connect to MySQL"), std::string::npos) << down.out;

  CommandResult unknown = RunCommand(absl::StrCat("AGGPAY_INTERNAL_SECRET=0123456789abcdef ",
                                                  binary, " serve --services=nope 2>&1"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.out.find("--services: unknown service \"nope\""), std::string::npos)
      << unknown.out;
}

}  // namespace
}  // namespace aggpay::testing
