// Risk control against a real MariaDB and Redis: each rule fires at its threshold and not
// before, its decision is stored with evidence, the freeze and force-offline reach the other
// services after commit (and again after a failure), appeals and security checks lift what they
// should and nothing else, rule changes are versioned, and with Redis stopped every rule fails
// the way its config says.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <numeric>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/clock/clock.h"
#include "services/common/metrics/metrics.h"
#include "services/common/status/field_errors.h"
#include "services/risk/mysql_risk_repository.h"
#include "services/risk/risk_operations.h"
#include "tests/support/test_servers.h"

namespace aggpay::risk {
namespace {

using testing::SharedServers;

// The merchant, terminal and payment services as risk sees them: every call recorded, and a
// switch that makes them fail (the other service down).
class RecordingEffects final : public RiskEffects {
 public:
  absl::Status FreezeCollection(const std::string& m, const std::string&) override {
    return Record("freeze " + m);
  }
  absl::Status UnfreezeCollection(const std::string& m, const std::string&) override {
    return Record("unfreeze " + m);
  }
  absl::Status ForceTerminalsOffline(const std::string& m, const std::string&) override {
    return Record("offline " + m);
  }
  absl::Status ReleaseTerminals(const std::string& m, const std::string&) override {
    return Record("release " + m);
  }
  absl::Status Notify(const std::string& m, const std::string& ref,
                      const std::string& body) override {
    last_body = body;
    return Record("notify " + m);
  }
  // Every merchant exists but those named here.
  absl::Status MerchantExists(const std::string& m) override {
    std::lock_guard<std::mutex> l(mu);
    if (unknown.count(m)) return absl::NotFoundError("merchant_id: no merchant \"" + m + "\"");
    return absl::OkStatus();
  }
  std::set<std::string> unknown;
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> l(mu);
    return calls;
  }
  std::atomic<bool> down{false};
  std::string last_body;

 private:
  absl::Status Record(std::string call) {
    if (down) return absl::UnavailableError("service down");
    std::lock_guard<std::mutex> l(mu);
    calls.push_back(std::move(call));
    return absl::OkStatus();
  }
  std::mutex mu;
  std::vector<std::string> calls;
};

absl::Time Shanghai(int y, int mo, int d, int h, int mi) {
  absl::TimeZone z;
  absl::LoadTimeZone("Asia/Shanghai", &z);
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), z);
}

class RiskIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SharedServers().CreateDatabase("risk");
    pool_ = *common::MysqlPool::Create(db_);
    repo_ = std::make_unique<MysqlRiskRepository>(*pool_);
    redis_ = std::make_unique<common::RedisClient>(SharedServers().Redis());
    counters_ = std::make_unique<RedisRiskCounters>(*redis_);
    clock_.Set(Shanghai(2026, 12, 1, 12, 0));
    ops_ = std::make_unique<RiskOperations>(*repo_, *counters_, effects_, metrics_, clock_);
    ASSERT_TRUE(ops_->Start().ok());
    // Each test's merchants are its own: Redis is shared by the binary.
    prefix_ = absl::StrCat("m", ++counter_, "_", absl::ToUnixMillis(absl::Now()) % 100000000, "_");
  }
  void TearDown() override {
    if (ops_) ops_->Stop();  // SetUp may have failed before making it
  }

  EvaluateInput Pay(const std::string& merchant, int64_t amount, const std::string& attempt) {
    EvaluateInput in;
    in.merchant_id = prefix_ + merchant;
    in.time_zone = "Asia/Shanghai";
    in.region = "CN-SH";
    in.amount_minor = amount;
    in.currency = "CNY";
    in.attempt_id = attempt;
    return in;
  }
  std::string Scalar(const std::string& sql) {
    return *pool_->Run("q", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      if (!rs->next() || rs->isNull(1)) return std::string();
      return std::string(rs->getString(1));
    });
  }
  std::string M(const std::string& m) { return prefix_ + m; }

  static inline int counter_ = 0;
  common::MysqlOptions db_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlRiskRepository> repo_;
  std::unique_ptr<common::RedisClient> redis_;
  std::unique_ptr<RedisRiskCounters> counters_;
  RecordingEffects effects_;
  common::Metrics metrics_;
  common::FakeClock clock_;
  std::unique_ptr<RiskOperations> ops_;
  std::string prefix_;
};

