// The fee service's storage and use cases against a real MariaDB, with a fake clock.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/clock/clock.h"
#include "services/fee/domain/seed_plans.h"
#include "services/fee/fee_operations.h"
#include "services/fee/mysql_fee_plan_repository.h"
#include "tests/support/test_servers.h"

namespace aggpay::fee {
namespace {

using common::Money;

Money Cny(int64_t fen) { return Money(fen, *common::Currency::Find("CNY")); }

class FeeIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = *common::MysqlPool::Create(testing::SharedServers().CreateDatabase("fee"));
    repo_ = std::make_unique<MysqlFeePlanRepository>(*pool_);
    ops_ = std::make_unique<FeeOperations>(*repo_, clock_);
    clock_.Set(absl::FromUnixSeconds(1790000000));  // 2026-09-21
  }

  FeePlan Plan(const std::string& id, int64_t ppm) {
    FeePlan p{.currency = *common::Currency::Find("CNY")};
    p.id = id;
    p.rate_ppm = {ppm, ppm, ppm};
    p.settlement = SettlementCycle::kD0;
    return p;
  }

  common::FakeClock clock_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlFeePlanRepository> repo_;
  std::unique_ptr<FeeOperations> ops_;
};

TEST_F(FeeIntegrationTest, SeededPlansMatchTheDomainDefinitions) {
  for (const FeePlan& expected : {BankStandardPlan(), IndependentStandardPlan()}) {
    auto stored = ops_->GetPlan(expected.id, 1, std::nullopt);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->currency, expected.currency);
    EXPECT_EQ(stored->settlement, expected.settlement);
    EXPECT_EQ(stored->rate_ppm, expected.rate_ppm);
    EXPECT_EQ(stored->cap_minor, expected.cap_minor);
    EXPECT_EQ(stored->min_fee_minor, expected.min_fee_minor);
    EXPECT_EQ(stored->channel_cost_ppm, expected.channel_cost_ppm);
    EXPECT_EQ(stored->max_amount_minor, expected.max_amount_minor);
    EXPECT_EQ(stored->requires_corporate_account, expected.requires_corporate_account);
    EXPECT_EQ(stored->effective_from, expected.effective_from);
  }
  // 0.38% of 10,000.00 CNY is 38.00, capped at 20.00; 0.6% of it is 60.00.
  auto bank = ops_->QuoteFee("bank-standard", "", Channel::kWechat, Cny(1'000'000), std::nullopt);
  ASSERT_TRUE(bank.ok());
  EXPECT_EQ(bank->quote.fee.amount_minor(), 2000);
  EXPECT_EQ(bank->quote.net.amount_minor(), 998'000);
  auto independent =
      ops_->QuoteFee("independent-standard", "", Channel::kAlipay, Cny(1'000'000), std::nullopt);
  EXPECT_EQ(independent->quote.fee.amount_minor(), 6000);
}

