// Transport security and service identities (docs/security.md "Service identities"): aggpayd's
// gRPC listener speaks TLS, a caller's identity is its client certificate's CN, and each
// internal method admits only the identities its (aggpay.v1.access) `callers` lists.

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "aggpay/v1/admin.grpc.pb.h"
#include "aggpay/v1/fee.grpc.pb.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {
namespace {

namespace v1 = aggpay::v1;

std::unique_ptr<grpc::ClientContext> Context(
    const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  for (const auto& [k, v] : metadata) ctx->AddMetadata(k, v);
  return ctx;
}

// The four calls the gateway's certificate must never make, each with a well-formed request.
struct SensitiveCalls {
  grpc::StatusCode append_audit, assign_plan, freeze_merchant, force_offline;
};

SensitiveCalls CallSensitive(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& merchant,
                             const std::vector<std::pair<std::string, std::string>>& md = {}) {
  SensitiveCalls out{};
  {
    v1::AppendAuditRequest req;
    req.mutable_entry()->set_actor("staff:forged");
    req.mutable_entry()->set_action("/aggpay.v1.MerchantService/ApproveApplication");
    req.mutable_entry()->set_outcome("OK");
    v1::AppendAuditResponse resp;
    out.append_audit =
        v1::AdminService::NewStub(channel)->AppendAudit(Context(md).get(), req, &resp).error_code();
  }
  {
    v1::AssignPlanRequest req;
    req.set_merchant_id(merchant);
    req.set_plan_id("plan_forged");
    v1::PlanAssignment resp;
    out.assign_plan =
        v1::FeeService::NewStub(channel)->AssignPlan(Context(md).get(), req, &resp).error_code();
  }
  {
    v1::ReasonRequest req;
    req.set_merchant_id(merchant);
    req.set_reason("forged");
    v1::MerchantApplication resp;
    out.freeze_merchant = v1::MerchantService::NewStub(channel)
                              ->FreezeMerchant(Context(md).get(), req, &resp)
                              .error_code();
  }
  {
    v1::ForceOfflineRequest req;
    req.set_merchant_id(merchant);
    req.set_reason("forged");
    v1::ForceOfflineResponse resp;
    out.force_offline = v1::TerminalService::NewStub(channel)
                            ->ForceOffline(Context(md).get(), req, &resp)
                            .error_code();
  }
  return out;
}

grpc::StatusCode Freeze(const std::shared_ptr<grpc::Channel>& channel, const std::string& merchant,
                        bool freeze) {
  v1::ReasonRequest req;
  req.set_merchant_id(merchant);
  req.set_reason("tls e2e");
  v1::MerchantApplication resp;
  auto stub = v1::MerchantService::NewStub(channel);
  auto ctx = Context();
  return (freeze ? stub->FreezeMerchant(ctx.get(), req, &resp)
                 : stub->UnfreezeMerchant(ctx.get(), req, &resp))
      .error_code();
}

// The serial number of the certificate a fresh TLS connection to `addr` is shown ("" if none).
std::string PeerSerial(const std::string& addr) {
  CommandResult r = RunCommand(
      absl::StrCat("openssl s_client -connect ", addr, " -alpn h2 -CAfile ", TlsCaFile(),
                   " </dev/null 2>/dev/null | ", "openssl x509 -noout -serial 2>/dev/null"));
  return std::string(absl::StripAsciiWhitespace(r.out));
}

class TlsE2eTest : public StackTest {
 protected:
  static void SetUpTestSuite() {
    StackTest::SetUpTestSuite();
    merchant_ = new std::string(OnboardMerchant("APPLY_TLS_0001"));
  }
  static void TearDownTestSuite() {
    delete merchant_;
    StackTest::TearDownTestSuite();
  }
  static const std::string& merchant() { return *merchant_; }
  static std::string AuditCount(const std::string& actor) {
    return Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE actor = '", actor, "'"));
  }
  static std::string* merchant_;
};
std::string* TlsE2eTest::merchant_ = nullptr;

// No client certificate: an internal method is UNAUTHENTICATED (the caller is anonymous), and so
// are the four sensitive calls. Nothing reaches the audit chain under a forged actor.
TEST_F(TlsE2eTest, CallWithoutClientCertificateIsUnauthenticated) {
  const SensitiveCalls got = CallSensitive(TestChannel(aggpayd().grpc_addr()), merchant());
  EXPECT_EQ(got.append_audit, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(got.assign_plan, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(got.freeze_merchant, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(got.force_offline, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AuditCount("staff:forged"), "0");
}

// The shared secret that aggpayd still has in its environment opens nothing in mtls mode: sent
// without a certificate it is ignored (UNAUTHENTICATED), and it adds nothing to the gateway's.
TEST_F(TlsE2eTest, SharedSecretOpensNothingInMtlsMode) {
  const std::vector<std::pair<std::string, std::string>> secret = {
      {"x-aggpay-internal", aggpayd().internal_secret()}};
  const SensitiveCalls anonymous =
      CallSensitive(TestChannel(aggpayd().grpc_addr()), merchant(), secret);
  EXPECT_EQ(anonymous.append_audit, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(anonymous.freeze_merchant, grpc::StatusCode::UNAUTHENTICATED);
  const SensitiveCalls gateway =
      CallSensitive(IdentityChannel(aggpayd().grpc_addr(), "gateway"), merchant(), secret);
  EXPECT_EQ(gateway.append_audit, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(gateway.freeze_merchant, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuditCount("staff:forged"), "0");
}

// The internet-facing gateway's certificate: PERMISSION_DENIED on AppendAudit, AssignPlan,
// FreezeMerchant and ForceOffline, as itself and acting for a merchant; acting for a merchant
// works on a merchant method (GetMerchant of its own merchant) and on nothing else.
TEST_F(TlsE2eTest, GatewayCertificateCannotCallSensitiveMethods) {
  auto gateway = IdentityChannel(aggpayd().grpc_addr(), "gateway");
  const SensitiveCalls as_itself = CallSensitive(gateway, merchant());
  EXPECT_EQ(as_itself.append_audit, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_itself.assign_plan, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_itself.freeze_merchant, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_itself.force_offline, grpc::StatusCode::PERMISSION_DENIED);
  const SensitiveCalls as_merchant =
      CallSensitive(gateway, merchant(), {{"x-aggpay-merchant-id", merchant()}});
  EXPECT_EQ(as_merchant.append_audit, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_merchant.assign_plan, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_merchant.freeze_merchant, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(as_merchant.force_offline, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuditCount("staff:forged"), "0");

  // A merchant method, for the merchant it forwards: allowed.
  v1::GetMerchantRequest req;
  v1::Merchant resp;
  auto stub = v1::MerchantService::NewStub(gateway);
  EXPECT_EQ(stub->GetMerchant(Context({{"x-aggpay-merchant-id", merchant()}}).get(), req, &resp)
                .error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(resp.merchant_id(), merchant());
  // The same method as the gateway itself (no merchant): it is not among GetMerchant's callers.
  req.set_merchant_id(merchant());
  EXPECT_EQ(stub->GetMerchant(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Another service may not act for a merchant at all.
  EXPECT_EQ(v1::MerchantService::NewStub(IdentityChannel(aggpayd().grpc_addr(), "payment"))
                ->GetMerchant(Context({{"x-aggpay-merchant-id", merchant()}}).get(), req, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A signed merchant request (x-aggpay-signed-request-bin, what the gateway sends with a route's
// call so that aggpayd authenticates the merchant in that call) counts only from the gateway's
// certificate: a caller without a certificate (a terminal's) and another service's certificate
// are PERMISSION_DENIED before the request is even checked (its nonce stays unused), and so is
// the gateway adding a merchant id beside it. The gateway's, alone, names the merchant.
TEST_F(TlsE2eTest, OnlyTheGatewayMayPresentASignedMerchantRequest) {
  CommandResult key = AdminCtl("merchant key create " + merchant() + " -o json");
  ASSERT_EQ(key.exit_code, 0) << key.out;
  const std::string key_id = JsonString(key.out, "key_id");
  const std::string secret = JsonString(key.out, "secret");
  v1::AuthenticateRequestRequest signed_request;
  signed_request.set_key_id(key_id);
  signed_request.set_timestamp(std::to_string(absl::ToUnixSeconds(absl::Now())));
  signed_request.set_nonce(common::RandomToken(12));
  signed_request.set_method("GET");
  signed_request.set_path_and_query("/v1/merchant");
  signed_request.set_body_sha256(common::Sha256Hex(""));
  signed_request.set_signature(common::HmacSha256Hex(
      secret, absl::StrCat("GET\n/v1/merchant\n", signed_request.timestamp(), "\n",
                           signed_request.nonce(), "\n", signed_request.body_sha256(), "\n")));
  const std::string wire = signed_request.SerializeAsString();

  struct Outcome {
    grpc::StatusCode code;
    std::string merchant;  // x-aggpay-signed-merchant
    bool refused;          // x-aggpay-signed-refused
  };
  const auto get_merchant = [&](const std::shared_ptr<grpc::Channel>& channel,
                                const std::vector<std::pair<std::string, std::string>>& more) {
    auto ctx = Context(more);
    ctx->AddMetadata("x-aggpay-signed-request-bin", wire);
    v1::GetMerchantRequest req;
    v1::Merchant resp;
    Outcome out{
        v1::MerchantService::NewStub(channel)->GetMerchant(ctx.get(), req, &resp).error_code(), "",
        false};
    for (const auto& [k, v] : ctx->GetServerTrailingMetadata()) {
      if (k == "x-aggpay-signed-merchant") out.merchant = std::string(v.data(), v.size());
      if (k == "x-aggpay-signed-refused") out.refused = true;
    }
    if (out.code == grpc::StatusCode::OK) {
      EXPECT_EQ(resp.merchant_id(), merchant());
    }
    return out;
  };

  const Outcome terminal = get_merchant(TestChannel(aggpayd().grpc_addr()), {});
  EXPECT_EQ(terminal.code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(terminal.merchant.empty());
  EXPECT_FALSE(terminal.refused);
  // The shared secret beside it does not make a caller without a certificate the gateway.
  EXPECT_EQ(get_merchant(TestChannel(aggpayd().grpc_addr()),
                         {{"x-aggpay-internal", aggpayd().internal_secret()}})
                .code,
            grpc::StatusCode::PERMISSION_DENIED);
  for (const std::string identity : {"payment", "risk", "binding"}) {
    const Outcome service = get_merchant(IdentityChannel(aggpayd().grpc_addr(), identity), {});
    EXPECT_EQ(service.code, grpc::StatusCode::PERMISSION_DENIED) << identity;
    EXPECT_TRUE(service.merchant.empty()) << identity;
  }
  auto gateway = IdentityChannel(aggpayd().grpc_addr(), "gateway");
  EXPECT_EQ(get_merchant(gateway, {{"x-aggpay-merchant-id", merchant()}}).code,
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(get_merchant(gateway, {{"authorization", "Bearer forged"}}).code,
            grpc::StatusCode::PERMISSION_DENIED);

  // On a mutating method a caller's refusal is audited like any refused call; it is not the
  // gateway's refused signature, which leaves no entry.
  {
    const std::string request_id = "signed-by-payment-" + common::RandomToken(6);
    auto ctx = Context({{"x-request-id", request_id}});
    ctx->AddMetadata("x-aggpay-signed-request-bin", wire);
    v1::ConfigureWebhookRequest req;
    req.set_notify_url("https://evil.example/notify");
    v1::ConfigureWebhookResponse resp;
    EXPECT_EQ(v1::PaymentService::NewStub(IdentityChannel(aggpayd().grpc_addr(), "payment"))
                  ->ConfigureWebhook(ctx.get(), req, &resp)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    std::string audited;
    for (int i = 0; i < 50 && audited.empty(); ++i) {
      audited = Query(
          absl::StrCat("SELECT outcome FROM audit_log WHERE request_id = '", request_id, "'"));
      if (audited.empty()) absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_EQ(audited, "PERMISSION_DENIED");
  }

  // None of those consumed the nonce: the gateway's call with the same request is the first.
  const Outcome ok = get_merchant(gateway, {});
  EXPECT_EQ(ok.code, grpc::StatusCode::OK);
  EXPECT_EQ(ok.merchant, merchant());
  EXPECT_FALSE(ok.refused);
  // Its replay is refused as AuthenticateRequest refuses it, and marked as the signature's.
  const Outcome replay = get_merchant(gateway, {});
  EXPECT_EQ(replay.code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(replay.refused);
  EXPECT_TRUE(replay.merchant.empty());
  // A malformed one is refused too.
  {
    auto ctx = Context();
    ctx->AddMetadata("x-aggpay-signed-request-bin", "\xff\xff\xff");
    v1::GetMerchantRequest req;
    v1::Merchant resp;
    EXPECT_EQ(
        v1::MerchantService::NewStub(gateway)->GetMerchant(ctx.get(), req, &resp).error_code(),
        grpc::StatusCode::UNAUTHENTICATED);
  }
}

// FreezeMerchant lists only "risk": the risk service's certificate freezes, the fee service's
// is PERMISSION_DENIED, and the merchant's status shows which happened.
TEST_F(TlsE2eTest, RiskMayFreezeAMerchantFeeMayNot) {
  auto fee = IdentityChannel(aggpayd().grpc_addr(), "fee");
  auto risk = IdentityChannel(aggpayd().grpc_addr(), "risk");
  const std::string status_query =
      absl::StrCat("SELECT status FROM merchants WHERE merchant_id = '", merchant(), "'");
  EXPECT_EQ(Freeze(fee, merchant(), true), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Query(status_query), "ACTIVE");
  EXPECT_EQ(Freeze(risk, merchant(), true), grpc::StatusCode::OK);
  EXPECT_EQ(Query(status_query), "FROZEN");
  EXPECT_EQ(Freeze(fee, merchant(), false), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Freeze(risk, merchant(), false), grpc::StatusCode::OK);
  EXPECT_EQ(Query(status_query), "ACTIVE");
  // The audit log names the service identity that acted.
  EXPECT_NE(AuditCount("service:risk"), "0");
}

// A certificate from another CA, even with the gateway's name, fails the TLS handshake:
// UNAVAILABLE, the call never reaches aggpayd.
TEST_F(TlsE2eTest, CertificateFromAnotherCaIsRefusedAtTheHandshake) {
  const std::string rogue = absl::StrCat(SharedServers().dir(), "/rogue-ca");
  CommandResult made = RunCommand(absl::StrCat(
      "bash ", SourceDir(), "/tools/lib/servers.sh make-certs ", rogue, " gateway 2>&1"));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  v1::GetMerchantRequest req;
  v1::Merchant resp;
  EXPECT_EQ(v1::MerchantService::NewStub(IdentityChannel(aggpayd().grpc_addr(), "gateway", rogue))
                ->GetMerchant(Context({{"x-aggpay-merchant-id", merchant()}}).get(), req, &resp)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// Replacing the certificate files on disk: within tls.reload_interval a fresh connection is shown
// the new certificate (its serial), with no restart, and calls keep working.
TEST_F(TlsE2eTest, ReplacedCertificateIsServedWithoutRestart) {
  const std::string dir = absl::StrCat(SharedServers().dir(), "/rotating");
  std::filesystem::create_directories(dir);
  for (const char* f : {"ca.pem", "ca.key", "monolith.pem", "monolith.key"}) {
    std::filesystem::copy_file(absl::StrCat(TestTlsDir(), "/", f), absl::StrCat(dir, "/", f),
                               std::filesystem::copy_options::overwrite_existing);
  }
  AggpaydOptions options;
  options.tls_config =
      absl::StrCat("{cert_file: ", dir, "/monolith.pem, key_file: ", dir,
                   "/monolith.key, ca_file: ", dir, "/ca.pem, reload_interval: 1s}");
  AggpaydProcess instance(SharedServers(), db(), options);
  const std::string before = PeerSerial(instance.grpc_addr());
  ASSERT_FALSE(before.empty());
  const pid_t pid = instance.pid();

  CommandResult rotated = RunCommand(absl::StrCat(
      "bash ", SourceDir(), "/tools/lib/servers.sh make-certs ", dir, " monolith 2>&1"));
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out;
  std::string after = before;
  for (int i = 0; i < 100 && after == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = PeerSerial(instance.grpc_addr());
  }
  EXPECT_NE(after, before);
  EXPECT_FALSE(after.empty());
  EXPECT_EQ(instance.pid(), pid);
  CommandResult who = instance.Ctl(admin_token(), "whoami -o json");
  EXPECT_EQ(who.exit_code, 0) << who.out;
}

// tls.mode plaintext (development): no TLS, and the shared secret is the services' credential.
TEST_F(TlsE2eTest, PlaintextModeIsAnExplicitDevelopmentSetting) {
  AggpaydOptions options;
  options.tls_config = "{mode: plaintext}";
  AggpaydProcess instance(SharedServers(), db(), options);
  EXPECT_TRUE(instance.plaintext());
  CommandResult who = instance.Ctl(admin_token(), "whoami -o json");
  EXPECT_EQ(who.exit_code, 0) << who.out;
  // A TLS client cannot talk to it.
  v1::GetMerchantRequest req;
  v1::Merchant resp;
  EXPECT_EQ(v1::MerchantService::NewStub(TestChannel(instance.grpc_addr()))
                ->GetMerchant(Context().get(), req, &resp)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace aggpay::testing