TEST_F(RiskIntegrationTest, TwentySmallNightPaymentsFreezeTheMerchantOnce) {
  clock_.Set(Shanghai(2026, 12, 1, 2, 0));
  for (int i = 1; i <= 19; ++i) {
    auto r = ops_->Evaluate(Pay("night", 1000, absl::StrCat("n", i)));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->decision, Decision::kAllow) << i;
    clock_.Advance(absl::Seconds(20));
  }
  // A retry of the same attempt is not a new payment.
  ASSERT_EQ(ops_->Evaluate(Pay("night", 1000, "n19"))->decision, Decision::kAllow);
  // A large payment is not counted by the night rule.
  ASSERT_EQ(ops_->Evaluate(Pay("night", 1001, "big"))->decision, Decision::kAllow);
  auto r = ops_->Evaluate(Pay("night", 1000, "n20"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, Decision::kFreeze);
  ASSERT_EQ(r->hits.size(), 1u);
  EXPECT_EQ(r->hits[0].rule_id, "night_small");
  EXPECT_EQ(r->hits[0].evidence.at("night_small_payments"), "20");
  EXPECT_GT(r->event_id, 0);
  EXPECT_EQ(effects_.Calls(), std::vector<std::string>{"freeze " + M("night")});
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_freezes WHERE status = 'ACTIVE' AND kind = "
                   "'TRANSACTION' AND merchant_id = '" +
                   M("night") + "'"),
            "1");
  EXPECT_EQ(Scalar("SELECT status FROM risk_actions WHERE merchant_id = '" + M("night") + "'"),
            "DONE");
  EventFilter filter;
  filter.merchant_id = M("night");
  filter.rule_id = "night_small";
  auto events = ops_->ListEvents(filter);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].hits[0].evidence.at("local_time").substr(0, 19), "2026-12-01 02:06:20");
}

TEST_F(RiskIntegrationTest, TheSurgeRuleReadsTheDailyRollUps) {
  // Seven past days of 1,000.00 each: a mean of 1,000.00.
  std::vector<DailyDelta> days;
  for (int d = 24; d <= 30; ++d) {
    days.push_back({M("surge"), "CNY", absl::StrCat("2026-11-", d), 100000, 10});
  }
  ASSERT_TRUE(repo_->AddDailyTotals(days).ok());
  auto r = ops_->Evaluate(Pay("surge", 200000, "s1"));  // exactly 2x: not past it
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->decision, Decision::kAllow);
  r = ops_->Evaluate(Pay("surge", 1, "s2"));  // one fen past
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, Decision::kFreeze);
  EXPECT_EQ(r->hits[0].rule_id, "amount_surge");
  EXPECT_EQ(r->hits[0].evidence.at("today_minor"), "200001");
  EXPECT_EQ(r->hits[0].evidence.at("daily_mean_minor"), "100000");
  // What was allowed today reaches the roll-up on the next flush, added to, never replaced.
  ops_->Stop();
  EXPECT_EQ(Scalar("SELECT amount_minor FROM risk_daily_totals WHERE merchant_id = '" + M("surge") +
                   "' AND day = '2026-12-01'"),
            "200000");
}

