// The merchant REST API through the real grpc-gateway: signed requests, every refusal, tenant
// isolation, rate limits, the error shape, payments (the payers' unsigned public route and the
// merchants' signed ones), and a table of every route the gateway exposes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "aggpay/v1/merchant.pb.h"
#include "services/common/crypto/crypto.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"

namespace aggpay::testing {
namespace {

class RestE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd());
    alice_ = new std::string(OnboardMerchant("REST_A", "BANK_AFFILIATED"));
    bob_ = new std::string(OnboardMerchant("REST_B", "INDEPENDENT"));
    alice_key_ = new MerchantKey(CreateKey(*alice_));
    bob_key_ = new MerchantKey(CreateKey(*bob_));
  }
  static void TearDownTestSuite() {
    delete gateway_;
    delete alice_;
    delete bob_;
    delete alice_key_;
    delete bob_key_;
    StackTest::TearDownTestSuite();
  }

  static MerchantKey CreateKey(const std::string& merchant_id) {
    CommandResult key = AdminCtl("merchant key create " + merchant_id + " -o json");
    return MerchantKey{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
  }
  static HttpResponse Signed(const std::string& method, const std::string& path,
                             const std::string& body = "", const MerchantKey* key = nullptr,
                             const SignOptions& options = {}) {
    return SignedRequest(gateway_->url(), method, path, body, key ? *key : *alice_key_, options);
  }
  static std::string ErrorCode(const HttpResponse& r) { return JsonString(r.body, "code"); }

  static std::string IssueCode(const std::string& merchant_id, const std::string& store_id) {
    return JsonString(
        AdminCtl("code issue --merchant " + merchant_id + " --store " + store_id + " -o json").out,
        "code_id");
  }
  // The amount_minor of the Money that follows "key" in a JSON text, -1 when absent.
  // The amount_minor of the Money that follows "key" in a JSON text (a string in the gateway's
  // JSON, a number in aggpayctl's), -1 when absent.
  static int64_t Minor(const std::string& json, const std::string& key) {
    const size_t at = json.find(absl::StrCat("\"", key, "\":{"));
    if (at == std::string::npos) return -1;
    const std::string needle = "\"amount_minor\":";
    size_t start = json.find(needle, at);
    if (start == std::string::npos) return -1;
    start += needle.size();
    if (json[start] == '"') ++start;
    const size_t end = json.find_first_of("\",}", start);
    int64_t v = -1;
    if (!absl::SimpleAtoi(json.substr(start, end - start), &v)) return -1;
    return v;
  }
  // Pays a payment in the sandbox wallet and waits until it is SUCCESS.
  static void PayInSandbox(const std::string& payment_id) {
    ASSERT_EQ(AdminCtl("sandbox pay " + payment_id).exit_code, 0);
    std::string got;
    for (int i = 0; i < 100; ++i) {
      got = AdminCtl("payment get " + payment_id + " -o json").out;
      if (JsonString(got, "status") == "SUCCESS") return;
      absl::SleepFor(absl::Milliseconds(100));
    }
    FAIL() << "payment " << payment_id << " never succeeded: " << got;
  }
  static std::string Query(const std::string& sql) {
    CommandResult r = RunCommand(absl::StrCat("mariadb --no-defaults -N -B -h127.0.0.1 -P",
                                              SharedServers().mysql_port(), " -uroot ",
                                              db().database, " -e \"", sql, "\" 2>&1"));
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  static std::string Today() {
    absl::TimeZone sh;
    absl::LoadTimeZone("Asia/Shanghai", &sh);
    return absl::FormatTime("%Y-%m-%d", absl::Now(), sh);
  }
  static std::string CodePaymentBody(const std::string& code, const std::string& request_id) {
    return absl::StrCat(R"({"code":")", code,
                        R"(","amount":{"currency":"CNY","amount_minor":"1234"},"wallet":"wechat",)",
                        R"("payer_ip":"6.6.6.6","device_id":"dev-)", code.substr(0, 12),
                        R"(","client_request_id":")", request_id, R"("})");
  }

  static GatewayProcess* gateway_;
  static std::string* alice_;
  static std::string* bob_;
  static MerchantKey* alice_key_;
  static MerchantKey* bob_key_;
};

GatewayProcess* RestE2eTest::gateway_ = nullptr;
std::string* RestE2eTest::alice_ = nullptr;
std::string* RestE2eTest::bob_ = nullptr;
MerchantKey* RestE2eTest::alice_key_ = nullptr;
MerchantKey* RestE2eTest::bob_key_ = nullptr;

TEST_F(RestE2eTest, ValidSignedRequestReturnsTheCallersOwnProfile) {
  HttpResponse r = Signed("GET", "/v1/merchant");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonString(r.body, "merchant_id"), *alice_);
  EXPECT_EQ(JsonString(r.body, "contact_phone"), "138****5678");
  HttpResponse b = Signed("GET", "/v1/merchant", "", bob_key_);
  EXPECT_EQ(JsonString(b.body, "merchant_id"), *bob_);
}

TEST_F(RestE2eTest, EveryForgeryIsRefusedWithTheRightStatus) {
  const std::string body =
      R"({"channel":"wechat","amount":{"currency":"CNY","amount_minor":"10000"}})";
  MerchantKey wrong_secret{alice_key_->key_id, bob_key_->secret};
  MerchantKey unknown{"ak_doesnotexist", alice_key_->secret};
  SignOptions stale;
  // A minute past the 300 s window either way: one second past it raced the server's clock,
  // which reads a later second when a second boundary falls between signing and checking.
  stale.timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) - 360);
  SignOptions future;
  future.timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) + 360);
  SignOptions bad_signature;
  bad_signature.signature = std::string(64, 'a');
  SignOptions altered;
  altered.sign_body_override = true;
  altered.signed_body = R"({"channel":"wechat","amount":{"currency":"CNY","amount_minor":"1"}})";

  struct Case {
    const char* name;
    HttpResponse response;
  };
  for (const Case& c : {
           Case{"bad signature", Signed("POST", "/v1/fees/quote", body, nullptr, bad_signature)},
           Case{"wrong key", Signed("POST", "/v1/fees/quote", body, &wrong_secret)},
           Case{"unknown key", Signed("POST", "/v1/fees/quote", body, &unknown)},
           Case{"stale timestamp", Signed("POST", "/v1/fees/quote", body, nullptr, stale)},
           Case{"future timestamp", Signed("POST", "/v1/fees/quote", body, nullptr, future)},
           Case{"body altered", Signed("POST", "/v1/fees/quote", body, nullptr, altered)},
           Case{"unsigned", PlainRequest(gateway_->url(), "POST", "/v1/fees/quote", body)},
       }) {
    EXPECT_EQ(c.response.status, 401) << c.name << ": " << c.response.body;
    EXPECT_EQ(ErrorCode(c.response), "UNAUTHENTICATED") << c.name;
    EXPECT_NE(JsonString(c.response.body, "message"), "") << c.name;
  }
}

