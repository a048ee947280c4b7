// Every limit where input arrives (docs/api.md "Limits"), through the real gRPC listener and the
// real gateway: request and header sizes, page sizes of every List/Search method (found from the
// descriptors, so a new one is covered), text lengths counted in characters (CJK at the limit
// stored intact, one past refused and nothing written), and the per-address limit of the public
// routes with X-Forwarded-For believed only from a configured proxy.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggpay/v1/admin.grpc.pb.h"
#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/fee.grpc.pb.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/risk.grpc.pb.h"
#include "aggpay/v1/settlement.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace pb = google::protobuf;

// The field a gRPC error names (google.rpc.BadRequest), or "".
std::string FieldOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
      return bad.field_violations(0).field();
    }
  }
  return "";
}

// `n` characters of CJK text (3 bytes each in UTF-8).
std::string Cjk(size_t n) {
  static const char* kChars[] = {"付", "款", "退", "货", "商", "户", "门", "店"};
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kChars[i % 8];
  return out;
}

class LimitsE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    gateway_ = new GatewayProcess(aggpayd());
    // The public routes' limit, small: 3 requests, then one every 10 s.
    direct_ = new GatewayProcess(aggpayd(), {"--public-rate", "0.1", "--public-burst", "3"});
    proxied_ = new GatewayProcess(
        aggpayd(), {"--public-rate", "0.1", "--public-burst", "3", "--trusted-proxy", "127.0.0.1"});
    merchant_ = new std::string(OnboardMerchant("LIMITS_A"));
    CommandResult key = AdminCtl("merchant key create " + *merchant_ + " -o json");
    key_ = new MerchantKey{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
    operator_token_ = new std::string(StaffToken("limits_operator", "operator"));
  }
  static void TearDownTestSuite() {
    delete gateway_;
    delete direct_;
    delete proxied_;
    delete merchant_;
    delete key_;
    delete operator_token_;
    StackTest::TearDownTestSuite();
  }

  static std::shared_ptr<grpc::Channel> Channel() { return TestChannel(aggpayd().grpc_addr()); }
  static void Authorize(grpc::ClientContext* ctx, const std::string& token) {
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  // Calls `method` ("/aggpay.v1.X/Y") with `request` as staff holding `token`.
  static grpc::Status CallGeneric(const std::string& method, const pb::Message& request,
                                  const std::string& token) {
    grpc::GenericStub stub(Channel());
    grpc::ClientContext ctx;
    Authorize(&ctx, token);
    std::string bytes;
    request.SerializeToString(&bytes);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1);
    grpc::ByteBuffer out;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &in, &out,
                   [&](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  static std::string Count(const std::string& table, const std::string& where) {
    return Query(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", where));
  }

  // curl, so that a body the server refuses unread is still answered (curl reads the early
  // answer): "STATUS\nBODY" and the headers.
  struct Curl {
    int status = 0;
    std::string body;
    std::string headers;
  };
  static Curl CurlPost(const std::string& url, const std::string& body,
                       const std::vector<std::string>& headers = {}, bool chunked = false) {
    char tmpl[] = "/tmp/limits-body-XXXXXX";
    const int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(tmpl, std::ios::binary) << body;
    const std::string hfile = std::string(tmpl) + ".headers";
    std::string cmd =
        absl::StrCat("curl -s --cacert ", TlsCaFile(), " -o - -D ", hfile,
                     " -w '\\ncurl exit %{exitcode}: %{errormsg}\\n%{http_code}' -X POST ",
                     "-H 'Content-Type: application/json' ");
    if (chunked) absl::StrAppend(&cmd, "-H 'Transfer-Encoding: chunked' ");
    for (const auto& h : headers) absl::StrAppend(&cmd, "-H '", h, "' ");
    absl::StrAppend(&cmd, "--data-binary @", tmpl, " '", url, "'");
    CommandResult r = RunCommand(cmd);
    Curl out;
    const size_t nl = r.out.rfind('\n');
    if (nl != std::string::npos) {
      (void)absl::SimpleAtoi(r.out.substr(nl + 1), &out.status);
      // The body, then curl's own account of the transfer (kept in failure messages).
      out.body = r.out.substr(0, nl);
    }
    std::ifstream hs(hfile);
    out.headers.assign(std::istreambuf_iterator<char>(hs), {});
    std::remove(tmpl);
    std::remove(hfile.c_str());
    return out;
  }

  static GatewayProcess* gateway_;
  static GatewayProcess* direct_;
  static GatewayProcess* proxied_;
  static std::string* merchant_;
  static MerchantKey* key_;
  static std::string* operator_token_;
};

GatewayProcess* LimitsE2eTest::gateway_ = nullptr;
GatewayProcess* LimitsE2eTest::direct_ = nullptr;
GatewayProcess* LimitsE2eTest::proxied_ = nullptr;
std::string* LimitsE2eTest::merchant_ = nullptr;
MerchantKey* LimitsE2eTest::key_ = nullptr;
std::string* LimitsE2eTest::operator_token_ = nullptr;

// ---------------------------------------------------------------- request size

TEST_F(LimitsE2eTest, AGrpcRequestOverOneMebibyteIsResourceExhaustedBeforeAnyHandler) {
  auto stub = v1::RiskService::NewStub(Channel());
  struct Row {
    size_t bytes;
    grpc::StatusCode code;
  };
  // Under the limit the handler reads the (malformed) table and names the problem; over it the
  // transport refuses the message.
  for (const Row& row : {Row{512 << 10, grpc::StatusCode::INVALID_ARGUMENT},
                         Row{(1 << 20) + 1024, grpc::StatusCode::RESOURCE_EXHAUSTED}}) {
    v1::ImportRegionsRequest req;
    req.set_csv(std::string(row.bytes, 'x'));
    v1::ImportRegionsResponse resp;
    grpc::ClientContext ctx;
    Authorize(&ctx, admin_token());
    grpc::Status st = stub->ImportRegions(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), row.code) << row.bytes << " bytes: " << st.error_message();
  }
}

TEST_F(LimitsE2eTest, EveryGatewayRouteAnswers413WithTheJsonErrorOverItsBodyLimit) {
  struct Row {
    std::string path;
    size_t limit;
  };
  const std::vector<Row> rows = {
      {"/v1/merchant/payments", 1 << 20},      // signed merchant API
      {"/v1/staff/merchants", 1 << 20},        // staff routes
      {"/v1/public/payments", 16 << 10},       // payers' unsigned routes
      {"/console/api/session", 4 << 10},       // console sign-in
      {"/m/api/session", 4 << 10},             // portal sign-in
      {"/m/api/sign-in-code", 4 << 10},        // portal sign-in code
      {"/c/AAAAAAAAAAAAAAAAAAAAAA", 4 << 10},  // cashier form
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.path);
    for (bool chunked : {false, true}) {
      SCOPED_TRACE(chunked ? "chunked" : "with Content-Length");
      Curl over = CurlPost(gateway_->url() + row.path, std::string(row.limit + 1, 'x'),
                           {"Origin: " + gateway_->url()}, chunked);
      EXPECT_EQ(over.status, 413) << over.body;
      EXPECT_TRUE(absl::StrContains(over.body, "\"code\":\"INVALID_ARGUMENT\"")) << over.body;
      EXPECT_TRUE(absl::StrContains(over.body, absl::StrCat("larger than ", row.limit, " bytes")))
          << over.body;
      EXPECT_TRUE(absl::StrContains(over.headers, "application/json")) << over.headers;
    }
    // At the limit the body is read and judged on its content (never 413).
    Curl at = CurlPost(gateway_->url() + row.path, std::string(row.limit, 'x'),
                       {"Origin: " + gateway_->url()});
    EXPECT_NE(at.status, 413) << at.body;
    EXPECT_NE(at.status, 0);
  }
}

