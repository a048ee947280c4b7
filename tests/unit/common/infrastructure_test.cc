// Unit tests of the pure parts of services/common: audit chain, access policy, config reading,
// status mapping, principal encoding.
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "aggpay/v1/admin.pb.h"
#include "aggpay/v1/binding.pb.h"
#include "aggpay/v1/fee.pb.h"
#include "aggpay/v1/merchant.pb.h"
#include "aggpay/v1/payment.pb.h"
#include "aggpay/v1/risk.pb.h"
#include "aggpay/v1/settlement.pb.h"
#include "aggpay/v1/terminal.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/audit/audit_chain.h"
#include "services/common/config/config_reader.h"
#include "services/common/grpc/access_policy.h"
#include "services/common/grpc/blocking_pool.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/log/log.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::common {
namespace {

std::vector<ChainedAuditEntry> Chain(int n) {
  std::vector<ChainedAuditEntry> out;
  std::string prev(kAuditGenesisHash);
  for (int i = 1; i <= n; ++i) {
    ChainedAuditEntry e;
    e.seq = i;
    e.record.at = absl::FromUnixSeconds(1700000000 + i);
    e.record.actor = "staff:alice";
    e.record.role = "operator";
    e.record.action = "/aggpay.v1.X/Y";
    e.record.target = absl::StrCat("t", i);
    e.record.outcome = "OK";
    e.prev_hash = prev;
    e.hash = AuditEntryHash(i, e.record, prev);
    prev = e.hash;
    out.push_back(e);
  }
  return out;
}

AuditVerifyResult Verify(const std::vector<ChainedAuditEntry>& entries, int64_t head_seq,
                         const std::string& head_hash) {
  AuditChainVerifier v;
  for (const auto& e : entries) {
    if (!v.Add(e)) break;
  }
  return v.Finish(head_seq, head_hash);
}

TEST(AuditChainTest, IntactChainVerifies) {
  auto chain = Chain(5);
  auto r = Verify(chain, 5, chain.back().hash);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.entries_checked, 5);
}

TEST(AuditChainTest, EditedEntryIsTheFirstBrokenLink) {
  auto chain = Chain(5);
  chain[2].record.target = "something else";
  auto r = Verify(chain, 5, chain.back().hash);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_seq, 3);
}

TEST(AuditChainTest, EditedEntryWithRecomputedHashBreaksTheNextLink) {
  auto chain = Chain(5);
  chain[2].record.outcome = "PERMISSION_DENIED";
  chain[2].hash = AuditEntryHash(3, chain[2].record, chain[2].prev_hash);
  auto r = Verify(chain, 5, chain.back().hash);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_seq, 4);
}

TEST(AuditChainTest, DeletedMiddleAndNewestEntriesAreFound) {
  auto chain = Chain(5);
  const std::string head = chain.back().hash;
  auto middle = chain;
  middle.erase(middle.begin() + 1);
  EXPECT_EQ(Verify(middle, 5, head).first_broken_seq, 2);
  auto newest = chain;
  newest.pop_back();
  auto r = Verify(newest, 5, head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_broken_seq, 5);
}

TEST(AccessPolicyTest, RolesMerchantsAndInternalCallers) {
  aggpay::v1::AccessPolicy finance;
  finance.add_roles("finance");
  Principal staff{Principal::Kind::kStaff, "s1", "finance", "fin", ""};
  EXPECT_TRUE(Authorize(finance, staff).ok());
  staff.role = "operator";
  EXPECT_EQ(Authorize(finance, staff).code(), absl::StatusCode::kPermissionDenied);
  staff.role = "admin";
  EXPECT_TRUE(Authorize(finance, staff).ok());
  Principal anonymous;
  EXPECT_EQ(Authorize(finance, anonymous).code(), absl::StatusCode::kUnauthenticated);
  Principal merchant{Principal::Kind::kMerchant, "m1", "", "", "m1"};
  EXPECT_EQ(Authorize(finance, merchant).code(), absl::StatusCode::kPermissionDenied);
  finance.set_merchant(true);
  EXPECT_TRUE(Authorize(finance, merchant).ok());

  aggpay::v1::AccessPolicy internal;
  internal.set_internal(true);
  EXPECT_EQ(Authorize(internal, staff).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      Authorize(internal, Principal{Principal::Kind::kService, "internal", "", "", ""}).ok());
  // Admins may call every method open to any staff role, including ones services also call.
  internal.add_roles("finance");
  EXPECT_TRUE(Authorize(internal, staff).ok());
  EXPECT_EQ(Authorize(internal, merchant).code(), absl::StatusCode::kPermissionDenied);

  aggpay::v1::AccessPolicy open;
  open.set_public_(true);
  EXPECT_TRUE(Authorize(open, anonymous).ok());
}

