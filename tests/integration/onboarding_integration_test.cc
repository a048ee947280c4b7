// Onboarding storage and use cases against a real MariaDB: transitions are atomic, refused
// steps write nothing, business codes are idempotent, search pages by keyset.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/clock/clock.h"
#include "services/merchant/mysql_onboarding_repository.h"
#include "services/merchant/onboarding_operations.h"
#include "tests/support/status_expectations.h"
#include "tests/support/test_servers.h"

namespace aggpay::merchant {
namespace {

using testing::SharedServers;

// The fee service is another process; here it only records what it was asked.
class RecordingFeeAssigner final : public FeePlanAssigner {
 public:
  absl::Status AssignPlan(const std::string& merchant_id, const std::string& plan_id) override {
    if (fail) return absl::UnavailableError("fee service down");
    assigned[merchant_id] = plan_id;
    return absl::OkStatus();
  }
  bool fail = false;
  std::map<std::string, std::string> assigned;
};

// Records what the binding service would have been told.
struct FakeCollection final : CollectionControl {
  absl::Status SetCollection(const std::string& merchant_id, const std::string& status,
                             const std::string&) override {
    if (fail) return absl::UnavailableError("binding down");
    calls.emplace_back(merchant_id, status);
    return absl::OkStatus();
  }
  bool fail = false;
  std::vector<std::pair<std::string, std::string>> calls;
};

class OnboardingIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = SharedServers().CreateDatabase("onb");
    pool_ = *common::MysqlPool::Create(options_);
    repo_ = std::make_unique<MysqlOnboardingRepository>(*pool_);
    ops_ = std::make_unique<OnboardingOperations>(
        *repo_, channels_, fees_, collection_, *common::SecretBox::FromHexKey(std::string(64, 'c')),
        clock_);
  }

  static Application App(const std::string& code) {
    Application a{.home_currency = *common::Currency::Find("CNY")};
    a.business_code = code;
    a.kind = MerchantKind::kEnterprise;
    a.display_name = "Tea House";
    a.legal_name = "Fuzhou Tea House Co., Ltd.";
    a.business_licence_number = "91350100M000100Y43";
    a.legal_representative = "Lin Hua";
    a.contact_phone = "13812345678";
    a.time_zone = "Asia/Shanghai";
    a.region = "CN-FJ";
    a.plan_kind = PlanKind::kBankAffiliated;
    a.settlement_account = {SettlementAccountKind::kCorporate, "Industrial Bank", "Tea House",
                            "117010100100123456"};
    return a;
  }

  int64_t Count(const std::string& table) {
    auto n = pool_->Run("count", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
      std::unique_ptr<sql::Statement> st(c.createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT COUNT(*) FROM " + table));
      rs->next();
      return rs->getInt64(1);
    });
    return n.ok() ? *n : -1;
  }

  common::FakeClock clock_;
  SandboxChannelOnboarding channels_;
  RecordingFeeAssigner fees_;
  common::MysqlOptions options_;
  std::unique_ptr<common::MysqlPool> pool_;
  std::unique_ptr<MysqlOnboardingRepository> repo_;
  FakeCollection collection_;
  std::unique_ptr<OnboardingOperations> ops_;
};

TEST_F(OnboardingIntegrationTest, FullFlowToActiveWithSubMerchantIdsAndPlan) {
  auto created = ops_->CreateApplication(App("BC_1"), "staff:olga");
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string id = created->merchant_id;
  EXPECT_EQ(created->status, MerchantStatus::kDraft);
  // The account number is stored sealed; it reads back masked.
  EXPECT_EQ(created->application.settlement_account.account_number, "****3456");
  EXPECT_EQ(created->account_number_sealed.find("117010100100123456"), std::string::npos);

  ASSERT_TRUE(ops_->Act(id, OnboardingAction::kSubmit, "staff:olga", "").ok());
  ASSERT_TRUE(ops_->Act(id, OnboardingAction::kStartReview, "staff:rita", "").ok());
  auto active = ops_->Approve(id, "1900012345", "", "staff:rita", "documents fine");
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_EQ(active->status, MerchantStatus::kActive);
  ASSERT_EQ(active->sub_merchants.size(), 3u);
  // Ordered by channel: alipay, unionpay, wechat.
  EXPECT_EQ(active->sub_merchants[2].channel, "wechat");
  EXPECT_EQ(active->sub_merchants[2].sub_merchant_id, "1900012345");
  EXPECT_EQ(active->sub_merchants[2].source, "STAFF");
  EXPECT_EQ(active->sub_merchants[0].source, "SANDBOX");
  EXPECT_EQ(fees_.assigned[id], "bank-standard");
  // Every step is in the review history, in order.
  std::vector<std::string> steps;
  for (const auto& r : active->reviews) steps.emplace_back(OnboardingActionName(r.action));
  EXPECT_EQ(steps,
            (std::vector<std::string>{"EDIT", "SUBMIT", "START_REVIEW", "APPROVE", "ACTIVATE"}));
}