TEST_F(LimitsE2eTest, HeadersOverSixtyFourKibibytesAre431) {
  HttpResponse big = PlainRequest(gateway_->url(), "GET", "/healthz", "",
                                  {{"X-Filler", std::string(70 << 10, 'h')}});
  EXPECT_EQ(big.status, 431);
  HttpResponse fine = PlainRequest(gateway_->url(), "GET", "/healthz", "",
                                   {{"X-Filler", std::string(8 << 10, 'h')}});
  EXPECT_EQ(fine.status, 200);
}

// ---------------------------------------------------------------- page size

// Lists without a page: each is bounded by a count limit of its own (docs/api.md "Limits").
const std::map<std::string, std::string>& UnpagedLists() {
  static const auto* lists = new std::map<std::string, std::string>{
      {"aggpay.v1.MerchantService.ListApiKeys", "at most 10 active keys per merchant"},
      {"aggpay.v1.MerchantService.ListPayoutAccounts", "at most 1000 merchant_ids per call"},
      {"aggpay.v1.MerchantService.ListStores", "at most 1000 stores per merchant"},
      {"aggpay.v1.MerchantService.ListMerchantUsers", "at most 50 portal users per merchant"},
      {"aggpay.v1.RiskService.ListRules", "the rule set, a few dozen rules"},
      {"aggpay.v1.RiskService.ListFreezes", "a merchant's freezes (merchant_id required)"},
      {"aggpay.v1.RiskService.ListAppeals", "open appeals, one per freeze"},
      {"aggpay.v1.SettlementService.ListReconciliations", "one per channel and day"},
      {"aggpay.v1.AdminService.ListExpiring", "each part at most one owner's page (500)"},
  };
  return *lists;
}

