// Risk control through the whole platform: aggpayd with every service, the REST gateway, the
// sandbox channel and aggpayctl, as payers, merchants and staff use them. A burst of small
// payments at the merchant's night freezes it (its next scan is refused and its code resolves
// MERCHANT_FROZEN), its appeal is approved and payments flow again; a device seen on three
// merchants forces their terminals offline and holds them until the security check; a
// merchant's own threshold sends a signed alert to its webhook.
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class RiskE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd());
  }
  static void TearDownTestSuite() {
    delete gateway_;
    StackTest::TearDownTestSuite();
  }

  // A zone where it is now between 01:00 and 05:00 (there always is one among UTC-12..UTC+14),
  // so that the burst below stays inside the night.
  static std::string NightZone() {
    for (int offset = -12; offset <= 14; ++offset) {
      // Etc/GMT-8 is UTC+8: the sign is POSIX's.
      std::string name = offset == 0 ? "Etc/GMT"
                                     : absl::StrCat("Etc/GMT", offset > 0 ? "-" : "+",
                                                    offset > 0 ? offset : -offset);
      absl::TimeZone z;
      if (!absl::LoadTimeZone(name, &z)) continue;
      int hour = absl::ToCivilHour(absl::Now(), z).hour();
      if (hour >= 1 && hour < 5) return name;
    }
    ADD_FAILURE() << "no zone at night";
    return "UTC";
  }

  static std::string IssueCode(const std::string& merchant, const std::string& store) {
    CommandResult c =
        AdminCtl("code issue --merchant " + merchant + " --store " + store + " -o json");
    EXPECT_EQ(c.exit_code, 0) << c.out;
    return JsonString(c.out, "code_id");
  }

  static CommandResult Scan(const std::string& code, const std::string& args) {
    return AdminCtl("sandbox scan " + code + " " + args + " -o json");
  }

  static MerchantKey CreateKey(const std::string& merchant_id) {
    CommandResult key = AdminCtl("merchant key create " + merchant_id + " -o json");
    return MerchantKey{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
  }

  static GatewayProcess* gateway_;
};

GatewayProcess* RiskE2eTest::gateway_ = nullptr;

TEST_F(RiskE2eTest, ANightBurstFreezesTheMerchantUntilItsAppealIsApproved) {
  const std::string zone = NightZone();
  const std::string merchant = OnboardMerchant("RISK_NIGHT", "BANK_AFFILIATED", zone);
  const std::string store = CreateStore(merchant);
  const std::string code = IssueCode(merchant, store);
  MerchantKey key = CreateKey(merchant);
  // Nothing to appeal yet.
  HttpResponse early = SignedRequest(gateway_->url(), "POST", "/v1/merchant/risk/appeals",
                                     R"({"statement":"nothing happened"})", key);
  EXPECT_EQ(early.status, 412) << early.body;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_appeals WHERE merchant_id = '" + merchant + "'"), "0");

  // Nineteen payments of 1.00 pass; the twentieth within ten minutes freezes.
  for (int i = 1; i <= 19; ++i) {
    CommandResult r = Scan(code, absl::StrCat("--amount 1.00 --request-id NIGHT-", i));
    ASSERT_EQ(r.exit_code, 0) << i << ": " << r.out;
  }
  CommandResult frozen = Scan(code, "--amount 1.00 --request-id NIGHT-20");
  EXPECT_NE(frozen.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(frozen.out, "night_small")) << frozen.out;
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "FROZEN");
  // The next scan is refused, and the code resolves non-payable.
  CommandResult next = Scan(code, "--amount 50.00 --request-id NIGHT-21");
  EXPECT_NE(next.exit_code, 0) << next.out;
  CommandResult resolved = AdminCtl("code resolve " + code + " -o json");
  EXPECT_EQ(JsonString(resolved.out, "outcome"), "MERCHANT_FROZEN") << resolved.out;
  CommandResult events =
      AdminCtl("risk events --merchant " + merchant + " --rule night_small -o json");
  EXPECT_EQ(events.exit_code, 0) << events.out;
  EXPECT_TRUE(absl::StrContains(events.out, "\"night_small_payments\":\"20\"")) << events.out;
  EXPECT_TRUE(absl::StrContains(events.out, "\"decision\":\"FREEZE\"")) << events.out;

  // Staff cannot lift risk's freeze around the review.
  CommandResult bypass = AdminCtl("merchant unfreeze " + merchant + " --reason 'looks fine'");
  EXPECT_NE(bypass.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(bypass.out, "appeal")) << bypass.out;
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "FROZEN");

  // The merchant appeals over REST with its evidence; staff review it.
  const std::string sha(64, 'b');
  HttpResponse appeal = SignedRequest(
      gateway_->url(), "POST", "/v1/merchant/risk/appeals",
      absl::StrCat(
          R"({"statement":"夜市摊位，小额现金替代","documents":[{"name":"摊位租赁合同.pdf","sha256":")",
          sha, R"("}]})"),
      key);
  ASSERT_EQ(appeal.status, 200) << appeal.body;
  const std::string appeal_id = JsonString(appeal.body, "appeal_id");
  ASSERT_FALSE(appeal_id.empty()) << appeal.body;
  CommandResult pending = AdminCtl("risk appeals -o json");
  EXPECT_TRUE(absl::StrContains(pending.out, merchant)) << pending.out;
  // A verdict needs a note: nothing changes without one.
  EXPECT_NE(AdminCtl("risk review " + appeal_id + " --approve --note ''").exit_code, 0);
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "FROZEN");
  CommandResult approved = AdminCtl("risk review " + appeal_id +
                                    " --approve --note 'night market stall, checked' -o json");
  ASSERT_EQ(approved.exit_code, 0) << approved.out;
  EXPECT_EQ(JsonString(approved.out, "status"), "APPROVED");
  EXPECT_EQ(Query("SELECT status FROM merchants WHERE merchant_id = '" + merchant + "'"), "ACTIVE");
  EXPECT_EQ(JsonString(AdminCtl("code resolve " + code + " -o json").out, "outcome"), "PAYABLE");
  // Payments flow again, and the burst the reviewer cleared does not freeze it again.
  CommandResult again = Scan(code, "--amount 1.00 --request-id NIGHT-AFTER");
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(JsonString(again.out, "status"), "PAYING") << again.out;
  // Everything above is in the audit log.
  CommandResult audit = AdminCtl("audit list --limit 500 -o json");
  EXPECT_TRUE(absl::StrContains(audit.out, "SubmitAppeal")) << audit.out.substr(0, 500);
  EXPECT_TRUE(absl::StrContains(audit.out, "ReviewAppeal"));
}