TEST_F(RiskIntegrationTest, DeviceHoppingForcesEveryMerchantsTerminalsOfflineUntilTheCheck) {
  for (const char* m : {"a", "b"}) {
    EvaluateInput in = Pay(m, 500, absl::StrCat("d-", m));
    in.device_id = prefix_ + "device-1";
    ASSERT_EQ(ops_->Evaluate(in)->decision, Decision::kAllow);
  }
  EvaluateInput in = Pay("c", 500, "d-c");
  in.device_id = prefix_ + "device-1";
  auto r = ops_->Evaluate(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, Decision::kBlock);
  EXPECT_EQ(r->hits[0].action, Action::kForceOffline);
  auto calls = effects_.Calls();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<std::string>{"offline " + M("a"), "offline " + M("b"),
                                             "offline " + M("c")}));
  // The same device again: the merchants are already held, nothing is sent twice.
  in.attempt_id = "d-c2";
  ASSERT_EQ(ops_->Evaluate(in)->decision, Decision::kBlock);
  EXPECT_EQ(effects_.Calls().size(), 3u);
  // Lifting needs the check, of a merchant that has a device freeze.
  EXPECT_EQ(ops_->PassSecurityCheck(M("zz"), "ok", "staff:r").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto lifted = ops_->PassSecurityCheck(M("a"), "device wiped, owner verified", "staff:r");
  ASSERT_TRUE(lifted.ok()) << lifted.status();
  EXPECT_EQ(lifted->status, "LIFTED");
  EXPECT_EQ(effects_.Calls().back(), "release " + M("a"));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_freezes WHERE status = 'ACTIVE' AND kind = "
                   "'DEVICE' AND merchant_id LIKE '" +
                   prefix_ + "%'"),
            "2");
}

TEST_F(RiskIntegrationTest, AFreezeOfAMerchantThatDoesNotExistIsNotFoundAndWritesNothing) {
  effects_.unknown.insert(M("ghost"));
  auto f = ops_->Freeze(M("ghost"), "chargebacks reported by the bank", "staff:r");
  EXPECT_EQ(f.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(f.status().message(), M("ghost"))) << f.status();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_freezes WHERE merchant_id = '" + M("ghost") + "'"),
            "0");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_actions WHERE merchant_id = '" + M("ghost") + "'"),
            "0");
  EXPECT_TRUE(effects_.Calls().empty());
}

TEST_F(RiskIntegrationTest, AFreezeThatCannotBeSentIsRetriedByTheRelay) {
  effects_.down = true;
  ASSERT_TRUE(ops_->Freeze(M("r"), "chargebacks reported by the bank", "staff:r").ok());
  EXPECT_TRUE(effects_.Calls().empty());
  EXPECT_EQ(Scalar("SELECT status FROM risk_actions WHERE merchant_id = '" + M("r") + "'"),
            "PENDING");
  effects_.down = false;
  // Leased for the retry delay: not before it.
  ops_->RunActions("");
  EXPECT_TRUE(effects_.Calls().empty());
  pool_
      ->Run("expire lease",
            [&](sql::Connection& c) -> absl::Status {
              std::unique_ptr<sql::Statement> st(c.createStatement());
              st->execute("UPDATE risk_actions SET lease_until = NOW(6) - INTERVAL 1 SECOND");
              return absl::OkStatus();
            })
      .IgnoreError();
  ops_->RunActions("");
  EXPECT_EQ(effects_.Calls(), std::vector<std::string>{"freeze " + M("r")});
  EXPECT_EQ(Scalar("SELECT status FROM risk_actions WHERE merchant_id = '" + M("r") + "'"), "DONE");
}