// Merchant-only lists: reached through the gateway, signed, instead of as staff.
const std::map<std::string, std::string>& MerchantLists() {
  static const auto* lists = new std::map<std::string, std::string>{
      {"aggpay.v1.TerminalService.ListMyTerminals", "/v1/merchant/terminals"},
  };
  return *lists;
}

// The page_size field (top level, or inside `page`) of a request type, with its path.
const pb::FieldDescriptor* PageField(const pb::Descriptor* d, const std::string& name,
                                     std::string* path) {
  if (const auto* f = d->FindFieldByName(name)) {
    *path = name;
    return f;
  }
  if (const auto* page = d->FindFieldByName("page");
      page && page->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
    if (const auto* f = page->message_type()->FindFieldByName(name)) {
      *path = "page." + name;
      return f;
    }
  }
  return nullptr;
}

TEST_F(LimitsE2eTest, EveryListMethodRefusesAnOversizedPageAndABadTokenNamingTheField) {
  // Every service of every aggpay/v1 file (a message of each file loads it into the pool).
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  std::vector<std::string> services;
  for (const pb::Descriptor* d :
       {v1::ListStaffRequest::descriptor(), v1::ListCodesRequest::descriptor(),
        v1::ListPlansRequest::descriptor(), v1::ListMerchantsRequest::descriptor(),
        v1::ListPaymentsRequest::descriptor(), v1::ListRulesRequest::descriptor(),
        v1::ListBatchesRequest::descriptor(), v1::ListTerminalsRequest::descriptor()}) {
    const pb::FileDescriptor* f = d->file();
    for (int i = 0; i < f->service_count(); ++i) services.push_back(f->service(i)->full_name());
  }
  EXPECT_EQ(services.size(), 8u);
  pb::DynamicMessageFactory factory(pool);
  int paged = 0;
  for (const std::string& name : services) {
    const pb::ServiceDescriptor* service = pool->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* m = service->method(i);
      if (!absl::StartsWith(m->name(), "List") && !absl::StartsWith(m->name(), "Search")) continue;
      SCOPED_TRACE(m->full_name());
      std::string size_path;
      const pb::FieldDescriptor* size = PageField(m->input_type(), "page_size", &size_path);
      if (size == nullptr) {
        EXPECT_TRUE(UnpagedLists().count(m->full_name()))
            << m->full_name() << " has no page_size: page it, or add it to UnpagedLists with "
            << "the count limit that bounds it";
        continue;
      }
      ++paged;
      std::string token_path;
      const pb::FieldDescriptor* token = PageField(m->input_type(), "page_token", &token_path);
      if (auto rest = MerchantLists().find(m->full_name()); rest != MerchantLists().end()) {
        HttpResponse over = SignedRequest(gateway_->url(), "GET",
                                          rest->second + "?page_size=2147483647", "", *key_);
        EXPECT_EQ(over.status, 400) << over.body;
        EXPECT_TRUE(absl::StrContains(over.body, "page_size")) << over.body;
        if (token != nullptr) {
          HttpResponse bad =
              SignedRequest(gateway_->url(), "GET", rest->second + "?page_token=%25%25", "", *key_);
          EXPECT_EQ(bad.status, 400) << bad.body;
          EXPECT_TRUE(absl::StrContains(bad.body, "page_token")) << bad.body;
        }
        continue;
      }
      const std::string method = absl::StrCat("/", name, "/", m->name());
      auto set = [&](pb::Message* msg, const std::string& path, const pb::FieldDescriptor* f) {
        pb::Message* target = msg;
        if (absl::StartsWith(path, "page.")) {
          target = msg->GetReflection()->MutableMessage(
              msg, m->input_type()->FindFieldByName("page"), &factory);
        }
        return std::pair{target, f};
      };
      for (int64_t bad_size : {int64_t{2147483647}, int64_t{-1}}) {
        std::unique_ptr<pb::Message> req(factory.GetPrototype(m->input_type())->New());
        auto [target, f] = set(req.get(), size_path, size);
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64) {
          target->GetReflection()->SetInt64(target, f, bad_size);
        } else {
          target->GetReflection()->SetInt32(target, f, static_cast<int32_t>(bad_size));
        }
        grpc::Status st = CallGeneric(method, *req, admin_token());
        EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
            << "page_size " << bad_size << ": " << st.error_message();
        EXPECT_TRUE(absl::EndsWith(FieldOf(st), "page_size"))
            << "page_size " << bad_size << " named \"" << FieldOf(st) << "\"";
      }
      if (token != nullptr) {
        std::unique_ptr<pb::Message> req(factory.GetPrototype(m->input_type())->New());
        auto [target, f] = set(req.get(), token_path, token);
        target->GetReflection()->SetString(target, f, "%%not-a-token%%");
        grpc::Status st = CallGeneric(method, *req, admin_token());
        EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
        EXPECT_TRUE(absl::EndsWith(FieldOf(st), "page_token")) << FieldOf(st);
      }
    }
  }
  EXPECT_GE(paged, 15);
}

