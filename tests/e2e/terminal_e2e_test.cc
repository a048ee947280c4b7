// Terminal management end to end: staff register a terminal and issue a code through
// aggpayctl, the device activates and checks in twice (new key each time, previous key kept
// for the overlap), staff force it offline and its key is refused; refusals are audited.
// Crossing local midnight needs a controllable clock: see terminal_integration_test.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class TerminalE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    merchant_ = new std::string(OnboardMerchant("TERM_E2E"));
    store_ = new std::string(CreateStore(*merchant_));
    operator_ = new std::string(StaffToken("terry", "operator"));
  }
  static void TearDownTestSuite() {
    delete merchant_;
    delete store_;
    delete operator_;
    StackTest::TearDownTestSuite();
  }
  static CommandResult Op(const std::string& args) { return Ctl(*operator_, args); }
  // Device-side calls carry no staff token.
  static CommandResult Device(const std::string& args) { return Ctl("", args); }

  static std::string* merchant_;
  static std::string* store_;
  static std::string* operator_;
};

std::string* TerminalE2eTest::merchant_ = nullptr;
std::string* TerminalE2eTest::store_ = nullptr;
std::string* TerminalE2eTest::operator_ = nullptr;

TEST_F(TerminalE2eTest, RegisterActivateCheckInTwiceForceOfflineKeyRefused) {
  CommandResult reg =
      Op(absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                      " --type POS --serial E2E-0001 --vendor sunmi "
                      "--client-version 8.0.15 -o json"));
  ASSERT_EQ(reg.exit_code, 0) << reg.out;
  const std::string sn = JsonString(reg.out, "terminal_sn");
  EXPECT_EQ(JsonString(reg.out, "status"), "REGISTERED");
  EXPECT_NE(reg.out.find(R"("capabilities":["STATIC_CODE","DYNAMIC_CODE","CODE_SKINS"])"),
            std::string::npos);

  CommandResult code = Op(absl::StrCat("terminal code --merchant ", *merchant_, " --store ",
                                       *store_, " --terminal ", sn, " -o json"));
  ASSERT_EQ(code.exit_code, 0) << code.out;
  const std::string activation_code = JsonString(code.out, "code");

  CommandResult act = Device("terminal activate --code " + activation_code +
                             " --device-id e2e-device-0001 -o json");
  ASSERT_EQ(act.exit_code, 0) << act.out;
  EXPECT_EQ(JsonString(act.out, "terminal_sn"), sn);
  const std::string key1 = JsonString(act.out, "terminal_key");
  ASSERT_FALSE(key1.empty());
  EXPECT_NE(act.out.find("\"key_version\":1"), std::string::npos);

  // The code was single-use; the device id is taken.
  CommandResult again =
      Device("terminal activate --code " + activation_code + " --device-id e2e-device-0002");
  EXPECT_NE(again.out.find("FAILED_PRECONDITION: activation_code"), std::string::npos) << again.out;

  CommandResult in1 =
      Device("terminal check-in " + sn + " --key " + key1 + " --client-version 8.0.15 -o json");
  ASSERT_EQ(in1.exit_code, 0) << in1.out;
  const std::string key2 = JsonString(in1.out, "terminal_key");
  EXPECT_NE(key2, key1);
  EXPECT_NE(in1.out.find("\"key_version\":2"), std::string::npos);
  absl::SleepFor(absl::Seconds(1));  // check-ins are ordered by their signed second
  CommandResult in2 =
      Device("terminal check-in " + sn + " --key " + key2 + " --client-version 8.0.15 -o json");
  ASSERT_EQ(in2.exit_code, 0) << in2.out;
  EXPECT_NE(in2.out.find("\"key_version\":3"), std::string::npos);
  const std::string key3 = JsonString(in2.out, "terminal_key");

  // A forged key is refused (and audited).
  absl::SleepFor(absl::Seconds(1));
  CommandResult forged =
      Device("terminal check-in " + sn +
             " --key AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --client-version 8.0.15");
  EXPECT_NE(forged.out.find("UNAUTHENTICATED"), std::string::npos) << forged.out;

  CommandResult off = Op("terminal offline --terminal " + sn + " --reason 'lost device' -o json");
  ASSERT_EQ(off.exit_code, 0) << off.out;
  EXPECT_NE(off.out.find("\"terminals_offline\":1"), std::string::npos);
  CommandResult refused =
      Device("terminal check-in " + sn + " --key " + key3 + " --client-version 8.0.15");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("FAILED_PRECONDITION: status"), std::string::npos) << refused.out;

  // Refused public calls are counted, and sampled into the chain (one per address per minute)
  // rather than chained one by one.
  const auto metrics = HttpGet(aggpayd().admin_url() + "/metrics");
  EXPECT_NE(metrics.second.find("audit_public_failures_total"), std::string::npos);
  CommandResult audit = AdminCtl(
      "audit list --limit 500 --action "
      "/aggpay.v1.TerminalService/CheckIn -o json");
  EXPECT_NE(audit.out.find(absl::StrCat("\"target\":\"terminal:", sn, "\"")), std::string::npos);
  // The forged check-in is the first refused one from this address: sampled. The refused one
  // after it (same minute) is only counted.
  EXPECT_NE(audit.out.find("\"outcome\":\"UNAUTHENTICATED\""), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("sampled: failed public calls from"), std::string::npos);
  EXPECT_EQ(audit.out.find("\"outcome\":\"FAILED_PRECONDITION\""), std::string::npos);
  CommandResult activations = AdminCtl(
      "audit list --limit 500 --action "
      "/aggpay.v1.TerminalService/Activate -o json");
  EXPECT_NE(activations.out.find("\"outcome\":\"FAILED_PRECONDITION\""), std::string::npos);
  EXPECT_EQ(activations.out.find(activation_code), std::string::npos)
      << "activation codes are masked in the audit log";
}

