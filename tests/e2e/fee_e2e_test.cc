// The fee service end to end, through aggpayctl as finance staff use it.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class FeeE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    finance_ = new std::string(StaffToken("fin", "finance"));
    operator_ = new std::string(StaffToken("ops", "operator"));
  }
  static void TearDownTestSuite() {
    delete finance_;
    delete operator_;
    StackTest::TearDownTestSuite();
  }
  static CommandResult Finance(const std::string& args) { return Ctl(*finance_, args); }

  static std::string* finance_;
  static std::string* operator_;
};

std::string* FeeE2eTest::finance_ = nullptr;
std::string* FeeE2eTest::operator_ = nullptr;

TEST_F(FeeE2eTest, QuoteContractPrintsIntegerMinorUnits) {
  CommandResult r = Finance(
      "fee quote --plan bank-standard --channel wechat --amount 123.45 --currency CNY --output "
      "json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // 0.38% of 123.45 = 46.911 fen -> 47 fen.
  EXPECT_EQ(r.out,
            "{\"fee\":{\"currency\":\"CNY\",\"amount_minor\":47},\"net\":{\"currency\":\"CNY\","
            "\"amount_minor\":12298},\"plan_id\":\"bank-standard\",\"plan_version\":1}\n");
}

TEST_F(FeeE2eTest, DomainExamplesToTheFen) {
  struct Case {
    const char* args;
    const char* fee;
  };
  for (const Case& c : {
           Case{"--plan bank-standard --channel wechat --amount 1.00", "\"amount_minor\":0}"},
           Case{"--plan independent-standard --channel alipay --amount 0.75",
                "\"amount_minor\":0}"},
           Case{"--plan bank-standard --channel unionpay --amount 10000.00",
                "\"amount_minor\":2000}"},
           Case{"--plan independent-standard --channel wechat --amount 10000.00",
                "\"amount_minor\":6000}"},
       }) {
    CommandResult r = Finance(absl::StrCat("fee quote ", c.args, " -o json"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.find("{\"fee\":{\"currency\":\"CNY\","), 0u) << r.out;
    EXPECT_NE(r.out.find(c.fee), std::string::npos) << c.args << " -> " << r.out;
  }
}

TEST_F(FeeE2eTest, FinanceCreatesAJpyPlanOthersCannot) {
  CommandResult denied = Ctl(*operator_,
                             "fee plan create --id jpy-ops --currency JPY --settlement T1 "
                             "--rate-ppm 30000");
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_NE(denied.out.find("PERMISSION_DENIED"), std::string::npos);

  CommandResult created = Finance(
      "fee plan create --id jpy-cross --currency JPY --settlement T1 --rate-ppm 30000 --cap 500 "
      "--channel-rate alipay=25000 -o json");
  ASSERT_EQ(created.exit_code, 0) << created.out;
  EXPECT_NE(created.out.find("\"alipay_rate_ppm\":25000"), std::string::npos);
  // JPY has no minor unit: 3% of 1,500 yen is 45 yen; 3% of 50,000 is capped at 500.
  CommandResult q = Finance(
      "fee quote --plan jpy-cross --channel wechat --amount 1500 "
      "--currency JPY -o json");
  EXPECT_NE(q.out.find("{\"fee\":{\"currency\":\"JPY\",\"amount_minor\":45}"), std::string::npos)
      << q.out;
  CommandResult capped = Finance(
      "fee quote --plan jpy-cross --channel wechat --amount 50000 "
      "--currency JPY -o json");
  EXPECT_NE(capped.out.find("\"amount_minor\":500}"), std::string::npos) << capped.out;
  CommandResult fraction = Finance(
      "fee quote --plan jpy-cross --channel wechat --amount 1.5 "
      "--currency JPY");
  EXPECT_EQ(fraction.exit_code, 1);
  EXPECT_NE(fraction.out.find("INVALID_ARGUMENT: amount"), std::string::npos) << fraction.out;
}

TEST_F(FeeE2eTest, BadInputNamesTheFieldAndWritesNothing) {
  struct Case {
    const char* args;
    const char* expect;
  };
  for (const Case& c : {
           Case{"fee quote --plan bank-standard --channel wechat --amount 1.005",
                "INVALID_ARGUMENT: amount"},
           Case{"fee quote --plan bank-standard --channel wechat --amount -1",
                "INVALID_ARGUMENT: amount"},
           Case{"fee quote --plan bank-standard --channel wechat --amount 0",
                "INVALID_ARGUMENT: amount"},
           Case{"fee quote --plan bank-standard --channel wechat --amount 10000000.01",
                "INVALID_ARGUMENT: amount"},
           Case{"fee quote --plan bank-standard --channel paypal --amount 1",
                "INVALID_ARGUMENT: channel"},
           Case{"fee quote --plan bank-standard --channel wechat --amount 1 --currency XXX",
                "INVALID_ARGUMENT: currency"},
           Case{"fee quote --plan bank-standard --channel wechat --amount 1 --currency USD",
                "INVALID_ARGUMENT: currency"},
           Case{"fee quote --plan missing --channel wechat --amount 1", "NOT_FOUND"},
           Case{"fee plan create --id over --currency CNY --settlement T1 --rate-ppm 1000001",
                "INVALID_ARGUMENT: rate_ppm"},
           Case{"fee plan create --id capmin --currency CNY --settlement T1 --rate-ppm 100 "
                "--cap 1 --min 2",
                "INVALID_ARGUMENT: cap"},
           Case{"fee plan create --id cyc --currency CNY --settlement T7 --rate-ppm 100",
                "INVALID_ARGUMENT: spec.settlement"},
       }) {
    CommandResult r = Finance(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << " -> " << r.out;
  }
  CommandResult list = Finance("fee plan list -o json");
  for (const char* id : {"over", "capmin", "cyc"}) {
    EXPECT_EQ(list.out.find(absl::StrCat("\"plan_id\":\"", id, "\"")), std::string::npos) << id;
  }
}

TEST_F(FeeE2eTest, AssignQuoteRefundSplitCompare) {
  ASSERT_EQ(Finance("fee plan assign m_e2e independent-standard").exit_code, 0);
  CommandResult q = Finance("fee quote --merchant m_e2e --channel wechat --amount 100 -o json");
  EXPECT_NE(q.out.find("\"plan_id\":\"independent-standard\""), std::string::npos) << q.out;

  // Refunding 100.00 (fee 0.60) in three parts returns 0.20 + 0.20 + 0.20 = 0.60 exactly.
  CommandResult r1 = Finance(
      "fee refund-fee --payment-amount 100 --payment-fee 0.60 "
      "--refund 33.33 -o json");
  EXPECT_NE(r1.out.find("\"amount_minor\":20"), std::string::npos) << r1.out;
  CommandResult r3 = Finance(
      "fee refund-fee --payment-amount 100 --payment-fee 0.60 "
      "--refunded-before 66.66 --returned-before 0.40 --refund 33.34 -o json");
  EXPECT_NE(r3.out.find("\"amount_minor\":20"), std::string::npos) << r3.out;
  CommandResult over = Finance(
      "fee refund-fee --payment-amount 100 --payment-fee 0.60 "
      "--refunded-before 90 --refund 10.01");
  EXPECT_NE(over.out.find("FAILED_PRECONDITION: refund_amount"), std::string::npos) << over.out;

  ASSERT_EQ(Finance("fee agent set-rate ag-top --cost-ppm 2500").exit_code, 0);
  ASSERT_EQ(Finance("fee agent set-rate ag-sub --cost-ppm 3000").exit_code, 0);
  CommandResult split = Finance(
      "fee split --plan independent-standard --agents ag-top,ag-sub --payment wechat=1000 -o json");
  ASSERT_EQ(split.exit_code, 0) << split.out;
  EXPECT_NE(split.out.find("\"total_provider_margin\":{\"currency\":\"CNY\",\"amount_minor\":50}"),
            std::string::npos)
      << split.out;

  CommandResult cmp = Finance(
      "fee compare --plan bank-standard --plan independent-standard "
      "--payment wechat=100 --payment alipay=10000 -o json");
  EXPECT_NE(cmp.out.find("\"total_fee\":{\"currency\":\"CNY\",\"amount_minor\":2038}"),
            std::string::npos)
      << cmp.out;
  EXPECT_NE(cmp.out.find("\"total_fee\":{\"currency\":\"CNY\",\"amount_minor\":6060}"),
            std::string::npos);
}

TEST_F(FeeE2eTest, PlanChangesAreAudited) {
  ASSERT_EQ(Finance("fee plan create --id audited --currency EUR --settlement D0 --rate-ppm 14000")
                .exit_code,
            0);
  CommandResult audit = AdminCtl(
      "audit list --limit 500 --action "
      "/aggpay.v1.FeeService/CreatePlan -o json");
  EXPECT_NE(audit.out.find("\"target\":\"fee_plan:audited\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("\"actor\":\"staff:fin\""), std::string::npos);
  EXPECT_EQ(AdminCtl("audit verify").exit_code, 0);
}

}  // namespace
}  // namespace aggpay::testing
