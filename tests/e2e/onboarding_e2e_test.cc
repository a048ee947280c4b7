// Merchant onboarding end to end through aggpayctl: apply, submit, reject, resubmit, approve;
// the fee service assigns the plan applied for; roles are enforced and every step audited.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class OnboardingE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    operator_ = new std::string(StaffToken("olga", "operator"));
    reviewer_ = new std::string(StaffToken("rita", "reviewer"));
  }
  static void TearDownTestSuite() {
    delete operator_;
    delete reviewer_;
    StackTest::TearDownTestSuite();
  }
  static CommandResult Op(const std::string& args) { return Ctl(*operator_, args); }
  static CommandResult Rev(const std::string& args) { return Ctl(*reviewer_, args); }

  // docs/examples/application.json with some fields replaced, written to a temp file.
  static std::string Application(
      const std::string& business_code,
      const std::vector<std::pair<std::string, std::string>>& edits = {}) {
    std::ifstream in(SourceDir() + "/docs/examples/application.json");
    std::stringstream buf;
    buf << in.rdbuf();
    std::string text = absl::StrReplaceAll(buf.str(), {{"APPLY_20261126_0001", business_code}});
    for (const auto& [from, to] : edits) text = absl::StrReplaceAll(text, {{from, to}});
    const std::string path = absl::StrCat(SharedServers().dir(), "/", business_code, ".json");
    std::ofstream(path) << text;
    return path;
  }

  static std::string* operator_;
  static std::string* reviewer_;
};

std::string* OnboardingE2eTest::operator_ = nullptr;
std::string* OnboardingE2eTest::reviewer_ = nullptr;

TEST_F(OnboardingE2eTest, ApplySubmitRejectResubmitApprove) {
  CommandResult applied =
      Op(absl::StrCat("merchant apply --file ", Application("E2E_1"), " -o json"));
  ASSERT_EQ(applied.exit_code, 0) << applied.out;
  const std::string id = JsonString(applied.out, "merchant_id");
  EXPECT_EQ(JsonString(applied.out, "status"), "DRAFT");
  EXPECT_EQ(JsonString(applied.out, "account_number"), "****3456");

  EXPECT_EQ(JsonString(Op("merchant submit " + id + " -o json").out, "status"), "SUBMITTED");
  // An operator cannot review; a reviewer can.
  CommandResult denied = Op("merchant review " + id);
  EXPECT_NE(denied.out.find("PERMISSION_DENIED"), std::string::npos);
  EXPECT_EQ(JsonString(Rev("merchant review " + id + " -o json").out, "status"), "IN_REVIEW");
  CommandResult rejected =
      Rev("merchant reject " + id + " --reason 'licence photo unreadable' -o json");
  EXPECT_EQ(JsonString(rejected.out, "status"), "REJECTED");
  EXPECT_EQ(JsonString(rejected.out, "reject_reason"), "licence photo unreadable");

  // Resubmitting with the same business code overwrites the rejected application.
  CommandResult replaced = Op(absl::StrCat(
      "merchant apply --file ",
      Application("E2E_1", {{"Minjiang Tea House\"", "Minjiang Tea House (new photos)\""}}),
      " -o json"));
  ASSERT_EQ(replaced.exit_code, 0) << replaced.out;
  EXPECT_EQ(JsonString(replaced.out, "merchant_id"), id);
  EXPECT_EQ(JsonString(Op("merchant submit " + id + " -o json").out, "status"), "SUBMITTED");
  ASSERT_EQ(Rev("merchant review " + id).exit_code, 0);
  CommandResult approved =
      Rev("merchant approve " + id + " --wechat-sub-mch-id 1900099999 -o json");
  ASSERT_EQ(approved.exit_code, 0) << approved.out;
  EXPECT_EQ(JsonString(approved.out, "status"), "ACTIVE");
  EXPECT_NE(approved.out.find("\"sub_merchant_id\":\"1900099999\",\"source\":\"STAFF\""),
            std::string::npos)
      << approved.out;

  // The fee service put it on the plan it applied for.
  const std::string finance = StaffToken("fiona", "finance");
  CommandResult plan = Ctl(finance, "fee plan merchant " + id + " -o json");
  EXPECT_NE(plan.out.find("\"plan_id\":\"bank-standard\""), std::string::npos) << plan.out;
  CommandResult quote =
      Ctl(finance, "fee quote --merchant " + id + " --channel wechat --amount 10000 -o json");
  EXPECT_NE(quote.out.find("{\"fee\":{\"currency\":\"CNY\",\"amount_minor\":2000}"),
            std::string::npos)
      << quote.out;

  // Every step is audited.
  CommandResult audit = AdminCtl("audit list --limit 500 -o json");
  for (const char* action : {"CreateApplication", "SubmitApplication", "StartReview",
                             "RejectApplication", "ApproveApplication"}) {
    EXPECT_NE(audit.out.find(absl::StrCat("/aggpay.v1.MerchantService/", action)),
              std::string::npos)
        << action;
  }
  EXPECT_NE(audit.out.find(absl::StrCat("\"target\":\"merchant:", id, "\"")), std::string::npos);
}