// A check-in hands the terminal the URL of its current static code (none before one is issued)
// and records that the terminal now holds that code, which is how a reset finds the terminals
// still showing the old one.
TEST_F(TerminalE2eTest, CheckInHandsOverTheCurrentCodeAndRecordsTheDelivery) {
  const ActivatedTerminal t = ActivateTerminal(*merchant_, *store_, "E2E-CODE-1");
  const std::string& sn = t.sn;
  const std::string& key1 = t.key;
  CommandResult before =
      Device("terminal check-in " + sn + " --key " + key1 + " --client-version 8.0.15 -o json");
  ASSERT_EQ(before.exit_code, 0) << before.out;
  EXPECT_EQ(JsonString(before.out, "collection_code_url"), "") << before.out;
  const std::string delivered_sql =
      "SELECT code_id FROM terminal_code_delivery WHERE terminal_sn = '" + sn + "'";
  EXPECT_EQ(Query(delivered_sql), "");

  CommandResult issued = Op(absl::StrCat("code issue --merchant ", *merchant_, " --store ", *store_,
                                         " --terminal ", sn, " -o json"));
  ASSERT_EQ(issued.exit_code, 0) << issued.out;
  const std::string code_id = JsonString(issued.out, "code_id");
  ASSERT_FALSE(code_id.empty()) << issued.out;
  absl::SleepFor(absl::Seconds(1));  // check-ins are ordered by their signed second
  CommandResult after =
      Device("terminal check-in " + sn + " --key " + JsonString(before.out, "terminal_key") +
             " --client-version 8.0.15 -o json");
  ASSERT_EQ(after.exit_code, 0) << after.out;
  const std::string url = JsonString(after.out, "collection_code_url");
  EXPECT_TRUE(absl::EndsWith(url, "/" + code_id)) << after.out;
  EXPECT_EQ(Query(delivered_sql), code_id);
}

TEST_F(TerminalE2eTest, MerchantSeesItsTerminalsOverRest) {
  GatewayProcess gateway(aggpayd());
  CommandResult key = AdminCtl("merchant key create " + *merchant_ + " -o json");
  MerchantKey k{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
  ASSERT_EQ(Op(absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                            " --type QR_STAND --serial E2E-STAND-1 --vendor print "
                            "--client-version 8.0.15"))
                .exit_code,
            0);
  HttpResponse r = SignedRequest(gateway.url(), "GET", "/v1/merchant/terminals", "", k);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("E2E-STAND-1"), std::string::npos);
  // A printed stand only ever shows a static code.
  EXPECT_NE(r.body.find(R"("capabilities":["STATIC_CODE"])"), std::string::npos) << r.body;
}

TEST_F(TerminalE2eTest, BadInputAndRoles) {
  struct Case {
    std::string args;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{
           {absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                         " --type FAX --serial XX-1 --vendor v --client-version 8.0"),
            "INVALID_ARGUMENT: type"},
           {absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                         " --type POS --serial XX-1 --vendor v --client-version eight"),
            "INVALID_ARGUMENT: client_version"},
           {absl::StrCat(
                "terminal register --merchant ", *merchant_,
                " --store st_nope --type POS --serial XX-1 --vendor v --client-version 8.0"),
            "NOT_FOUND"},
           {absl::StrCat("terminal code --merchant ", *merchant_, " --store ", *store_,
                         " --ttl-seconds 5"),
            "INVALID_ARGUMENT: ttl_seconds"},
       }) {
    CommandResult r = Op(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << " -> " << r.out;
  }
  const std::string auditor = StaffToken("andy", "auditor");
  CommandResult denied =
      Ctl(auditor, absl::StrCat("terminal register --merchant ", *merchant_, " --store ", *store_,
                                " --type POS --serial XX-2 --vendor v "
                                "--client-version 8.0"));
  EXPECT_NE(denied.out.find("PERMISSION_DENIED"), std::string::npos);
  EXPECT_EQ(Ctl(auditor, "terminal list --merchant " + *merchant_).exit_code, 0);
}

}  // namespace
}  // namespace aggpay::testing