TEST_F(RiskIntegrationTest, AppealsLiftOnlyATransactionFreezeAndOnlyOnce) {
  // Not frozen: nothing to appeal, nothing stored.
  auto early = ops_->SubmitAppeal(M("ap"), "our sales are real", {});
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_appeals"), "0");
  ASSERT_TRUE(ops_->Freeze(M("ap"), "surge", "staff:r").ok());
  EXPECT_EQ(ops_->Freeze(M("ap"), "again", "staff:r").status().code(),
            absl::StatusCode::kAlreadyExists);
  // Bad evidence names its field.
  auto bad = ops_->SubmitAppeal(M("ap"), "ok", {{"invoice.pdf", "nothex"}});
  EXPECT_EQ(common::ErrorField(bad.status()), "documents[0].sha256");
  const std::string sha(64, 'a');
  auto appeal = ops_->SubmitAppeal(M("ap"), "婚宴包场，发票附后", {{"发票.pdf", sha}});
  ASSERT_TRUE(appeal.ok()) << appeal.status();
  EXPECT_EQ(appeal->status, "PENDING");
  ASSERT_EQ(appeal->documents.size(), 1u);
  EXPECT_EQ(appeal->documents[0].name, "发票.pdf");
  EXPECT_EQ(ops_->SubmitAppeal(M("ap"), "again", {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ops_->ReviewAppeal(appeal->appeal_id, "MAYBE", "x", "staff:r").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto approved = ops_->ReviewAppeal(appeal->appeal_id, "APPROVE", "invoices match", "staff:r");
  ASSERT_TRUE(approved.ok()) << approved.status();
  EXPECT_EQ(approved->status, "APPROVED");
  EXPECT_EQ(effects_.Calls(),
            (std::vector<std::string>{"freeze " + M("ap"), "unfreeze " + M("ap")}));
  EXPECT_EQ(ops_->ReviewAppeal(appeal->appeal_id, "REJECT", "x", "staff:r").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_freezes WHERE status = 'ACTIVE'"), "0");
  // A rejected appeal keeps the freeze.
  ASSERT_TRUE(ops_->Freeze(M("ap2"), "surge", "staff:r").ok());
  auto second = ops_->SubmitAppeal(M("ap2"), "please", {});
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(ops_->ReviewAppeal(second->appeal_id, "REJECT", "no evidence", "staff:r").ok());
  EXPECT_EQ(Scalar("SELECT status FROM risk_freezes WHERE merchant_id = '" + M("ap2") + "'"),
            "ACTIVE");
}

TEST_F(RiskIntegrationTest, RuleChangesAreCheckedVersionedAndApplied) {
  RuleChange bad{"night_small", {{"window_seconds", "-600"}}, "", "", "", "tighter"};
  auto refused = ops_->UpdateRule(bad, "staff:r");
  EXPECT_EQ(common::ErrorField(refused.status()), "params.window_seconds");
  EXPECT_EQ(Scalar("SELECT version FROM risk_rules WHERE rule_id = 'night_small'"), "1");
  RuleChange good{"night_small", {{"count", "3"}}, "BLOCK", "", "", "pilot in one city"};
  auto changed = ops_->UpdateRule(good, "staff:r");
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->config.version, 2);
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_rule_versions WHERE rule_id = 'night_small'"), "2");
  EXPECT_EQ(Scalar("SELECT params FROM risk_rule_versions WHERE rule_id = 'night_small' AND "
                   "version = 2"),
            "count=3,end_hour=6,max_amount_minor=1000,start_hour=0,window_seconds=600");
  clock_.Set(Shanghai(2026, 12, 1, 3, 0));
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(ops_->Evaluate(Pay("ru", 100, absl::StrCat("x", i)))->decision, Decision::kAllow);
  }
  EXPECT_EQ(ops_->Evaluate(Pay("ru", 100, "x3"))->decision, Decision::kBlock);
  EXPECT_EQ(ops_->UpdateRule(RuleChange{"nope", {}, "", "", "false", "x"}, "s").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RiskIntegrationTest, RegionsImportRefusesMalformedFilesWhole) {
  auto bad = ops_->ImportRegions("cidr,region\n10.0.0.0/8,CN-SH\n203.0.113.0/33,RU\n", "s");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "csv line 3")) << bad.status();
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_regions"), "0");
  auto good = ops_->ImportRegions("10.0.0.0/8,CN-SH\n203.0.113.0/24,RU\n", "s");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->ranges, 2);
  // Ten payments from one foreign /24: the tenth is past "most" with ten in the window.
  for (int i = 1; i <= 10; ++i) {
    EvaluateInput in = Pay("ip", 5000, absl::StrCat("ip", i));
    in.payer_ip = absl::StrCat("203.0.113.", i);
    auto r = ops_->Evaluate(in);
    ASSERT_TRUE(r.ok()) << r.status();
    if (i < 10) {
      ASSERT_EQ(r->decision, Decision::kAllow) << i;
    } else {
      EXPECT_EQ(r->decision, Decision::kReview);
      EXPECT_EQ(r->hits[0].evidence.at("region"), "RU");
    }
  }
  EvaluateInput bad_ip = Pay("ip", 5000, "bad");
  bad_ip.payer_ip = "203.0.113.300";
  EXPECT_EQ(common::ErrorField(ops_->Evaluate(bad_ip).status()), "payer_ip");
}