TEST_F(FeeIntegrationTest, NewVersionsApplyFromTheirTimeAndNeverRewriteThePast) {
  ASSERT_TRUE(ops_->CreatePlan(Plan("promo", 5000), false).ok());
  const absl::Time v1_time = clock_.Now();
  EXPECT_EQ(ops_->CreatePlan(Plan("promo", 5000), false).status().code(),
            absl::StatusCode::kAlreadyExists);

  FeePlan v2 = Plan("promo", 3000);
  v2.effective_from = clock_.Now() + absl::Hours(24);
  auto stored = ops_->UpdatePlan(v2, true);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->version, 2);

  // Today still 0.5%; tomorrow 0.3%; a quote "as of" yesterday's time keeps version 1.
  auto today = ops_->QuoteFee("promo", "", Channel::kWechat, Cny(10'000), std::nullopt);
  EXPECT_EQ(today->plan_version, 1);
  EXPECT_EQ(today->quote.fee.amount_minor(), 50);
  clock_.Advance(absl::Hours(25));
  auto tomorrow = ops_->QuoteFee("promo", "", Channel::kWechat, Cny(10'000), std::nullopt);
  EXPECT_EQ(tomorrow->plan_version, 2);
  EXPECT_EQ(tomorrow->quote.fee.amount_minor(), 30);
  auto as_of = ops_->QuoteFee("promo", "", Channel::kWechat, Cny(10'000), v1_time);
  EXPECT_EQ(as_of->plan_version, 1);

  FeePlan backdated = Plan("promo", 1000);
  backdated.effective_from = v1_time;
  EXPECT_EQ(ops_->UpdatePlan(backdated, true).status().code(), absl::StatusCode::kInvalidArgument);
  auto v1 = ops_->GetPlan("promo", 1, std::nullopt);
  EXPECT_EQ(v1->RatePpm(Channel::kWechat), 5000);
  EXPECT_EQ(ops_->GetPlan("promo", 3, std::nullopt).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FeeIntegrationTest, InvalidPlansWriteNothing) {
  FeePlan bad = Plan("bad-rate", 1'000'001);
  EXPECT_EQ(ops_->CreatePlan(bad, false).status().code(), absl::StatusCode::kInvalidArgument);
  FeePlan cap_below_min = Plan("bad-cap", 3800);
  cap_below_min.cap_minor = 100;
  cap_below_min.min_fee_minor = 200;
  absl::Status s = ops_->CreatePlan(cap_below_min, false).status();
  EXPECT_NE(s.message().find("cap"), absl::string_view::npos);
  auto listed = ops_->ListPlans("", 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);  // the two seeded plans only
}

TEST_F(FeeIntegrationTest, MerchantsQuoteUnderTheirAssignedPlanOverTime) {
  EXPECT_EQ(ops_->QuoteFee("", "m_1", Channel::kWechat, Cny(100), std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(ops_->AssignPlan("m_1", "independent-standard", std::nullopt).ok());
  auto q = ops_->QuoteFee("", "m_1", Channel::kWechat, Cny(10'000), std::nullopt);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->plan_id, "independent-standard");
  EXPECT_EQ(q->quote.fee.amount_minor(), 60);

  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(ops_->AssignPlan("m_1", "bank-standard", clock_.Now() + absl::Hours(1)).ok());
  EXPECT_EQ(ops_->MerchantPlan("m_1", std::nullopt)->first.plan_id, "independent-standard");
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(ops_->MerchantPlan("m_1", std::nullopt)->first.plan_id, "bank-standard");
  EXPECT_EQ(ops_->AssignPlan("m_1", "no-such-plan", std::nullopt).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ops_->AssignPlan("m 1", "bank-standard", std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FeeIntegrationTest, ProfitShareUsesStoredAgentCostsAndAddsUpToTheFee) {
  ASSERT_TRUE(ops_->SetAgentCost("top", 2500).ok());
  ASSERT_TRUE(ops_->SetAgentCost("sub", 3000).ok());
  // 1,000.00 CNY on the independent plan: fee 6.00; channel 2.00; top 0.50; sub 3.00;
  // provider 0.50.
  auto split = ops_->Split("independent-standard", 0, {"top", "sub"},
                           {{Cny(100'000), Channel::kWechat}, {Cny(33), Channel::kAlipay}});
  ASSERT_TRUE(split.ok()) << split.status();
  const ProfitShare& first = split->splits[0];
  EXPECT_EQ(first.channel_cost.amount_minor(), 200);
  EXPECT_EQ(first.agent_shares[0].share.amount_minor(), 50);
  EXPECT_EQ(first.agent_shares[1].share.amount_minor(), 300);
  EXPECT_EQ(first.provider_margin.amount_minor(), 50);
  int64_t sum =
      split->total_channel_cost.amount_minor() + split->total_provider_margin.amount_minor();
  for (const auto& t : split->agent_totals) sum += t.share.amount_minor();
  EXPECT_EQ(sum, split->total_fee.amount_minor());
  EXPECT_EQ(ops_->Split("independent-standard", 0, {"top", "ghost"}, {{Cny(100), Channel::kWechat}})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ops_->SetAgentCost("top", 1'000'001).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FeeIntegrationTest, CompareNamesTheBadPayment) {
  auto totals =
      ops_->Compare({"bank-standard", "independent-standard"},
                    {{Cny(10'000), Channel::kWechat}, {Cny(1'000'000), Channel::kAlipay}});
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ((*totals)[0].totals.total_fee.amount_minor(), 38 + 2000);
  EXPECT_EQ((*totals)[1].totals.total_fee.amount_minor(), 60 + 6000);
  auto bad =
      ops_->Compare({"bank-standard"}, {{Cny(100), Channel::kWechat}, {Cny(0), Channel::kWechat}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("payments[1].amount"), absl::string_view::npos);
  auto usd = ops_->Compare({"bank-standard"},
                           {{Money(100, *common::Currency::Find("USD")), Channel::kWechat}});
  EXPECT_NE(usd.status().message().find("payments[0].amount.currency"), absl::string_view::npos);
}

// Merchant quotes come from an in-process copy of the plan: a change on any instance (the
// generation moves) and a dated version coming into effect (no change at all) both show at once.
TEST_F(FeeIntegrationTest, CachedMerchantPlansFollowEveryChangeAndEveryDatedVersion) {
  ASSERT_TRUE(ops_->CreatePlan(Plan("cached", 5000), false).ok());
  ASSERT_TRUE(ops_->AssignPlan("m_cache", "cached", std::nullopt).ok());
  const auto quote = [&] {
    auto q = ops_->QuoteFee("", "m_cache", Channel::kWechat, Cny(10'000), std::nullopt);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::make_pair(q->plan_version, q->quote.fee.amount_minor())
                  : std::make_pair(int64_t{-1}, int64_t{-1});
  };
  EXPECT_EQ(quote(), std::make_pair(int64_t{1}, int64_t{50}));  // 0.5% of 100.00
  EXPECT_EQ(quote(), std::make_pair(int64_t{1}, int64_t{50}));  // from the copy
  // A change through another instance's repository: the generation moves.
  FeeOperations other(*repo_, clock_);
  ASSERT_TRUE(other.UpdatePlan(Plan("cached", 3000), false).ok());
  EXPECT_EQ(quote(), std::make_pair(int64_t{2}, int64_t{30}));
  // A version dated an hour ahead: not yet, then at once when its hour comes.
  FeePlan later = Plan("cached", 1000);
  later.effective_from = clock_.Now() + absl::Hours(1);
  ASSERT_TRUE(other.UpdatePlan(later, true).ok());
  EXPECT_EQ(quote(), std::make_pair(int64_t{2}, int64_t{30}));
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(quote(), std::make_pair(int64_t{3}, int64_t{10}));
  // A reassignment to another plan shows as well.
  ASSERT_TRUE(other.AssignPlan("m_cache", "independent-standard", std::nullopt).ok());
  auto q = ops_->QuoteFee("", "m_cache", Channel::kWechat, Cny(10'000), std::nullopt);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->plan_id, "independent-standard");
}

}  // namespace
}  // namespace aggpay::fee