TEST_F(RestE2eTest, ReplayedNonceIsRefused) {
  SignOptions fixed;
  fixed.nonce = "replay-nonce-0001";
  EXPECT_EQ(Signed("GET", "/v1/merchant", "", nullptr, fixed).status, 200);
  HttpResponse replay = Signed("GET", "/v1/merchant", "", nullptr, fixed);
  EXPECT_EQ(replay.status, 401);
  EXPECT_NE(replay.body.find("nonce already used"), std::string::npos) << replay.body;
}

// A replayed nonce on a mutating route (the same nonce, re-signed over another body) is a 401 and
// changes nothing: not the webhook, not the audit log.
TEST_F(RestE2eTest, AReplayedNonceOnAMutatingRouteChangesNothing) {
  const std::string id = OnboardMerchant("REST_REPLAY", "INDEPENDENT");
  MerchantKey key = CreateKey(id);
  SignOptions fixed;
  fixed.nonce = "replay-nonce-put-0001";
  HttpResponse first = Signed("PUT", "/v1/merchant/webhook",
                              R"({"notify_url":"https://shop.example/first"})", &key, fixed);
  ASSERT_EQ(first.status, 200) << first.body;
  // The first change's entry is chained asynchronously: wait for it before counting.
  const std::string count_audit =
      absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE actor LIKE '%", id, "%'");
  std::string audit_rows;
  for (int i = 0; i < 50; ++i) {
    audit_rows = Query(count_audit);
    if (audit_rows != "0") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(audit_rows, "0");
  HttpResponse replay = Signed("PUT", "/v1/merchant/webhook",
                               R"({"notify_url":"https://evil.example/replayed"})", &key, fixed);
  EXPECT_EQ(replay.status, 401) << replay.body;
  EXPECT_EQ(ErrorCode(replay), "UNAUTHENTICATED");
  EXPECT_NE(replay.body.find("nonce already used"), std::string::npos) << replay.body;
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Query(count_audit), audit_rows);
  EXPECT_EQ(Query(absl::StrCat("SELECT notify_url FROM merchant_webhooks WHERE merchant_id = '", id,
                               "'")),
            "https://shop.example/first");
}

TEST_F(RestE2eTest, RevokedKeyStopsAtOnce) {
  MerchantKey key = CreateKey(*bob_);
  EXPECT_EQ(Signed("GET", "/v1/merchant", "", &key).status, 200);
  ASSERT_EQ(AdminCtl("merchant key revoke " + key.key_id).exit_code, 0);
  HttpResponse r = Signed("GET", "/v1/merchant", "", &key);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "UNAUTHENTICATED");
}

TEST_F(RestE2eTest, SpoofedInternalHeadersChangeNothing) {
  // A valid request from alice that also claims to be bob, with a guessed internal credential.
  SignOptions spoof;
  spoof.extra_headers = {{"x-aggpay-merchant-id", *bob_},
                         {"x-aggpay-internal", "guess-guess-guess-guess"},
                         {"Grpc-Metadata-X-Aggpay-Merchant-Id", *bob_},
                         {"x-aggpay-principal", "1.Ym9i.YWRtaW4.YWRtaW4."}};
  HttpResponse r = Signed("GET", "/v1/merchant", "", nullptr, spoof);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(JsonString(r.body, "merchant_id"), *alice_);
  // Without a signature the spoofed headers alone get nothing.
  HttpResponse unsigned_spoof =
      PlainRequest(gateway_->url(), "GET", "/v1/merchant", "", spoof.extra_headers);
  EXPECT_EQ(unsigned_spoof.status, 401);
}

// The signed request the gateway sends aggpayd with a route's call is the gateway's alone: a
// client's own x-aggpay-signed-request-bin (here a valid one, signed with bob's key), plain or as
// Grpc-Metadata-*, is neither forwarded nor believed, signed or not.
TEST_F(RestE2eTest, AClientsOwnSignedRequestHeaderGetsNothing) {
  aggpay::v1::AuthenticateRequestRequest bobs;
  bobs.set_key_id(bob_key_->key_id);
  bobs.set_timestamp(std::to_string(absl::ToUnixSeconds(absl::Now())));
  bobs.set_nonce(common::RandomToken(12));
  bobs.set_method("GET");
  bobs.set_path_and_query("/v1/merchant");
  bobs.set_body_sha256(common::Sha256Hex(""));
  bobs.set_signature(common::HmacSha256Hex(
      bob_key_->secret, absl::StrCat("GET\n/v1/merchant\n", bobs.timestamp(), "\n", bobs.nonce(),
                                     "\n", bobs.body_sha256(), "\n")));
  const std::string forged = absl::Base64Escape(bobs.SerializeAsString());
  for (const std::string header :
       {"x-aggpay-signed-request-bin", "Grpc-Metadata-X-Aggpay-Signed-Request-Bin",
        "x-aggpay-signed-merchant", "Grpc-Metadata-X-Aggpay-Signed-Merchant"}) {
    const std::string value = absl::StrContains(header, "erchant") ? *bob_ : forged;
    SignOptions alice;
    alice.extra_headers = {{header, value}};
    HttpResponse r = Signed("GET", "/v1/merchant", "", nullptr, alice);
    ASSERT_EQ(r.status, 200) << header << ": " << r.body;
    EXPECT_EQ(JsonString(r.body, "merchant_id"), *alice_) << header;
    HttpResponse bare = PlainRequest(gateway_->url(), "GET", "/v1/merchant", "", {{header, value}});
    EXPECT_EQ(bare.status, 401) << header << ": " << bare.body;
    EXPECT_EQ(bare.body.find(*bob_), std::string::npos) << header;
    for (const auto& [k, v] : r.headers) {
      EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(k), "signed")) << k << ": " << v;
    }
  }
}