TEST_F(RiskIntegrationTest, MerchantThresholdsRaiseOneAlertEachAndNotify) {
  AlertThresholds t{M("th"), "CNY", 50000, 80000, false};
  ASSERT_TRUE(ops_->SetThresholds(t).ok());
  ASSERT_TRUE(ops_->Evaluate(Pay("th", 50000, "t1")).ok());
  EXPECT_TRUE(effects_.Calls().empty());
  ASSERT_TRUE(ops_->Evaluate(Pay("th", 50001, "t2")).ok());  // single + the hour passes 800.00
  ASSERT_TRUE(ops_->Evaluate(Pay("th", 100, "t3")).ok());    // the hour already past: nothing
  auto alerts = ops_->ListAlerts(M("th"), 10);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->size(), 2u);
  std::vector<std::string> kinds = {(*alerts)[0].kind, (*alerts)[1].kind};
  std::sort(kinds.begin(), kinds.end());
  EXPECT_EQ(kinds, (std::vector<std::string>{"HOURLY_VOLUME", "SINGLE_PAYMENT"}));
  EXPECT_EQ(effects_.Calls(), (std::vector<std::string>{"notify " + M("th"), "notify " + M("th")}));
  EXPECT_TRUE(absl::StrContains(effects_.last_body, "\"event\":\"risk.alert\""));
  AlertThresholds negative{M("th"), "CNY", -1, 0, false};
  EXPECT_EQ(common::ErrorField(ops_->SetThresholds(negative).status()),
            "single_payment_over.amount_minor");
}

TEST_F(RiskIntegrationTest, WithRedisDownEachRuleFailsItsWayAndPaymentsKeepFlowing) {
  SharedServers().StopRedis();
  // Daytime, no device: only OPEN rules in scope, so the payment proceeds, flagged.
  auto day = ops_->Evaluate(Pay("down", 5000, "d1"));
  // A small payment at night: the night rule is CLOSED, so it is refused, never frozen.
  clock_.Set(Shanghai(2026, 12, 2, 1, 0));
  auto night = ops_->Evaluate(Pay("down", 500, "d2"));
  EvaluateInput dev = Pay("down", 5000, "d3");
  clock_.Set(Shanghai(2026, 12, 2, 12, 0));
  dev.device_id = "device-x";
  auto device = ops_->Evaluate(dev);
  SharedServers().StartRedis();
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(day->decision, Decision::kReview);
  EXPECT_EQ(day->hits[0].evidence.at("counters"), "unavailable");
  ASSERT_TRUE(night.ok());
  EXPECT_EQ(night->decision, Decision::kBlock);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->decision, Decision::kBlock);
  EXPECT_TRUE(effects_.Calls().empty());
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_freezes"), "0");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM risk_events WHERE merchant_id = '" + M("down") + "'"),
            "3");
  // Staff can make the open rule fail closed.
  ASSERT_TRUE(
      ops_->UpdateRule(RuleChange{"amount_surge", {}, "", "CLOSED", "", "outage drill"}, "staff:r")
          .ok());
  SharedServers().StopRedis();
  auto closed = ops_->Evaluate(Pay("down", 5000, "d4"));
  SharedServers().StartRedis();
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->decision, Decision::kBlock);
}

TEST_F(RiskIntegrationTest, AnAllowedEvaluationIsOneRedisRoundTripWellUnderTwoMilliseconds) {
  std::vector<double> us;
  for (int i = 0; i < 3000; ++i) {
    EvaluateInput in = Pay(absl::StrCat("lat", i % 50), 1234, absl::StrCat("l", i));
    in.payer_ip = absl::StrCat("10.", i % 250, ".", i / 250, ".3");  // a /24 each
    in.device_id = absl::StrCat(prefix_, "dev", i);
    absl::Time t0 = absl::Now();
    auto r = ops_->Evaluate(in);
    us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t0));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->decision, Decision::kAllow);
  }
  std::sort(us.begin(), us.end());
  double p50 = us[us.size() / 2];
  double p99 = us[us.size() * 99 / 100];
  std::printf("Evaluate (ALLOW, 4 rules, real Redis): p50 %.0f us, p99 %.0f us\n", p50, p99);
  // The budget is 2 ms inside the payment path; a loaded CI machine gets ten times that.
  EXPECT_LT(p99, 20000.0);
}

}  // namespace
}  // namespace aggpay::risk