// Service identities (client certificate CNs): only the method's callers; the monolith is every
// service but not the gateway; the plaintext shared secret ("internal") is everyone.
TEST(AccessPolicyTest, InternalMethodsAdmitOnlyTheirCallers) {
  aggpay::v1::AccessPolicy freeze;
  freeze.set_internal(true);
  freeze.add_callers("risk");
  const auto service = [](const std::string& id) {
    return Principal{Principal::Kind::kService, id, "", "", ""};
  };
  EXPECT_TRUE(Authorize(freeze, service("risk")).ok());
  EXPECT_EQ(Authorize(freeze, service("fee")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(freeze, service("gateway")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(freeze, service("monolith")).ok());
  EXPECT_TRUE(Authorize(freeze, service("internal")).ok());

  aggpay::v1::AccessPolicy sign_in;
  sign_in.set_internal(true);
  sign_in.add_callers("gateway");
  EXPECT_TRUE(Authorize(sign_in, service("gateway")).ok());
  EXPECT_EQ(Authorize(sign_in, service("monolith")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(sign_in, service("admin")).code(), absl::StatusCode::kPermissionDenied);

  // Not internal: no service at all, whatever the callers say.
  aggpay::v1::AccessPolicy staff_only;
  staff_only.add_roles("finance");
  EXPECT_EQ(Authorize(staff_only, service("monolith")).code(), absl::StatusCode::kPermissionDenied);
}

// Every hosted RPC's policy loads: each internal method names its callers, all of them known
// identities (aggpayd refuses to start otherwise).
TEST(AccessPolicyTest, EveryInternalMethodNamesKnownCallers) {
  const std::vector<std::pair<const google::protobuf::FileDescriptor*, const char*>> files = {
      {aggpay::v1::AppendAuditRequest::descriptor()->file(), "AdminService"},
      {aggpay::v1::ResolveCodeRequest::descriptor()->file(), "BindingService"},
      {aggpay::v1::AssignPlanRequest::descriptor()->file(), "FeeService"},
      {aggpay::v1::ReasonRequest::descriptor()->file(), "MerchantService"},
      {aggpay::v1::ChannelCallbackRequest::descriptor()->file(), "PaymentService"},
      {aggpay::v1::EvaluateRequest::descriptor()->file(), "RiskService"},
      {aggpay::v1::ListBatchesRequest::descriptor()->file(), "SettlementService"},
      {aggpay::v1::ForceOfflineRequest::descriptor()->file(), "TerminalService"},
  };
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  int internal = 0;
  for (const auto& [file, name] : files) {
    const auto* service = file->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    services.push_back(service);
    for (int i = 0; i < service->method_count(); ++i) {
      internal += service->method(i)->options().GetExtension(aggpay::v1::access).internal();
    }
  }
  auto policies = AccessPolicies::FromServices(services);
  ASSERT_TRUE(policies.ok()) << policies.status();
  EXPECT_GT(internal, 20);
  const auto* append = policies->Find("/aggpay.v1.AdminService/AppendAudit");
  ASSERT_NE(append, nullptr);
  EXPECT_FALSE(CallerAllowed(*append, "gateway"));
  EXPECT_TRUE(CallerAllowed(*append, "payment"));
  const auto* freeze = policies->Find("/aggpay.v1.MerchantService/FreezeMerchant");
  ASSERT_NE(freeze, nullptr);
  EXPECT_TRUE(CallerAllowed(*freeze, "risk"));
  EXPECT_FALSE(CallerAllowed(*freeze, "fee"));
  EXPECT_FALSE(CallerAllowed(*freeze, "gateway"));
}

TEST(PrincipalTest, PeerHostDropsTheSchemeAndThePort) {
  EXPECT_EQ(PeerHost("ipv4:10.0.0.1:5555"), "10.0.0.1");
  EXPECT_EQ(PeerHost("ipv6:[::1]:5555"), "[::1]");
}

TEST(PrincipalTest, NewRequestIdsAreDistinctAndValidRequestIds) {
  const std::string a = NewRequestId();
  const std::string b = NewRequestId();
  EXPECT_NE(a, b);
  EXPECT_LE(a.size(), 128u);
  for (char c : a) EXPECT_TRUE(absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.') << a;
}

// One thread held by a task that waits on a latch; the queue holds at most 2 more.
TEST(BlockingPoolTest, RunsInOrderRefusesPastItsQueueAndDrainsOnDestruction) {
  std::mutex mu;
  std::vector<int> ran;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  {
    BlockingPool pool(1, "test-pool", 2);
    ASSERT_TRUE(pool.Submit([&] {
      started.set_value();
      released.wait();
    }));
    started.get_future().wait();  // the thread is busy: what follows waits in the queue
    ASSERT_TRUE(pool.Submit([&] {
      std::lock_guard lock(mu);
      ran.push_back(1);
    }));
    ASSERT_TRUE(pool.Submit([&] {
      std::lock_guard lock(mu);
      ran.push_back(2);
    }));
    EXPECT_FALSE(pool.Submit([&] {
      std::lock_guard lock(mu);
      ran.push_back(3);
    })) << "a third waiting task is refused";
    release.set_value();
  }  // the destructor runs what is queued, then joins
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(PrincipalTest, EncodingRoundTripsAnyBytes) {
  Principal p{Principal::Kind::kStaff, "stf_1", "auditor", "a.b-c", "m:.x"};
  auto back = DecodePrincipal(EncodePrincipal(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, "stf_1");
  EXPECT_EQ(back->merchant_id, "m:.x");
  EXPECT_EQ(back->Actor(), "staff:a.b-c");
  EXPECT_FALSE(DecodePrincipal("garbage").ok());
}

TEST(ConfigReaderTest, ErrorsNameTheFullKey) {
  YAML::Node root = YAML::Load("mysql: {port: 99999}\n");
  ConfigReader r(root, "");
  ConfigReader m = r.Child("mysql");
  m.Int("port", 3306, 1, 65535);
  absl::Status s = m.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("mysql.port"), absl::string_view::npos);

  YAML::Node typo = YAML::Load("mysql: {prot: 1}\n");
  ConfigReader r2(typo, "");
  ConfigReader m2 = r2.Child("mysql");
  m2.Int("port", 3306, 1, 65535);
  EXPECT_NE(m2.Finish().message().find("mysql.prot: unknown key"), absl::string_view::npos);

  YAML::Node dur = YAML::Load("ttl: 5 minutes\n");
  ConfigReader r3(dur, "auth");
  r3.Duration("ttl", absl::Seconds(1));
  EXPECT_NE(r3.Finish().message().find("auth.ttl"), absl::string_view::npos);

  ConfigReader defaults(YAML::Node(), "");
  EXPECT_EQ(defaults.Int("x", 7, 0, 10), 7);
  EXPECT_TRUE(defaults.Finish().ok());
}

// Found by fuzzing (tests/fuzz/regressions/config): a list or mapping as a key made Finish()
// throw YAML::TypedBadConversion, and aggpayd die of an uncaught exception at start-up.
TEST(ConfigReaderTest, AKeyThatIsNotANameIsAnErrorNotAnException) {
  YAML::Node root = YAML::Load("mysql: {[port]: 1}\n");
  ConfigReader r(root, "");
  ConfigReader m = r.Child("mysql");
  m.Int("port", 3306, 1, 65535);
  absl::Status s = m.Finish();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "mysql: keys must be plain names");

  ConfigReader top(YAML::Load("? {a: 1}\n: 2\n"), "");
  EXPECT_EQ(top.Finish().message(), "config: keys must be plain names");
}

TEST(ConfigReaderTest, LoadYamlTextNamesTheFile) {
  absl::StatusOr<YAML::Node> bad = LoadYamlText("grpc_listen: [1, 2\n", "aggpayd.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "aggpayd.yaml: ")) << bad.status();
  absl::StatusOr<YAML::Node> empty = LoadYamlText("", "aggpayd.yaml");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->IsNull());
  EXPECT_EQ(LoadYamlFile("/nonexistent/aggpayd.yaml").status().message(),
            "/nonexistent/aggpayd.yaml: cannot read the config file");
}

TEST(StatusMappingTest, FieldErrorsBecomeBadRequestDetails) {
  grpc::Status s = ToGrpcStatus(InvalidField("amount", "must be positive"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "amount: must be positive");
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "amount");
}

TEST(StatusMappingTest, InternalDetailsNeverReachTheCaller) {
  grpc::Status s = ToGrpcStatus(absl::InternalError("table fee_plans is corrupt at page 7"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "internal error");
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "x")).code(),
            absl::StatusCode::kNotFound);
}

TEST(LogTest, JsonLinesEscapeMessages) {
  EXPECT_EQ(JsonEscape(R"(say "hi" \ now)"), R"(say \"hi\" \\ now)");
  EXPECT_EQ(JsonEscape("a\nb\tc\x01"), "a\\nb\\tc\\u0001");
  EXPECT_EQ(JsonEscape("收款码"), "收款码");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

}  // namespace
}  // namespace aggpay::common