TEST_F(RestE2eTest, AnotherMerchantsIdsAreNotFoundAndNothingChanges) {
  for (const std::string& path :
       {"/v1/merchant?merchant_id=" + *bob_, "/v1/merchant/fee-plan?merchant_id=" + *bob_,
        "/v1/merchant/application?merchant_id=" + *bob_,
        "/v1/merchant/stores?merchant_id=" + *bob_}) {
    HttpResponse r = Signed("GET", path);
    EXPECT_EQ(r.status, 404) << path << " " << r.body;
    EXPECT_EQ(ErrorCode(r), "NOT_FOUND") << path;
  }
  const std::string account =
      R"({"kind":"CORPORATE","bank_name":"Evil Bank","account_name":"Mallory","account_number":"999988887777"})";
  HttpResponse put = Signed("PUT", "/v1/merchant/settlement-account?merchant_id=" + *bob_, account);
  EXPECT_EQ(put.status, 404) << put.body;
  CommandResult bob = AdminCtl("merchant show " + *bob_ + " -o json");
  EXPECT_EQ(bob.out.find("Evil Bank"), std::string::npos);
  EXPECT_EQ(JsonString(bob.out, "status"), "ACTIVE");
}

TEST_F(RestE2eTest, ErrorsNameTheField) {
  HttpResponse r =
      Signed("POST", "/v1/fees/quote",
             R"({"channel":"wechat","amount":{"currency":"CNY","amount_minor":"-5"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCode(r), "INVALID_ARGUMENT");
  EXPECT_EQ(JsonString(r.body, "field"), "amount");
  EXPECT_NE(r.body.find("\"http_status\":400"), std::string::npos);
  HttpResponse channel =
      Signed("POST", "/v1/fees/quote",
             R"({"channel":"paypal","amount":{"currency":"CNY","amount_minor":"5"}})");
  EXPECT_EQ(JsonString(channel.body, "field"), "channel");
}

// A stolen API key alone cannot redirect payouts: the change needs the one-time password sent
// to the registered phone, and a wrong one changes nothing.
TEST_F(RestE2eTest, SettlementAccountChangeNeedsTheSmsPasswordAndGoesBackToReview) {
  const std::string id = OnboardMerchant("REST_C", "INDEPENDENT");
  MerchantKey key = CreateKey(id);
  const std::string account =
      R"({"kind":"PERSONAL","bank_name":"ICBC","account_name":"Lin Hua","account_number":"6222020200112233445"})";
  HttpResponse bare = Signed("PUT", "/v1/merchant/settlement-account", account, &key);
  EXPECT_EQ(bare.status, 400) << bare.body;
  EXPECT_EQ(JsonString(bare.body, "field"), "otp") << bare.body;
  HttpResponse none = Signed("PUT", "/v1/merchant/settlement-account?otp=123456", account, &key);
  EXPECT_EQ(none.status, 412) << none.body;  // nothing pending

  HttpResponse sent = Signed("POST", "/v1/merchant/settlement-account/otp", "{}", &key);
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(JsonString(sent.body, "phone_hint"), "138****5678") << sent.body;
  HttpResponse again = Signed("POST", "/v1/merchant/settlement-account/otp", "{}", &key);
  EXPECT_EQ(again.status, 429) << again.body;  // one a minute
  std::ifstream sms(aggpayd().sms_log());
  std::stringstream text;
  text << sms.rdbuf();
  std::smatch m;
  const std::string log = text.str();
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("aggpay: ([0-9]{6}) confirms the change of your settlement account")))
      << log;
  const std::string otp = m[1];
  const std::string wrong = otp == "000000" ? "111111" : "000000";
  HttpResponse bad = Signed("PUT", "/v1/merchant/settlement-account?otp=" + wrong, account, &key);
  EXPECT_EQ(bad.status, 403) << bad.body;
  EXPECT_EQ(JsonString(bad.body, "field"), "otp") << bad.body;
  EXPECT_EQ(JsonString(Signed("GET", "/v1/merchant/application", "", &key).body, "status"),
            "ACTIVE")
      << "a wrong password changes nothing";

  HttpResponse put = Signed("PUT", "/v1/merchant/settlement-account?otp=" + otp, account, &key);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(JsonString(put.body, "status"), "IN_REVIEW");
  EXPECT_EQ(JsonString(put.body, "account_number"), "****3445");
  HttpResponse app = Signed("GET", "/v1/merchant/application", "", &key);
  EXPECT_EQ(JsonString(app.body, "status"), "IN_REVIEW");
  // Audited as the merchant.
  CommandResult audit = AdminCtl("audit list --limit 500 --actor merchant:" + id + " -o json");
  EXPECT_NE(audit.out.find("UpdateSettlementAccount"), std::string::npos) << audit.out;
}

