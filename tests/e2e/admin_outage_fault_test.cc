// The admin service in its own aggpayd (--services=admin), the others in a second one whose
// peers.admin points at it; the admin instance stopped, and separately frozen (SIGSTOP). Staff
// changes through the other services still commit (their token was checked before the outage
// and is cached), each within a bounded time; their audit entries wait in the outbox and arrive
// once admin is back, each exactly once, and the chain verifies.
#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class AdminOutageFaultTest : public StackTest {
 protected:
  static AggpaydOptions AdminOnly(int grpc_port) {
    AggpaydOptions o;
    o.services = "admin";
    o.grpc_port = grpc_port;
    return o;
  }

  static bool Poll(absl::Duration limit, const std::function<bool()>& done) {
    const absl::Time until = absl::Now() + limit;
    while (!done() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(100));
    return done();
  }
};

TEST_F(AdminOutageFaultTest, ChangesCommitWhileAdminIsDownAndTheirAuditArrivesOnceAfter) {
  const std::string merchant = OnboardMerchant("ADMIN_OUTAGE");
  const std::string store = CreateStore(merchant);

  auto admin = std::make_unique<AggpaydProcess>(SharedServers(), db(), AdminOnly(0));
  const int admin_port = std::stoi(admin->grpc_addr().substr(admin->grpc_addr().rfind(':') + 1));
  AggpaydOptions rest;
  rest.services = "fee,merchant,terminal,binding,payment,risk,settlement";
  rest.extra_config =
      absl::StrCat("peers: {admin: ", admin->grpc_addr(), "}\nauth: {cache_ttl: 300s}");
  rest.audit_config = "{sweep_age: 2s, sweep_interval: 500ms}";
  AggpaydProcess others(SharedServers(), db(), rest);
  // Only these two from here on: no other relay may deliver the outbox.
  aggpayd().Kill();
  const auto ctl = [&](const std::string& args) { return others.Ctl(admin_token(), args); };
  ASSERT_EQ(ctl("risk rules").exit_code, 0) << "the token is checked and cached";

  struct Outage {
    const char* name;
    std::function<void()> begin;
    std::function<void()> end;
  };
  const std::vector<Outage> outages = {
      {"stopped", [&] { admin.reset(); },
       [&] {
         admin = std::make_unique<AggpaydProcess>(SharedServers(), db(), AdminOnly(admin_port));
       }},
      {"frozen", [&] { admin->Freeze(); }, [&] { admin->Thaw(); }},
  };
  int round = 0;
  for (const Outage& outage : outages) {
    SCOPED_TRACE(outage.name);
    const std::string chained_before = Query("SELECT COUNT(*) FROM audit_log");
    outage.begin();
    // Three changes of three services, each committed and answered in bounded time.
    const absl::Time start = absl::Now();
    CommandResult code =
        ctl(absl::StrCat("code issue --merchant ", merchant, " --store ", store, " -o json"));
    CommandResult rule = ctl(absl::StrCat("risk set amount_surge --param multiplier=2.", ++round,
                                          " --reason 'admin outage ", outage.name, "'"));
    CommandResult branch = ctl(absl::StrCat("merchant store create ", merchant, " --name 'Outage ",
                                            outage.name, "' --address 'Gulou 2' -o json"));
    const absl::Duration took = absl::Now() - start;
    // A refused change commits nothing: its entry goes to admin directly, and must not hold the
    // caller's answer while admin cannot take it.
    const absl::Time refused_at = absl::Now();
    CommandResult refused = ctl("risk set amount_surge --fail-mode SOMETIMES --reason drill");
    const absl::Duration refused_took = absl::Now() - refused_at;
    EXPECT_NE(refused.out.find("INVALID_ARGUMENT"), std::string::npos) << refused.out;
    EXPECT_LT(refused_took, absl::Seconds(2)) << "a refusal with admin " << outage.name;
    EXPECT_EQ(code.exit_code, 0) << code.out;
    EXPECT_EQ(rule.exit_code, 0) << rule.out;
    EXPECT_EQ(branch.exit_code, 0) << branch.out;
    EXPECT_LT(took, absl::Seconds(6)) << "three changes with admin " << outage.name;
    const std::string code_id = JsonString(code.out, "code_id");
    EXPECT_EQ(Query("SELECT COUNT(*) FROM collection_codes WHERE code_id = '" + code_id + "'"),
              "1");
    EXPECT_EQ(
        Query(absl::StrCat("SELECT COUNT(*) FROM stores WHERE name = 'Outage ", outage.name, "'")),
        "1");
    // Nothing reached the chain; the entries wait in the outbox.
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log"), chained_before);
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox"), "3");
    // Past the sweep age, while admin is still away: still waiting, nothing lost.
    absl::SleepFor(absl::Milliseconds(2500));
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_outbox"), "3");

    outage.end();
    EXPECT_TRUE(
        Poll(absl::Seconds(20), [&] { return Query("SELECT COUNT(*) FROM audit_outbox") == "0"; }));
    // The three committed changes exactly once each (the refusal's entry, which has no outbox
    // row, arrives if its queued append outlived the outage; it is never duplicated either).
    const std::string since = absl::StrCat(" AND seq > ", chained_before);
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log WHERE source_key IS NOT NULL" + since), "3");
    for (const char* action : {"%/IssueCode", "%/UpdateRule", "%/CreateStore"}) {
      EXPECT_EQ(Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE action LIKE '", action,
                                   "' AND outcome = 'OK'", since)),
                "1")
          << action;
    }
    const std::string refusals =
        Query("SELECT COUNT(*) FROM audit_log WHERE outcome = 'INVALID_ARGUMENT'" + since);
    EXPECT_TRUE(refusals == "0" || refusals == "1") << refusals;
    const std::string total = Query("SELECT COUNT(*) FROM audit_log");
    // Another sweep round later: still exactly once.
    absl::SleepFor(absl::Seconds(1));
    EXPECT_EQ(Query("SELECT COUNT(*) FROM audit_log"), total);
  }
  CommandResult verify = admin->Ctl(admin_token(), "audit verify -o json");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(Query("SELECT COUNT(*) - COUNT(DISTINCT source_key) FROM audit_log WHERE source_key "
                  "IS NOT NULL"),
            "0");
}

}  // namespace
}  // namespace aggpay::testing