TEST_F(OnboardingIntegrationTest, FeeOutageLeavesApprovedAndARetryFinishes) {
  auto m = *ops_->CreateApplication(App("BC_2"), "staff:olga");
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kSubmit, "s", "").ok());
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kStartReview, "s", "").ok());
  fees_.fail = true;
  EXPECT_EQ(ops_->Approve(m.merchant_id, "", "", "s", "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ops_->Get(m.merchant_id)->status, MerchantStatus::kApproved);
  fees_.fail = false;
  auto retried = ops_->Approve(m.merchant_id, "", "", "s", "");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->status, MerchantStatus::kActive);
  EXPECT_EQ(retried->sub_merchants.size(), 3u);  // the first attempt's ids are kept
}

TEST_F(OnboardingIntegrationTest, IllegalStepsAndBadInputWriteNothing) {
  auto m = *ops_->CreateApplication(App("BC_3"), "s");
  const int64_t reviews = Count("merchant_reviews");
  auto approve_draft = ops_->Approve(m.merchant_id, "", "", "s", "");
  EXPECT_EQ(approve_draft.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(approve_draft.status().message().find("DRAFT"), absl::string_view::npos);
  EXPECT_EQ(ops_->Act(m.merchant_id, OnboardingAction::kReject, "s", "").status().code(),
            absl::StatusCode::kInvalidArgument);  // a rejection needs a reason
  Application bad = App("BC_3");
  bad.business_licence_number = "91350100M000100Y44";
  auto refused = ops_->UpdateApplication(m.merchant_id, bad, "s");
  EXPECT_NE(refused.status().message().find("business_licence_number"), absl::string_view::npos);
  Application personal = App("BC_4");
  personal.settlement_account.kind = SettlementAccountKind::kPersonal;
  EXPECT_EQ(ops_->CreateApplication(personal, "s").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("merchant_reviews"), reviews);
  EXPECT_EQ(Count("merchants"), 1);
  EXPECT_EQ(Count("channel_sub_merchants"), 0);
}

TEST_F(OnboardingIntegrationTest, BusinessCodeIsIdempotent) {
  auto first = *ops_->CreateApplication(App("BC_5"), "s");
  Application changed = App("BC_5");
  changed.display_name = "Tea House No. 2";
  auto replaced = ops_->CreateApplication(changed, "s");
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->merchant_id, first.merchant_id);
  EXPECT_EQ(replaced->application.display_name, "Tea House No. 2");
  ASSERT_TRUE(ops_->Act(first.merchant_id, OnboardingAction::kSubmit, "s", "").ok());
  auto in_review = ops_->CreateApplication(App("BC_5"), "s");
  EXPECT_EQ(in_review.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(in_review.status().message().find("business_code"), absl::string_view::npos);
  // Rejected: the same code overwrites it, and it can be submitted again.
  ASSERT_TRUE(ops_->Act(first.merchant_id, OnboardingAction::kStartReview, "s", "").ok());
  ASSERT_TRUE(ops_->Act(first.merchant_id, OnboardingAction::kReject, "s", "blurry licence").ok());
  auto again = ops_->CreateApplication(App("BC_5"), "s");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, MerchantStatus::kRejected);
  EXPECT_EQ(ops_->Act(first.merchant_id, OnboardingAction::kSubmit, "s", "")->status,
            MerchantStatus::kSubmitted);
  EXPECT_EQ(Count("merchants"), 1);
}

TEST_F(OnboardingIntegrationTest, AccountChangeSendsAnActiveMerchantBackToReview) {
  auto m = *ops_->CreateApplication(App("BC_6"), "s");
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kSubmit, "s", "").ok());
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kStartReview, "s", "").ok());
  ASSERT_TRUE(ops_->Approve(m.merchant_id, "", "", "s", "").ok());
  SettlementAccount personal{SettlementAccountKind::kPersonal, "ICBC", "Lin Hua",
                             "6222020200112233445"};
  EXPECT_EQ(ops_->ChangeSettlementAccount(m.merchant_id, personal, "s").status().code(),
            absl::StatusCode::kFailedPrecondition);  // bank-affiliated plan: corporate only
  SettlementAccount corporate{SettlementAccountKind::kCorporate, "ICBC", "Tea House",
                              "6222020200112233445"};
  auto changed = ops_->ChangeSettlementAccount(m.merchant_id, corporate, "merchant:x");
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->status, MerchantStatus::kInReview);
  EXPECT_EQ(changed->application.settlement_account.account_number, "****3445");
}