TEST_F(RiskE2eTest, OneDeviceOnThreeMerchantsForcesTheirTerminalsOfflineUntilTheCheck) {
  std::vector<std::string> merchants, codes, terminals;
  for (int i = 0; i < 3; ++i) {
    merchants.push_back(OnboardMerchant(absl::StrCat("RISK_HOP_", i)));
    const std::string store = CreateStore(merchants.back());
    codes.push_back(IssueCode(merchants.back(), store));
    terminals.push_back(ActivateTerminal(merchants.back(), store, absl::StrCat("HOP", i)).sn);
  }
  for (int i = 0; i < 2; ++i) {
    CommandResult r = Scan(codes[i], absl::StrCat("--amount 20.00 --device-id hopper-1 "
                                                  "--request-id HOP-",
                                                  i));
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  CommandResult third = Scan(codes[2], "--amount 20.00 --device-id hopper-1 --request-id HOP-2");
  EXPECT_NE(third.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(third.out, "device_hopping")) << third.out;
  for (const auto& sn : terminals) {
    EXPECT_EQ(Query("SELECT status FROM terminals WHERE terminal_sn = '" + sn + "'"), "OFFLINE")
        << sn;
  }
  // Held: no terminal of these merchants can be cleared for activation before the check.
  CommandResult clear = AdminCtl("terminal clear " + terminals[0]);
  EXPECT_NE(clear.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(clear.out, "security check")) << clear.out;
  CommandResult pass = AdminCtl("risk security-pass --merchant " + merchants[0] +
                                " --note 'device owner verified in person' -o json");
  ASSERT_EQ(pass.exit_code, 0) << pass.out;
  EXPECT_EQ(JsonString(pass.out, "status"), "LIFTED");
  CommandResult cleared = AdminCtl("terminal clear " + terminals[0] + " -o json");
  EXPECT_EQ(cleared.exit_code, 0) << cleared.out;
  EXPECT_EQ(JsonString(cleared.out, "status"), "REGISTERED");
  // The others stay held.
  EXPECT_NE(AdminCtl("terminal clear " + terminals[1]).exit_code, 0);
}

TEST_F(RiskE2eTest, AMerchantsOwnThresholdSendsASignedAlertToItsWebhook) {
  const std::string merchant = OnboardMerchant("RISK_ALERT");
  const std::string other = OnboardMerchant("RISK_ALERT_OTHER");
  const std::string store = CreateStore(merchant);
  const std::string code = IssueCode(merchant, store);
  MerchantKey key = CreateKey(merchant);

  httplib::Server receiver;
  std::mutex mu;
  std::string alert_body, signature;
  receiver.Post("/notify", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    if (absl::StrContains(req.body, "risk.alert")) {
      alert_body = req.body;
      signature = req.get_header_value("Aggpay-Signature");
    }
    res.status = 200;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  HttpResponse hook =
      SignedRequest(gateway_->url(), "PUT", "/v1/merchant/webhook",
                    absl::StrCat(R"({"notify_url":"http://127.0.0.1:)", port, R"(/notify"})"), key);
  ASSERT_EQ(hook.status, 200) << hook.body;
  // Another merchant's thresholds are not this merchant's to set.
  HttpResponse foreign = SignedRequest(
      gateway_->url(), "PUT", "/v1/merchant/risk/thresholds",
      absl::StrCat(R"({"merchant_id":")", other,
                   R"(","single_payment_over":{"currency":"CNY","amount_minor":"1"}})"),
      key);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_alert_thresholds WHERE merchant_id = '" + other + "'"),
            "0");
  HttpResponse bad =
      SignedRequest(gateway_->url(), "PUT", "/v1/merchant/risk/thresholds",
                    R"({"single_payment_over":{"currency":"CNY","amount_minor":"-5"}})", key);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(JsonString(bad.body, "field"), "single_payment_over.amount_minor") << bad.body;
  HttpResponse set =
      SignedRequest(gateway_->url(), "PUT", "/v1/merchant/risk/thresholds",
                    R"({"single_payment_over":{"currency":"CNY","amount_minor":"5000"}})", key);
  ASSERT_EQ(set.status, 200) << set.body;

  ASSERT_EQ(Scan(code, "--amount 50.00 --request-id AL-1").exit_code, 0);  // at the level
  ASSERT_EQ(Scan(code, "--amount 50.01 --request-id AL-2").exit_code, 0);  // past it
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mu);
      if (!alert_body.empty()) break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  receiver.stop();
  serving.join();
  std::lock_guard lock(mu);
  ASSERT_FALSE(alert_body.empty()) << "no alert reached the webhook";
  EXPECT_TRUE(absl::StrContains(alert_body, "\"kind\":\"SINGLE_PAYMENT\"")) << alert_body;
  EXPECT_TRUE(absl::StrContains(alert_body, "\"amount_minor\":\"5001\"")) << alert_body;
  EXPECT_FALSE(signature.empty());
  HttpResponse alerts = SignedRequest(gateway_->url(), "GET", "/v1/merchant/risk/alerts", "", key);
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  EXPECT_EQ(JsonString(alerts.body, "kind"), "SINGLE_PAYMENT") << alerts.body;
}