// ---------------------------------------------------------------- text lengths

TEST_F(LimitsE2eTest, CjkTextAtTheLimitIsStoredIntactAndOnePastIsRefusedWithNothingWritten) {
  auto merchants = v1::MerchantService::NewStub(Channel());
  struct Row {
    std::string field;
    size_t limit;
  };
  // Store name and address (CreateStore, staff).
  for (const Row& row : {Row{"name", 128}, Row{"address", 512}}) {
    SCOPED_TRACE(row.field);
    for (size_t n : {row.limit, row.limit + 1}) {
      const std::string before = Count("stores", "merchant_id = '" + *merchant_ + "'");
      v1::CreateStoreRequest req;
      req.set_merchant_id(*merchant_);
      req.set_name(row.field == "name" ? Cjk(n) : "门店");
      req.set_address(row.field == "address" ? Cjk(n) : "上海市");
      v1::Store store;
      grpc::ClientContext ctx;
      Authorize(&ctx, *operator_token_);
      grpc::Status st = merchants->CreateStore(&ctx, req, &store);
      if (n == row.limit) {
        ASSERT_TRUE(st.ok()) << st.error_message();
        const std::string stored = Query("SELECT " + row.field + " FROM stores WHERE store_id = '" +
                                         store.store_id() + "'");
        EXPECT_EQ(stored, Cjk(n));
        EXPECT_EQ(row.field == "name" ? store.name() : store.address(), Cjk(n));
      } else {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        EXPECT_EQ(FieldOf(st), row.field);
        EXPECT_EQ(Count("stores", "merchant_id = '" + *merchant_ + "'"), before);
      }
    }
  }

  // A payment's description (signed REST), then a refund's reason on it.
  std::string paid_id;
  for (size_t n : {size_t{127}, size_t{128}}) {
    const std::string before = Count("payments", "merchant_id = '" + *merchant_ + "'");
    HttpResponse r = SignedRequest(
        gateway_->url(), "POST", "/v1/merchant/payments",
        absl::StrCat(R"({"out_trade_no":"LIM-)", n,
                     R"(","amount":{"currency":"CNY","amount_minor":"5000"},"wallet":"wechat",)",
                     R"("description":")", Cjk(n), R"("})"),
        *key_);
    if (n == 127) {
      ASSERT_EQ(r.status, 200) << r.body;
      paid_id = JsonString(r.body, "payment_id");
      EXPECT_EQ(Query("SELECT description FROM payments WHERE payment_id = '" + paid_id + "'"),
                Cjk(n));
    } else {
      EXPECT_EQ(r.status, 400) << r.body;
      EXPECT_TRUE(absl::StrContains(r.body, "description")) << r.body;
      EXPECT_EQ(Count("payments", "merchant_id = '" + *merchant_ + "'"), before);
    }
  }
  ASSERT_EQ(AdminCtl("sandbox pay " + paid_id).exit_code, 0);
  for (int i = 0; i < 100 && Query("SELECT status FROM payments WHERE payment_id = '" + paid_id +
                                   "'") != "SUCCESS";
       ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  for (size_t n : {size_t{200}, size_t{201}}) {
    const std::string before = Count("refunds", "payment_id = '" + paid_id + "'");
    HttpResponse r = SignedRequest(
        gateway_->url(), "POST", "/v1/merchant/payments/" + paid_id + "/refunds",
        absl::StrCat(R"({"amount":{"currency":"CNY","amount_minor":"100"},"out_refund_no":"LIMR-)",
                     n, R"(","reason":")", Cjk(n), R"("})"),
        *key_);
    if (n == 200) {
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(Query("SELECT reason FROM refunds WHERE payment_id = '" + paid_id +
                      "' AND out_refund_no = 'LIMR-200'"),
                Cjk(n));
    } else {
      EXPECT_EQ(r.status, 400) << r.body;
      EXPECT_TRUE(absl::StrContains(r.body, "reason")) << r.body;
      EXPECT_EQ(Count("refunds", "payment_id = '" + paid_id + "'"), before);
    }
  }
}