TEST_F(OnboardingIntegrationTest, SearchPagesByKeysetAndFilters) {
  ASSERT_TRUE(ops_->CreateAgent("ag-1", "", "East Agency").ok());
  EXPECT_EQ(ops_->CreateAgent("ag-2", "nope", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
  for (int i = 0; i < 7; ++i) {
    Application a = App(absl::StrCat("BC_L", i));
    if (i % 2 == 0) a.agent_id = "ag-1";
    ASSERT_TRUE(ops_->CreateApplication(a, "s").ok());
    clock_.Advance(absl::Seconds(1));
  }
  MerchantFilter f;
  f.limit = 3;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto rows = ops_->List(f);
    ASSERT_TRUE(rows.ok());
    for (const auto& m : *rows) seen.push_back(m.merchant_id);
    if (rows->size() < 3) break;
    f.before = std::make_pair(rows->back().created_at, rows->back().merchant_id);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 7u);
  MerchantFilter by_agent;
  by_agent.agent_id = "ag-1";
  EXPECT_EQ(ops_->List(by_agent)->size(), 4u);
  auto store_owner = *ops_->List(MerchantFilter{});
  auto store = ops_->CreateStore(store_owner[0].merchant_id, "Main St", "1 Main St, Fuzhou");
  ASSERT_TRUE(store.ok());
  MerchantFilter by_store;
  by_store.store_id = store->store_id;
  ASSERT_EQ(ops_->List(by_store)->size(), 1u);
  EXPECT_EQ((*ops_->List(by_store))[0].merchant_id, store_owner[0].merchant_id);
}

// Issue 10: re-applying with an approved business code is a final answer, not "retry".
TEST_F(OnboardingIntegrationTest, ReapplyingWithAnApprovedBusinessCodeIsAlreadyExists) {
  auto m = *ops_->CreateApplication(App("BC_AGAIN"), "s");
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kSubmit, "s", "").ok());
  ASSERT_TRUE(ops_->Act(m.merchant_id, OnboardingAction::kStartReview, "s", "").ok());
  ASSERT_TRUE(ops_->Approve(m.merchant_id, "", "", "s", "").ok());
  auto again = ops_->CreateApplication(App("BC_AGAIN"), "s");
  testing::ExpectFieldError(again.status(), absl::StatusCode::kAlreadyExists, "business_code");
}

// Issue 10: a WeChat sub_mch_id that belongs to another merchant is refused naming the field,
// and the second merchant is neither approved nor activated without it.
TEST_F(OnboardingIntegrationTest, SubMerchantIdOfAnotherMerchantIsRefused) {
  auto first = *ops_->CreateApplication(App("BC_SUB_1"), "s");
  auto second = *ops_->CreateApplication(App("BC_SUB_2"), "s");
  for (const auto& id : {first.merchant_id, second.merchant_id}) {
    ASSERT_TRUE(ops_->Act(id, OnboardingAction::kSubmit, "s", "").ok());
    ASSERT_TRUE(ops_->Act(id, OnboardingAction::kStartReview, "s", "").ok());
  }
  ASSERT_TRUE(ops_->Approve(first.merchant_id, "1900055555", "", "s", "").ok());
  auto refused = ops_->Approve(second.merchant_id, "1900055555", "", "s", "");
  testing::ExpectFieldError(refused.status(), absl::StatusCode::kAlreadyExists,
                            "sub_merchant_ids.wechat");
  auto after = *ops_->Get(second.merchant_id);
  EXPECT_EQ(after.status, MerchantStatus::kInReview);
  EXPECT_TRUE(after.sub_merchants.empty());
  EXPECT_EQ(fees_.assigned.count(second.merchant_id), 0u);
  // With its own id the approval goes through.
  auto fixed = ops_->Approve(second.merchant_id, "1900066666", "", "s", "");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(fixed->status, MerchantStatus::kActive);
  EXPECT_EQ(fixed->sub_merchants.size(), 3u);
}

// Issue 10: a zone that does not load is refused at onboarding, never stored for a default.
TEST_F(OnboardingIntegrationTest, UnloadableTimeZoneIsRefused) {
  Application a = App("BC_ZONE");
  a.time_zone = "Mars/Olympus";
  testing::ExpectInvalid(ops_->CreateApplication(a, "s").status(), "time_zone");
  EXPECT_EQ(Count("merchants"), 0);
}

}  // namespace
}  // namespace aggpay::merchant