TEST_F(RiskE2eTest, StaffSeeAndChangeRulesWithEveryChangeVersioned) {
  CommandResult rules = AdminCtl("risk rules -o json");
  ASSERT_EQ(rules.exit_code, 0) << rules.out;
  for (const char* id : {"amount_surge", "night_small", "foreign_ip", "device_hopping"}) {
    EXPECT_TRUE(absl::StrContains(rules.out, id)) << id;
  }
  CommandResult bad = AdminCtl("risk set foreign_ip --param window_seconds=-60 --reason tighter");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(bad.out, "params.window_seconds")) << bad.out;
  CommandResult set = AdminCtl(
      "risk set foreign_ip --param min_payments=20 --action FREEZE --reason 'fraud ring' -o json");
  ASSERT_EQ(set.exit_code, 0) << set.out;
  EXPECT_TRUE(absl::StrContains(set.out, "\"version\":2")) << set.out;
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_rule_versions WHERE rule_id = 'foreign_ip'"), "2");
  CommandResult regions =
      AdminCtl("risk regions import " + SourceDir() + "/data/risk/regions-sample.csv -o json");
  EXPECT_EQ(regions.exit_code, 0) << regions.out;
  EXPECT_TRUE(absl::StrContains(regions.out, "\"ranges\":8")) << regions.out;
  // Put back what other tests expect.
  EXPECT_EQ(AdminCtl("risk set foreign_ip --param min_payments=10 --action REVIEW --reason reset")
                .exit_code,
            0);
}

}  // namespace
}  // namespace aggpay::testing
