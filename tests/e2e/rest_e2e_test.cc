// The merchant REST API through the real grpc-gateway: signed requests, every refusal, tenant
// isolation, rate limits, the error shape, and a table of every route the gateway exposes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
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
  stale.timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) - 301);
  SignOptions future;
  future.timestamp = std::to_string(absl::ToUnixSeconds(absl::Now()) + 301);
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

TEST_F(RestE2eTest, SettlementAccountChangeGoesBackToReview) {
  const std::string id = OnboardMerchant("REST_C", "INDEPENDENT");
  MerchantKey key = CreateKey(id);
  const std::string account =
      R"({"kind":"PERSONAL","bank_name":"ICBC","account_name":"Lin Hua","account_number":"6222020200112233445"})";
  HttpResponse put = Signed("PUT", "/v1/merchant/settlement-account", account, &key);
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
  const std::string code = JsonString(
      AdminCtl("code issue --merchant " + id + " --store " + store + " -o json").out, "code_id");
  ASSERT_EQ(code.size(), 22u);
  struct Route {
    std::string method;
    std::string path;
    std::string body;
    int status;
    std::string openapi_path;  // the templated path, when it differs
  };
  const std::vector<Route> routes = {
      {"GET", "/v1/merchant/codes", "", 200, ""},
      {"GET", "/v1/merchant/codes/" + code + "/image?format=svg&size_px=300", "", 200,
       "/v1/merchant/codes/{code_id}/image"},
      {"GET", "/v1/merchant/codes-backup", "", 200, ""},
      {"GET", "/v1/merchant/code-alerts", "", 200, ""},
      {"POST", "/v1/merchant/codes/" + code + "/reset-requests",
       R"({"reason":"DAMAGED","mode":"GRACEFUL"})", 200,
       "/v1/merchant/codes/{code_id}/reset-requests"},
      {"POST", "/v1/merchant/code-reset-requests/rr_unknown/verify", R"({"otp":"123456"})", 404,
       "/v1/merchant/code-reset-requests/{request_id}/verify"},
      {"GET", "/v1/merchant", "", 200, ""},
      {"GET", "/v1/merchant/application", "", 200, ""},
      {"GET", "/v1/merchant/stores", "", 200, ""},
      {"GET", "/v1/merchant/fee-plan", "", 200, ""},
      {"GET", "/v1/merchant/terminals", "", 200, ""},
      {"PUT", "/v1/merchant/settlement-account",
       R"({"kind":"CORPORATE","bank_name":"Industrial Bank","account_name":"Tea House","account_number":"117010100100123456"})",
       200, ""},
      {"POST", "/v1/fees/quote",
       R"({"channel":"alipay","amount":{"currency":"CNY","amount_minor":"10000"}})", 200, ""},
      {"POST", "/v1/fees/compare",
       R"({"plan_ids":["bank-standard","independent-standard"],"payments":[{"amount":{"currency":"CNY","amount_minor":"10000"},"channel":"wechat"}]})",
       200, ""},
  };
  std::set<std::string> covered;
  for (const Route& r : routes) {
    HttpResponse resp = Signed(r.method, r.path, r.body, &key);
    if (r.status == 404) {
      EXPECT_EQ(ErrorCode(resp), "NOT_FOUND") << r.path;
    }
    EXPECT_EQ(resp.status, r.status) << r.method << " " << r.path << ": " << resp.body;
    // Unsigned, every route is refused.
    EXPECT_EQ(PlainRequest(gateway_->url(), r.method, r.path, r.body).status, 401) << r.path;
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