// ---------------------------------------------------------------- rate limits per address

// Sends `n` unsigned public requests with `xff` (none when empty); the statuses.
std::vector<HttpResponse> PublicBurst(const GatewayProcess& gw, int n, const std::string& xff) {
  std::vector<HttpResponse> out;
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> headers;
    if (!xff.empty()) headers["X-Forwarded-For"] = xff;
    out.push_back(PlainRequest(gw.url(), "POST", "/v1/public/payments",
                               R"({"code":"AAAAAAAAAAAAAAAAAAAAAA"})", headers));
  }
  return out;
}

TEST_F(LimitsE2eTest, AnUntrustedPeersForwardedForIsIgnored) {
  // Every request names another address, but the peer is not a trusted proxy: one bucket.
  std::vector<HttpResponse> r;
  for (int i = 0; i < 4; ++i) {
    auto one = PublicBurst(*direct_, 1, absl::StrCat("198.51.100.", i + 1));
    r.push_back(one[0]);
  }
  for (int i = 0; i < 3; ++i) EXPECT_NE(r[i].status, 429) << i << ": " << r[i].body;
  EXPECT_EQ(r[3].status, 429) << r[3].body;
  EXPECT_TRUE(absl::StrContains(r[3].body, "RESOURCE_EXHAUSTED")) << r[3].body;
  ASSERT_TRUE(r[3].headers.count("Retry-After"));
  int secs = 0;
  EXPECT_TRUE(absl::SimpleAtoi(r[3].headers.at("Retry-After"), &secs));
  EXPECT_GE(secs, 1);
}