TEST_F(OnboardingE2eTest, BadInputNamesTheFieldAndIllegalStepsTheState) {
  struct Case {
    std::vector<std::pair<std::string, std::string>> edits;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{
           {{{"91350100M000100Y43", "91350100M000100Y44"}},
            "INVALID_ARGUMENT: business_licence_number"},
           {{{"13812345678", "12345"}}, "INVALID_ARGUMENT: contact_phone"},
           {{{"117010100100123456", "12AB"}},
            "INVALID_ARGUMENT: settlement_account.account_number"},
           {{{"\"CNY\"", "\"XYZ\""}}, "INVALID_ARGUMENT: home_currency"},
           {{{"\"kind\": \"CORPORATE\"", "\"kind\": \"PERSONAL\""}},
            "FAILED_PRECONDITION: settlement_account.kind"},
       }) {
    CommandResult r = Op(absl::StrCat("merchant apply --file ", Application("E2E_BAD", c.edits)));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.expect << " -> " << r.out;
  }
  CommandResult none = Op("merchant list -o json");
  EXPECT_EQ(none.out.find("E2E_BAD"), std::string::npos);

  CommandResult draft =
      Op(absl::StrCat("merchant apply --file ", Application("E2E_2"), " -o json"));
  const std::string id = JsonString(draft.out, "merchant_id");
  CommandResult approve_draft = Rev("merchant approve " + id);
  EXPECT_NE(
      approve_draft.out.find("FAILED_PRECONDITION: status: cannot approve a merchant in DRAFT"),
      std::string::npos)
      << approve_draft.out;
  CommandResult closed = AdminCtl("merchant close " + id + " --reason 'duplicate application'");
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  CommandResult edit_closed =
      Op(absl::StrCat("merchant edit ", id, " --file ", Application("E2E_2")));
  EXPECT_NE(edit_closed.out.find("FAILED_PRECONDITION: status"), std::string::npos)
      << edit_closed.out;
}

TEST_F(OnboardingE2eTest, StoresAgentsAndSearch) {
  ASSERT_EQ(Op("merchant agent create east --name 'East Agency'").exit_code, 0);
  ASSERT_EQ(Op("merchant agent create east-1 --name 'East Sub' --parent east").exit_code, 0);
  CommandResult m = Op(absl::StrCat(
      "merchant apply --file ",
      Application("E2E_3", {{"\"plan_kind\"", "\"agent_id\": \"east-1\", \"plan_kind\""}}),
      " -o json"));
  ASSERT_EQ(m.exit_code, 0) << m.out;
  const std::string id = JsonString(m.out, "merchant_id");
  CommandResult store = Op("merchant store create " + id +
                           " --name 'Riverside' --address '8 Jiangbin Rd, Fuzhou' -o json");
  ASSERT_EQ(store.exit_code, 0) << store.out;
  CommandResult by_agent = Op("merchant list --agent east-1 -o json");
  EXPECT_NE(by_agent.out.find(id), std::string::npos);
  CommandResult by_store =
      Op("merchant list --store " + JsonString(store.out, "store_id") + " -o json");
  EXPECT_NE(by_store.out.find(id), std::string::npos);
  CommandResult by_status = Op("merchant list --status ACTIVE -o json");
  EXPECT_EQ(by_status.out.find(id), std::string::npos);
  CommandResult bad_status = Op("merchant list --status SLEEPING");
  EXPECT_NE(bad_status.out.find("INVALID_ARGUMENT: status"), std::string::npos) << bad_status.out;
}

}  // namespace
}  // namespace aggpay::testing