// Every route the gateway exposes, with a request that must succeed for a signed merchant.
// Later services add their routes here; the test fails when /openapi.json has a route that is
// not in the table.
TEST_F(RestE2eTest, EveryRouteAnswersASignedMerchant) {
  const std::string id = OnboardMerchant("REST_ROUTES", "BANK_AFFILIATED");
  MerchantKey key = CreateKey(id);
  const std::string store = JsonString(
      AdminCtl("merchant store create " + id + " --name S --address A -o json").out, "store_id");
  const std::string code = IssueCode(id, store);
  ASSERT_EQ(code.size(), 22u);
  const std::string pay_code = IssueCode(id, store);
  const std::string reset_code = IssueCode(id, store);
  HttpResponse paid = Signed(
      "POST", "/v1/merchant/payments",
      R"({"out_trade_no":"ROUTES-1","amount":{"currency":"CNY","amount_minor":"5000"},"wallet":"wechat"})",
      &key);
  ASSERT_EQ(paid.status, 200) << paid.body;
  const std::string payment = JsonString(paid.body, "payment_id");
  PayInSandbox(payment);
  struct Route {
    std::string method;
    std::string path;
    std::string body;
    int status;
    std::string openapi_path;  // the templated path, when it differs
    bool is_public = false;    // served without a signature
    bool is_staff = false;     // a staff route: the admin's bearer token, not a signature
  };
  // Payments first: the settlement-account change below sends the merchant back to review.
  const std::vector<Route> routes = {
      {"POST", "/v1/public/payments", CodePaymentBody(pay_code, "ROUTES-REQ"), 200, "", true},
      {"POST", "/v1/merchant/payments",
       R"({"out_trade_no":"ROUTES-2","amount":{"currency":"CNY","amount_minor":"100"},"wallet":"alipay"})",
       200, ""},
      {"GET", "/v1/merchant/payments/" + payment, "", 200, "/v1/merchant/payments/{payment_id}"},
      {"GET", "/v1/merchant/payments?status=SUCCESS", "", 200, "/v1/merchant/payments"},
      {"POST", "/v1/merchant/payments/" + payment + "/refunds",
       R"({"amount":{"currency":"CNY","amount_minor":"100"},"out_refund_no":"ROUTES-RF"})", 200,
       "/v1/merchant/payments/{payment_id}/refunds"},
      {"PUT", "/v1/merchant/webhook", R"({"notify_url":"http://127.0.0.1:9/notify"})", 200, ""},
      {"GET", "/v1/merchant/risk/freezes", "", 200, ""},
      // Not frozen: nothing to appeal against.
      {"POST", "/v1/merchant/risk/appeals", R"({"statement":"our sales were real"})", 412, ""},
      {"GET", "/v1/merchant/risk/appeals", "", 200, ""},
      {"PUT", "/v1/merchant/risk/thresholds",
       R"({"single_payment_over":{"currency":"CNY","amount_minor":"100000"},"new_region":true})",
       200, ""},
      {"GET", "/v1/merchant/risk/thresholds", "", 200, ""},
      {"GET", "/v1/merchant/risk/alerts", "", 200, ""},
      {"GET", "/v1/merchant/codes", "", 200, ""},
      {"GET", "/v1/merchant/codes/" + code + "/image?format=svg&size_px=300", "", 200,
       "/v1/merchant/codes/{code_id}/image"},
      {"GET", "/v1/merchant/codes-backup", "", 200, ""},
      {"GET", "/v1/merchant/code-alerts", "", 200, ""},
      // Staff: before the settlement-account change below sends the merchant back to review.
      {"POST", "/v1/staff/codes:reset",
       absl::StrCat(R"({"code":")", reset_code, R"(","reason":"DAMAGED","mode":"IMMEDIATE"})"), 200,
       "", false, true},
      {"POST", "/v1/merchant/codes/" + code + "/reset-requests",
       R"({"reason":"DAMAGED","mode":"GRACEFUL"})", 200,
       "/v1/merchant/codes/{code_id}/reset-requests"},
      {"POST", "/v1/merchant/code-reset-requests/rr_unknown/verify", R"({"otp":"123456"})", 404,
       "/v1/merchant/code-reset-requests/{request_id}/verify"},
      {"GET", "/v1/merchant", "", 200, ""},
      {"GET", "/v1/merchant/application", "", 200, ""},
      {"GET", "/v1/merchant/stores", "", 200, ""},
      {"GET", "/v1/merchant/fee-plan", "", 200, ""},
      {"GET", "/v1/merchant/settlements?date=2026-01-05", "", 200, "/v1/merchant/settlements"},
      {"GET", "/v1/merchant/settlements/2026-01-05/statement", "", 404,
       "/v1/merchant/settlements/{date}/statement"},
      // No business calendar is imported here: the date cannot be told (the portal test has one).
      {"GET", "/v1/merchant/next-payout?cycle=T1", "", 412, "/v1/merchant/next-payout"},
      {"GET", "/v1/merchant/terminals", "", 200, ""},
      // Portal users and API keys (docs/portal.md): an API key may list them, but only an owner
      // signed in to the portal (or staff) may change them.
      {"POST", "/v1/merchant/users", R"({"mobile":"13700009999","role":"viewer"})", 403, ""},
      {"GET", "/v1/merchant/users", "", 200, ""},
      {"DELETE", "/v1/merchant/users/mu_unknown", "", 403, "/v1/merchant/users/{user_id}"},
      {"POST", "/v1/merchant/api-keys", "{}", 403, ""},
      {"GET", "/v1/merchant/api-keys", "", 200, ""},
      {"DELETE", "/v1/merchant/api-keys/ak_unknown", "", 403, "/v1/merchant/api-keys/{key_id}"},
      {"POST", "/v1/merchant/settlement-account/otp", "{}", 200, ""},
      // Without the SMS password (the test above changes it with one).
      {"PUT", "/v1/merchant/settlement-account",
       R"({"kind":"CORPORATE","bank_name":"Industrial Bank","account_name":"Tea House","account_number":"117010100100123456"})",
       400, ""},
      {"POST", "/v1/fees/quote",
       R"({"channel":"alipay","amount":{"currency":"CNY","amount_minor":"10000"}})", 200, ""},
      {"POST", "/v1/fees/refund-fee",
       R"({"payment_amount":{"currency":"CNY","amount_minor":"10000"},"payment_fee":{"currency":"CNY","amount_minor":"38"},"refund_amount":{"currency":"CNY","amount_minor":"5000"}})",
       200, ""},
      {"POST", "/v1/fees/compare",
       R"({"plan_ids":["bank-standard","independent-standard"],"payments":[{"amount":{"currency":"CNY","amount_minor":"10000"},"channel":"wechat"}]})",
       200, ""},
      // Staff routes (the console's): a staff bearer token or console session, never a
      // merchant's signature.
      {"GET", "/v1/staff/whoami", "", 200, "", false, true},
      {"GET", "/v1/staff/staff?page_size=5", "", 200, "/v1/staff/staff", false, true},
      {"GET", "/v1/staff/audit?after_seq=0&page_size=5", "", 200, "/v1/staff/audit", false, true},
      {"POST", "/v1/staff/audit:verify", "{}", 200, "", false, true},
      {"GET", "/v1/staff/code-reset-requests?status=PENDING_REVIEW", "", 200,
       "/v1/staff/code-reset-requests", false, true},
      {"GET", "/v1/staff/risk/events?page.page_size=5", "", 200, "/v1/staff/risk/events", false,
       true},
      {"GET", "/v1/staff/settlement/batches?page_size=5", "", 200, "/v1/staff/settlement/batches",
       false, true},
      {"GET", "/v1/staff/merchants/" + id + "/settlements/2026-01-05/statement", "", 404,
       "/v1/staff/merchants/{merchant_id}/settlements/{date}/statement", false, true},
      {"GET", "/v1/staff/merchants?status=ACTIVE&page_size=5", "", 200, "/v1/staff/merchants",
       false, true},
      {"GET", "/v1/staff/merchants/" + id + "/application", "", 200,
       "/v1/staff/merchants/{merchant_id}/application", false, true},
      // The merchant is ACTIVE: nothing to start, approve or reject (each reaches the service,
      // which refuses naming the status).
      {"POST", "/v1/staff/merchants/" + id + ":start-review", "{}", 412,
       "/v1/staff/merchants/{merchant_id}:start-review", false, true},
      {"POST", "/v1/staff/merchants/" + id + ":approve", R"({"reason":"account checked"})", 412,
       "/v1/staff/merchants/{merchant_id}:approve", false, true},
      {"POST", "/v1/staff/merchants/" + id + ":reject", R"({"reason":"no"})", 412,
       "/v1/staff/merchants/{merchant_id}:reject", false, true},
      {"GET", "/v1/staff/codes/" + code, "", 200, "/v1/staff/codes/{code_id}", false, true},
      {"GET", "/v1/staff/codes/" + code + "/history", "", 200, "/v1/staff/codes/{code_id}/history",
       false, true},
      // The console's other pages (docs/console.md): freeze, then unfreeze (ACTIVE again).
      {"GET", "/v1/staff/merchants/" + id, "", 200, "/v1/staff/merchants/{merchant_id}", false,
       true},
      {"GET", "/v1/staff/merchants/" + id + "/stores", "", 200,
       "/v1/staff/merchants/{merchant_id}/stores", false, true},
      {"GET", "/v1/staff/merchants/" + id + "/fee-plan", "", 200,
       "/v1/staff/merchants/{merchant_id}/fee-plan", false, true},
      {"POST", "/v1/staff/merchants/" + id + ":freeze", R"({"reason":"checking"})", 200,
       "/v1/staff/merchants/{merchant_id}:freeze", false, true},
      {"POST", "/v1/staff/merchants/" + id + ":unfreeze", R"({"reason":"checked"})", 200,
       "/v1/staff/merchants/{merchant_id}:unfreeze", false, true},
      {"GET", "/v1/staff/codes?merchant_id=" + id, "", 200, "/v1/staff/codes", false, true},
      {"GET", "/v1/staff/codes/" + code + "/image?format=svg&size_px=300", "", 200,
       "/v1/staff/codes/{code_id}/image", false, true},
      {"POST", "/v1/staff/codes/AAAAAAAAAAAAAAAAAAAAAA:unbind", R"({"reason":"lost"})", 400,
       "/v1/staff/codes/{scanned}:unbind", false, true},
      {"POST", "/v1/staff/code-reset-requests/rr_unknown:review", R"({"approve":true})", 404,
       "/v1/staff/code-reset-requests/{request_id}:review", false, true},
      {"GET", "/v1/staff/code-alerts?merchant_id=" + id, "", 200, "/v1/staff/code-alerts", false,
       true},
      {"GET", "/v1/staff/terminals?merchant_id=" + id, "", 200, "/v1/staff/terminals", false, true},
      {"GET", "/v1/staff/terminals/T0000000000", "", 404, "/v1/staff/terminals/{terminal_sn}",
       false, true},
      {"POST", "/v1/staff/terminals/T0000000000:force-offline", R"({"reason":"r"})", 404,
       "/v1/staff/terminals/{terminal_sn}:force-offline", false, true},
      {"POST", "/v1/staff/terminals/T0000000000:freeze", R"({"reason":"r"})", 404,
       "/v1/staff/terminals/{terminal_sn}:freeze", false, true},
      {"POST", "/v1/staff/terminals/T0000000000:unfreeze", R"({"reason":"r"})", 404,
       "/v1/staff/terminals/{terminal_sn}:unfreeze", false, true},
      {"POST", "/v1/staff/terminals/T0000000000:clear", R"({"reason":"r"})", 404,
       "/v1/staff/terminals/{terminal_sn}:clear", false, true},
      {"GET", "/v1/staff/settlement/lines?status=HELD", "", 200, "/v1/staff/settlement/lines",
       false, true},
      {"POST", "/v1/staff/merchants/" + id + "/settlements:release-held", "{}", 412,
       "/v1/staff/merchants/{merchant_id}/settlements:release-held", false, true},
      {"GET", "/v1/staff/settlement/reconciliations", "", 200,
       "/v1/staff/settlement/reconciliations", false, true},
      {"GET", "/v1/staff/risk/rules", "", 200, "", false, true},
      {"POST", "/v1/staff/risk/rules/no_such_rule", R"({"reason":"r","enabled":"true"})", 404,
       "/v1/staff/risk/rules/{rule_id}", false, true},
      {"GET", "/v1/staff/risk/appeals?status=ALL", "", 200, "/v1/staff/risk/appeals", false, true},
      {"POST", "/v1/staff/risk/appeals/999999:review", R"({"verdict":"REJECT","note":"n"})", 404,
       "/v1/staff/risk/appeals/{appeal_id}:review", false, true},
      {"GET", "/v1/staff/payments?merchant_id=" + id, "", 200, "/v1/staff/payments", false, true},
      {"GET", "/v1/staff/payments/" + payment, "", 200, "/v1/staff/payments/{payment_id}", false,
       true},
      {"GET", "/v1/staff/payments/" + payment + "/ledger", "", 200,
       "/v1/staff/payments/{payment_id}/ledger", false, true},
      {"POST", "/v1/staff/payments/" + payment + "/refunds",
       R"({"amount":{"currency":"CNY","amount_minor":"100"},"out_refund_no":"ROUTES-RF-STAFF","reason":"r"})",
       200, "/v1/staff/payments/{payment_id}/refunds", false, true},
      {"GET",
       "/v1/staff/"
       "payment-summary?created_from=2026-01-01T00:00:00Z&created_to=2026-01-02T00:00:00Z",
       "", 200, "/v1/staff/payment-summary", false, true},
      {"GET", "/v1/staff/notifications?merchant_id=" + id, "", 200, "/v1/staff/notifications",
       false, true},
      {"POST", "/v1/staff/notifications/999999:resend", "{}", 404,
       "/v1/staff/notifications/{notification_id}:resend", false, true},
  };
  std::set<std::string> covered;
  for (const Route& r : routes) {
    if (r.is_staff) {
      HttpResponse staff = PlainRequest(gateway_->url(), r.method, r.path, r.body,
                                        {{"Authorization", "Bearer " + admin_token()}});
      EXPECT_EQ(staff.status, r.status) << r.method << " " << r.path << ": " << staff.body;
      // A merchant's signature is not a staff credential.
      EXPECT_EQ(Signed(r.method, r.path, r.body, &key).status, 401) << r.path;
      EXPECT_EQ(PlainRequest(gateway_->url(), r.method, r.path, r.body).status, 401) << r.path;
      covered.insert(absl::StrCat(r.method, " ", r.path));
      continue;
    }
    HttpResponse resp = Signed(r.method, r.path, r.body, &key);
    if (r.status == 404) {
      EXPECT_EQ(ErrorCode(resp), "NOT_FOUND") << r.path;
    }
    EXPECT_EQ(resp.status, r.status) << r.method << " " << r.path << ": " << resp.body;
    // Unsigned, every route but the payers' public ones is refused.
    EXPECT_EQ(PlainRequest(gateway_->url(), r.method, r.path, r.body).status,
              r.is_public ? r.status : 401)
        << r.path;
    covered.insert(absl::StrCat(r.method, " ", r.path));
  }
  HttpResponse quote =
      Signed("POST", "/v1/fees/quote",
             R"({"channel":"alipay","amount":{"currency":"CNY","amount_minor":"10000"}})", &key);
  EXPECT_NE(quote.body.find(R"("fee":{"currency":"CNY","amount_minor":"38"})"), std::string::npos)
      << quote.body;

  auto openapi = HttpGet(gateway_->url() + "/openapi.json");
  ASSERT_EQ(openapi.first, 200);
  // "paths": { "/v1/...": { "get": ..., "put": ... } }
  std::regex path_re("\"(/v1/[^\"]*)\"\\s*:\\s*\\{");
  std::set<std::string> exposed_paths;
  for (auto it = std::sregex_iterator(openapi.second.begin(), openapi.second.end(), path_re);
       it != std::sregex_iterator(); ++it) {
    exposed_paths.insert((*it)[1]);
  }
  ASSERT_FALSE(exposed_paths.empty());
  for (const std::string& path : exposed_paths) {
    bool found = false;
    for (const Route& r : routes) {
      found = found || path == (r.openapi_path.empty() ? r.path : r.openapi_path);
    }
    EXPECT_TRUE(found) << "route " << path << " is exposed but not in the table";
  }
}

TEST_F(RestE2eTest, RateLimitAnswers429WithRetryAfter) {
  // The test stack runs the default bucket: 20 requests/s, burst 40, per key.
  MerchantKey key = CreateKey(*bob_);
  int ok = 0;
  HttpResponse limited;
  for (int i = 0; i < 80 && limited.status != 429; ++i) {
    HttpResponse r = Signed("GET", "/v1/merchant", "", &key);
    if (r.status == 200) ++ok;
    if (r.status == 429) limited = r;
  }
  ASSERT_EQ(limited.status, 429) << "no 429 after " << ok << " requests";
  EXPECT_GE(ok, 40);
  EXPECT_EQ(ErrorCode(limited), "RESOURCE_EXHAUSTED");
  ASSERT_TRUE(limited.headers.count("Retry-After")) << limited.body;
  EXPECT_GE(std::stoi(limited.headers["Retry-After"]), 1);
  // Another key is not affected.
  EXPECT_EQ(Signed("GET", "/v1/merchant", "", alice_key_).status, 200);
}

// The payer's flow (the cashier page): unsigned, under /v1/public/, the payer's address taken
// from the connection, the merchant's business kept out of the answer.
TEST_F(RestE2eTest, PayerCreatesACodePaymentWithoutASignature) {
  const std::string id = OnboardMerchant("REST_PAYER", "BANK_AFFILIATED");
  const std::string code = IssueCode(id, CreateStore(id));
  ASSERT_EQ(code.size(), 22u);
  // The client claims another address in the body and in X-Forwarded-For: neither is believed.
  HttpResponse r =
      PlainRequest(gateway_->url(), "POST", "/v1/public/payments",
                   CodePaymentBody(code, "PAYER-REQ-1"), {{"X-Forwarded-For", "9.9.9.9"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string payment = JsonString(r.body, "payment_id");
  ASSERT_FALSE(payment.empty()) << r.body;
  EXPECT_EQ(JsonString(r.body, "status"), "PAYING");
  EXPECT_NE(JsonString(r.body, "pay_url"), "") << r.body;
  EXPECT_EQ(Minor(r.body, "amount"), 1234) << r.body;
  EXPECT_EQ(JsonString(r.body, "wallet"), "wechat");
  // Not the payer's business: the merchant, its fee and plan.
  EXPECT_EQ(r.body.find(id), std::string::npos) << r.body;
  EXPECT_EQ(JsonString(r.body, "plan_id"), "") << r.body;
  EXPECT_EQ(r.body.find("\"fee\":{"), std::string::npos) << r.body;

  // Staff see the whole payment, with the address the gateway saw.
  const std::string got = AdminCtl("payment get " + payment + " -o json").out;
  EXPECT_EQ(JsonString(got, "merchant_id"), id) << got;
  EXPECT_EQ(JsonString(got, "status"), "PAYING") << got;
  EXPECT_EQ(JsonString(got, "plan_id"), "bank-standard") << got;
  EXPECT_EQ(Query("SELECT payer_ip FROM payments WHERE payment_id = '" + payment + "'"),
            "127.0.0.1");

  // The same client request id returns the same payment; another amount is refused.
  HttpResponse again = PlainRequest(gateway_->url(), "POST", "/v1/public/payments",
                                    CodePaymentBody(code, "PAYER-REQ-1"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(JsonString(again.body, "payment_id"), payment);
  // No such code: the service's answer in the gateway's error shape.
  HttpResponse unknown = PlainRequest(gateway_->url(), "POST", "/v1/public/payments",
                                      CodePaymentBody(std::string(22, 'z'), "PAYER-REQ-2"));
  EXPECT_GE(unknown.status, 400) << unknown.body;
  EXPECT_LT(unknown.status, 500) << unknown.body;
  EXPECT_EQ(ErrorCode(unknown), "NOT_FOUND") << unknown.body;
  EXPECT_NE(unknown.body.find("\"http_status\":404"), std::string::npos) << unknown.body;
}

TEST_F(RestE2eTest, PublicPathTricksReachNothing) {
  for (const char* path : {"/v1/public/../merchant/payments", "/v1/public/%2e%2e/merchant/payments",
                           "/v1/public//payments", "/v1/public/./payments", "/v1/public%2Fpayments",
                           "/v1/merchant/../public/payments"}) {
    HttpResponse r = PlainRequest(gateway_->url(), "POST", path, "{}");
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
    EXPECT_EQ(ErrorCode(r), "INVALID_ARGUMENT") << path;
  }
  HttpResponse get = PlainRequest(gateway_->url(), "GET", "/v1/public/payments", "");
  EXPECT_EQ(get.status, 405) << get.body;
  HttpResponse other = PlainRequest(gateway_->url(), "GET", "/v1/public/merchant/payments", "");
  EXPECT_EQ(other.status, 404) << other.body;
  // The merchant routes stay signed.
  HttpResponse list = PlainRequest(gateway_->url(), "GET", "/v1/merchant/payments", "");
  EXPECT_EQ(list.status, 401) << list.body;
}

// The services limit failed public calls per payer, with the address the gateway vouches for,
// not per gateway: a payer who keeps sending unknown codes is stopped, and another payer behind
// the same gateway still pays.
TEST_F(RestE2eTest, FailedPublicCallsAreLimitedPerPayerNotPerGateway) {
  GatewayProcess proxied(aggpayd(), {"--trusted-proxy", "127.0.0.1", "--public-rate", "1000",
                                     "--public-burst", "1000"});
  const std::string id = OnboardMerchant("REST_PAYER_LIMIT", "BANK_AFFILIATED");
  const std::string code = IssueCode(id, CreateStore(id));
  HttpResponse limited;
  int failures = 0;
  for (int i = 0; i < 300 && limited.status != 429; ++i) {
    HttpResponse r = PlainRequest(proxied.url(), "POST", "/v1/public/payments",
                                  CodePaymentBody(std::string(22, 'z'), absl::StrCat("BAD-", i)),
                                  {{"X-Forwarded-For", "203.0.113.66"}});
    if (r.status == 404) ++failures;
    if (r.status == 429) limited = r;
  }
  ASSERT_EQ(limited.status, 429) << "no 429 after " << failures << " failures";
  EXPECT_GE(failures, 20);  // the default burst of failed public calls
  EXPECT_EQ(ErrorCode(limited), "RESOURCE_EXHAUSTED");
  EXPECT_NE(limited.body.find("too many failed requests"), std::string::npos) << limited.body;
  EXPECT_TRUE(limited.headers.count("Retry-After")) << limited.body;
  HttpResponse other =
      PlainRequest(proxied.url(), "POST", "/v1/public/payments", CodePaymentBody(code, "LIMIT-OK"),
                   {{"X-Forwarded-For", "203.0.113.77"}});
  ASSERT_EQ(other.status, 200) << other.body;
  const std::string payment = JsonString(other.body, "payment_id");
  EXPECT_EQ(Query("SELECT payer_ip FROM payments WHERE payment_id = '" + payment + "'"),
            "203.0.113.77");
}

TEST_F(RestE2eTest, MerchantPaymentsOverSignedRest) {
  const std::string id = OnboardMerchant("REST_PAY_M", "BANK_AFFILIATED");
  MerchantKey key = CreateKey(id);
  const std::string order =
      R"({"out_trade_no":"ORDER-1","amount":{"currency":"CNY","amount_minor":"10000"},"wallet":"alipay","description":"Tea"})";
  HttpResponse created = Signed("POST", "/v1/merchant/payments", order, &key);
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string payment = JsonString(created.body, "payment_id");
  ASSERT_FALSE(payment.empty());
  EXPECT_EQ(JsonString(created.body, "merchant_id"), id);
  EXPECT_EQ(JsonString(created.body, "out_trade_no"), "ORDER-1");
  EXPECT_EQ(JsonString(created.body, "status"), "PAYING");
  EXPECT_NE(JsonString(created.body, "pay_url"), "");
  EXPECT_EQ(Minor(created.body, "amount"), 10000);

  // The same order again is the same payment; the same out_trade_no with another amount is not.
  HttpResponse again = Signed("POST", "/v1/merchant/payments", order, &key);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(JsonString(again.body, "payment_id"), payment);
  HttpResponse changed = Signed(
      "POST", "/v1/merchant/payments",
      R"({"out_trade_no":"ORDER-1","amount":{"currency":"CNY","amount_minor":"9999"},"wallet":"alipay"})",
      &key);
  EXPECT_EQ(changed.status, 409) << changed.body;
  EXPECT_EQ(ErrorCode(changed), "ALREADY_EXISTS");
  EXPECT_EQ(JsonString(changed.body, "field"), "amount") << changed.body;

  // A store of another merchant is refused, naming the field.
  const std::string bob_store = JsonString(
      AdminCtl("merchant store create " + *bob_ + " --name Bob2 --address B -o json").out,
      "store_id");
  ASSERT_FALSE(bob_store.empty());
  HttpResponse foreign = Signed(
      "POST", "/v1/merchant/payments",
      absl::StrCat(
          R"({"out_trade_no":"ORDER-STORE","amount":{"currency":"CNY","amount_minor":"100"},"wallet":"alipay","store_id":")",
          bob_store, R"("})"),
      &key);
  EXPECT_EQ(foreign.status, 400) << foreign.body;
  EXPECT_EQ(JsonString(foreign.body, "field"), "store_id") << foreign.body;

  // The owner sees it; another merchant does not, whatever the id.
  HttpResponse own = Signed("GET", "/v1/merchant/payments/" + payment, "", &key);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(JsonString(own.body, "payment_id"), payment);
  EXPECT_EQ(JsonString(own.body, "out_trade_no"), "ORDER-1");
  HttpResponse theirs = Signed("GET", "/v1/merchant/payments/" + payment, "", bob_key_);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(ErrorCode(theirs), "NOT_FOUND");

  // Paid, it is listed under today's business date and SUCCESS; the unpaid one under PAYING.
  PayInSandbox(payment);
  HttpResponse unpaid = Signed(
      "POST", "/v1/merchant/payments",
      R"({"out_trade_no":"ORDER-2","amount":{"currency":"CNY","amount_minor":"500"},"wallet":"wechat"})",
      &key);
  ASSERT_EQ(unpaid.status, 200) << unpaid.body;
  const std::string unpaid_id = JsonString(unpaid.body, "payment_id");
  HttpResponse succeeded =
      Signed("GET", "/v1/merchant/payments?business_date=" + Today() + "&status=SUCCESS", "", &key);
  ASSERT_EQ(succeeded.status, 200) << succeeded.body;
  EXPECT_NE(succeeded.body.find(payment), std::string::npos) << succeeded.body;
  EXPECT_EQ(succeeded.body.find(unpaid_id), std::string::npos) << succeeded.body;
  EXPECT_NE(succeeded.body.find("\"business_date\":\"" + Today() + "\""), std::string::npos);
  HttpResponse paying = Signed("GET", "/v1/merchant/payments?status=PAYING", "", &key);
  ASSERT_EQ(paying.status, 200) << paying.body;
  EXPECT_NE(paying.body.find(unpaid_id), std::string::npos) << paying.body;
  EXPECT_EQ(paying.body.find(payment), std::string::npos) << paying.body;
  HttpResponse other_day =
      Signed("GET", "/v1/merchant/payments?business_date=2000-01-01", "", &key);
  ASSERT_EQ(other_day.status, 200) << other_day.body;
  EXPECT_EQ(other_day.body.find(payment), std::string::npos) << other_day.body;
  HttpResponse bobs = Signed("GET", "/v1/merchant/payments", "", bob_key_);
  EXPECT_EQ(bobs.body.find(payment), std::string::npos) << bobs.body;

  // A refund of 40.00 of the 100.00 returns its share of the fee.
  const std::string fee_got = AdminCtl("payment get " + payment + " -o json").out;
  const int64_t fee = Minor(fee_got, "fee");
  ASSERT_GT(fee, 0) << fee_got;
  const std::string refund =
      R"({"amount":{"currency":"CNY","amount_minor":"4000"},"out_refund_no":"RF-1","reason":"returned"})";
  HttpResponse theirs_refund =
      Signed("POST", "/v1/merchant/payments/" + payment + "/refunds", refund, bob_key_);
  EXPECT_EQ(theirs_refund.status, 404) << theirs_refund.body;
  HttpResponse refunded =
      Signed("POST", "/v1/merchant/payments/" + payment + "/refunds", refund, &key);
  ASSERT_EQ(refunded.status, 200) << refunded.body;
  EXPECT_EQ(JsonString(refunded.body, "payment_id"), payment);
  EXPECT_EQ(JsonString(refunded.body, "out_refund_no"), "RF-1");
  EXPECT_EQ(Minor(refunded.body, "amount"), 4000);
  const int64_t returned = Minor(refunded.body, "fee_returned");
  EXPECT_GE(returned, fee * 4000 / 10000) << refunded.body;
  EXPECT_LE(returned, (fee * 4000 + 9999) / 10000) << refunded.body;
  // More than what is left is refused.
  HttpResponse over =
      Signed("POST", "/v1/merchant/payments/" + payment + "/refunds",
             R"({"amount":{"currency":"CNY","amount_minor":"6001"},"out_refund_no":"RF-2"})", &key);
  EXPECT_GE(over.status, 400) << over.body;
  EXPECT_LT(over.status, 500) << over.body;
  EXPECT_EQ(JsonString(over.body, "field"), "amount") << over.body;
}

TEST_F(RestE2eTest, WebhookSecretIsShownOnce) {
  const std::string id = OnboardMerchant("REST_HOOK", "INDEPENDENT");
  MerchantKey key = CreateKey(id);
  HttpResponse first =
      Signed("PUT", "/v1/merchant/webhook", R"({"notify_url":"http://127.0.0.1:9/notify"})", &key);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(JsonString(first.body, "merchant_id"), id);
  EXPECT_EQ(JsonString(first.body, "notify_url"), "http://127.0.0.1:9/notify");
  const std::string secret = JsonString(first.body, "secret");
  EXPECT_GE(secret.size(), 16u) << first.body;
  // Configuring again issues a new secret; the old one is never shown again.
  HttpResponse second = Signed("PUT", "/v1/merchant/webhook",
                               R"({"notify_url":"https://shop.example/notify"})", &key);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(JsonString(second.body, "secret"), secret);
  EXPECT_EQ(second.body.find(secret), std::string::npos);
  HttpResponse plain =
      Signed("PUT", "/v1/merchant/webhook", R"({"notify_url":"http://shop.example/notify"})", &key);
  EXPECT_EQ(plain.status, 400) << plain.body;
  EXPECT_EQ(JsonString(plain.body, "field"), "notify_url");
  HttpResponse other = Signed(
      "PUT", "/v1/merchant/webhook",
      R"({"merchant_id":")" + *bob_ + R"(","notify_url":"https://evil.example/notify"})", &key);
  EXPECT_EQ(other.status, 404) << other.body;
}

TEST_F(RestE2eTest, UnknownRouteAndOpenApi) {
  HttpResponse unknown = Signed("GET", "/v1/nothing-here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "NOT_FOUND");
  auto openapi = HttpGet(gateway_->url() + "/openapi.json");
  EXPECT_EQ(openapi.first, 200);
  EXPECT_NE(openapi.second.find("/v1/fees/quote"), std::string::npos);
}

}  // namespace
}  // namespace aggpay::testing