TEST_F(LimitsE2eTest, ATrustedProxysForwardedForIsTheClientAndReachesTheServices) {
  // Four clients behind the proxy, one request each: none limited.
  for (int i = 0; i < 4; ++i) {
    auto one = PublicBurst(*proxied_, 1, absl::StrCat("198.51.100.", 10 + i));
    EXPECT_NE(one[0].status, 429) << one[0].body;
  }
  // One client, four requests: the fourth is limited, by its own address.
  auto same = PublicBurst(*proxied_, 4, "203.0.113.77");
  for (int i = 0; i < 3; ++i) EXPECT_NE(same[i].status, 429) << same[i].body;
  EXPECT_EQ(same[3].status, 429) << same[3].body;
  EXPECT_TRUE(same[3].headers.count("Retry-After"));
  // aggpayd saw the client's address (its sampled audit of failed public calls names it).
  std::string sampled;
  for (int i = 0; i < 50; ++i) {
    sampled = Count("audit_log", "details LIKE '%failed public calls from 203.0.113.77%'");
    if (sampled != "0") break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_NE(sampled, "0");
  EXPECT_EQ(Count("audit_log", "details LIKE '%failed public calls from 198.51.100.1;%'"), "0");
}

// ---------------------------------------------------------------- expiry watch

TEST_F(LimitsE2eTest, ExpiringListsACertificateAnOldKeyAnOldWebhookSecretAndAStaleTerminal) {
  char tmpl[] = "/tmp/limits-certs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto make = [&](const std::string& name, int days) {
    const std::string cmd = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ", dir,
        "/", name, ".key -out ", dir, "/", name, ".crt -days ", days, " -subj '/CN=", name,
        "' 2>/dev/null");
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return absl::StrCat(dir, "/", name, ".crt");
  };
  const std::string soon = make("soon", 1);
  const std::string later = make("later", 400);
  AggpaydOptions options;
  options.extra_config = absl::StrCat("expiry: {certificate_files: [", soon, ", ", later,
                                      "], api_key_rotation_age: 90d}");
  AggpaydProcess watcher(SharedServers(), db(), options);

  // An API key made 100 days ago (due), this suite's key made today (not due).
  CommandResult made = AdminCtl("merchant key create " + *merchant_ + " -o json");
  const std::string old_key = JsonString(made.out, "key_id");
  ASSERT_FALSE(old_key.empty()) << made.out;
  Query(
      "UPDATE merchant_api_keys SET created_at = UTC_TIMESTAMP(6) - INTERVAL 100 DAY "
      "WHERE key_id = '" +
      old_key + "'");
  // A webhook secret set 100 days ago.
  HttpResponse hook = SignedRequest(gateway_->url(), "PUT", "/v1/merchant/webhook",
                                    R"({"notify_url":"http://127.0.0.1:9/notify"})", *key_);
  ASSERT_EQ(hook.status, 200) << hook.body;
  Query(
      "UPDATE merchant_webhooks SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 100 DAY "
      "WHERE merchant_id = '" +
      *merchant_ + "'");
  // Two active terminals: one last checked in 8 days ago (past the 7-day grace), one today.
  const std::string store = CreateStore(*merchant_);
  const ActivatedTerminal stale = ActivateTerminal(*merchant_, store, "SN-LIMITS-STALE");
  const ActivatedTerminal fresh = ActivateTerminal(*merchant_, store, "SN-LIMITS-FRESH");
  Query(
      "UPDATE terminals SET last_check_in_at = UTC_TIMESTAMP(6) - INTERVAL 8 DAY "
      "WHERE terminal_sn = '" +
      stale.sn + "'");
  Query("UPDATE terminals SET last_check_in_at = UTC_TIMESTAMP(6) WHERE terminal_sn = '" +
        fresh.sn + "'");

  CommandResult listed = watcher.Ctl(admin_token(), "admin expiring --within 30d -o json");
  EXPECT_EQ(listed.exit_code, 0) << listed.out;
  const std::string& out = listed.out;
  EXPECT_TRUE(absl::StrContains(out, soon)) << out;
  EXPECT_FALSE(absl::StrContains(out, later)) << out;
  EXPECT_TRUE(absl::StrContains(out, "CN=soon")) << out;
  EXPECT_TRUE(absl::StrContains(out, old_key)) << out;
  EXPECT_FALSE(absl::StrContains(out, key_->key_id)) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"webhook_secret\"")) << out;
  EXPECT_TRUE(absl::StrContains(out, stale.sn)) << out;
  EXPECT_FALSE(absl::StrContains(out, fresh.sn)) << out;

  // An auditor may ask; an operator may not.
  const std::string auditor = StaffToken("limits_auditor", "auditor");
  EXPECT_EQ(watcher.Ctl(auditor, "admin expiring").exit_code, 0);
  EXPECT_NE(watcher.Ctl(*operator_token_, "admin expiring").exit_code, 0);

  // The certificates' expiry as metrics.
  auto [status, metrics] = HttpGet(watcher.admin_url() + "/metrics");
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(absl::StrContains(
      metrics, absl::StrCat("aggpay_certificate_expiry_timestamp_seconds{file=\"", soon, "\"} ")))
      << metrics;
  EXPECT_TRUE(absl::StrContains(
      metrics, absl::StrCat("aggpay_certificate_expiry_timestamp_seconds{file=\"", later, "\"} ")))
      << metrics;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aggpay::testing
