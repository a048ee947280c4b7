#include "services/common/grpc/auth_interceptor.h"

#include <grpcpp/server_context.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/grpc/tls.h"
#include "services/common/log/logging.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::common {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Whether a failed public call counts against its caller's failure budget. Failures the platform
// caused (a database or Redis outage, a timeout, a bug) are not the caller's: counting them locked
// every payer behind one address (a carrier NAT, the gateway) out for the outage and after it.
bool CallerCaused(int code) {
  switch (static_cast<grpc::StatusCode>(code)) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return false;
    default:
      return true;
  }
}

constexpr absl::string_view kAuditTargetKey = "x-aggpay-audit-target";
constexpr absl::string_view kAuditDetailsKey = "x-aggpay-audit-details";
// The payer's address on a public call that the gateway forwards, and the gateway's proof that it
// set it: in mtls mode the call comes with the gateway's client certificate; in plaintext mode
// the proof is hex HMAC-SHA256, under the internal secret, of "client-address\n" ADDRESS. The
// caller stays anonymous; only the public-call limits count against that address instead of the
// gateway's own, which every payer shares.
constexpr absl::string_view kClientAddressKey = "x-aggpay-client-address";
constexpr absl::string_view kClientAddressSigKey = "x-aggpay-client-address-sig";

constexpr absl::string_view kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

absl::string_view CodeName(int code) {
  return code >= 0 && code < 17 ? kCodeNames[code] : "UNKNOWN";
}

grpc::string_ref Ref(absl::string_view s) { return grpc::string_ref(s.data(), s.size()); }

class AuthInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(grpc::experimental::ServerRpcInfo* info, const AuthInterceptorDeps& deps,
                  PublicFailureLimiter& public_failures)
      : info_(info), deps_(deps), public_failures_(public_failures), method_(info->method()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      OnMetadata(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      OnStatus(methods);
    }
    methods->Proceed();
  }

 private:
  void OnMetadata(std::multimap<grpc::string_ref, grpc::string_ref>* md) {
    started_ = deps_.clock->Now();
    // Nothing a client sends under these names is trusted.
    md->erase(Ref(kPrincipalKey));
    md->erase(Ref(kDenialKey));
    md->erase(Ref(kAuditCallKey));
    md->erase(Ref(kCallerAddressKey));
    // Copied out and erased: the handler never sees a signed request, only its verdict.
    if (auto it = md->find(Ref(kSignedRequestKey)); it != md->end()) {
      signed_request_.assign(it->second.data(), it->second.size());
      signed_presented_ = true;
      md->erase(Ref(kSignedRequestKey));
    }
    const auto get = [&](absl::string_view key) -> absl::string_view {
      auto it = md->find(Ref(key));
      return it == md->end() ? absl::string_view()
                             : absl::string_view(it->second.data(), it->second.size());
    };
    request_id_ = std::string(get(kRequestIdKey));
    if (request_id_.empty() || request_id_.size() > 128) {
      request_id_ = NewRequestId();
      md->erase(Ref(kRequestIdKey));
      md->emplace(Ref(kRequestIdKey), Ref(request_id_));
    }

    policy_ = deps_.policies->Find(method_);
    absl::Status verdict = Decide(get(kInternalKey), get(kMerchantKey), get("authorization"));
    if (verdict.ok() && principal_.is_merchant() && !signed_presented_) {
      const absl::string_view user = get(kMerchantUserKey);
      const absl::string_view role = get(kMerchantRoleKey);
      if (!user.empty() && user.size() <= 64 && role.size() <= 16) {
        principal_.username = std::string(user);
        principal_.role = std::string(role);
      }
    }
    if (verdict.ok() && IsPublicCall()) {
      address_ = VouchedAddress(get(kClientAddressKey), get(kClientAddressSigKey));
      if (address_.empty()) address_ = PeerHost(info_->server_context()->peer());
      md->emplace(Ref(kCallerAddressKey), Ref(address_));
      if (!public_failures_.Allowed(address_)) {
        deps_.metrics->Increment("public_calls_refused_total");
        verdict = ResourceExhaustedRetryAfter("too many failed requests from this address",
                                              absl::Seconds(1));
      }
    }
    if (verdict.ok()) {
      encoded_principal_ = EncodePrincipal(principal_);
      md->emplace(Ref(kPrincipalKey), Ref(encoded_principal_));
      if (policy_->mutating()) md->emplace(Ref(kAuditCallKey), Ref(method_));
    } else {
      denial_ = verdict;
      encoded_denial_ = absl::StrCat(static_cast<int>(verdict.code()), ":", verdict.message());
      md->emplace(Ref(kDenialKey), Ref(encoded_denial_));
    }
  }

  // The client address the gateway vouches for, or "" when there is none or its proof is wrong.
  std::string VouchedAddress(absl::string_view address, absl::string_view sig) const {
    if (address.empty() || address.size() > 64) return "";
    // mtls: the gateway's certificate is the proof.
    if (deps_.service_identities) return gateway_vouches_ ? std::string(address) : "";
    if (sig.empty() || deps_.internal_secret.empty()) return "";
    const std::string want =
        HmacSha256Hex(deps_.internal_secret, absl::StrCat("client-address\n", address));
    if (!ConstantTimeEquals(sig, want)) return "";
    return std::string(address);
  }

  absl::Status Decide(absl::string_view internal, absl::string_view merchant,
                      absl::string_view authorization) {
    if (policy_ == nullptr) return absl::PermissionDeniedError("unknown method");
    if (signed_presented_) return DecideSigned(internal, merchant, authorization);
    if (deps_.service_identities) {
      // mtls: a service is who its client certificate names; the shared secret means nothing.
      const std::string identity = PeerIdentity(info_->server_context()->auth_context().get());
      if (!identity.empty() && !merchant.empty()) {
        if (identity != kGatewayIdentity) {
          return absl::PermissionDeniedError(
              absl::StrCat("service \"", identity, "\" may not act for a merchant"));
        }
        SetMerchant(merchant);
        return Authorize(*policy_, principal_);
      }
      if (!authorization.empty()) return DecideStaff(authorization);
      if (identity == kGatewayIdentity && policy_->public_()) {
        // A payer's call the gateway forwards: anonymous, counted against the payer's address.
        gateway_vouches_ = true;
      } else if (!identity.empty()) {
        principal_.kind = Principal::Kind::kService;
        principal_.id = identity;
      }
      return Authorize(*policy_, principal_);
    }
    if (!internal.empty()) {
      if (deps_.internal_secret.empty() || !ConstantTimeEquals(internal, deps_.internal_secret)) {
        return absl::UnauthenticatedError("invalid internal credential");
      }
      if (!merchant.empty()) {
        SetMerchant(merchant);
      } else {
        // tls.mode plaintext: the shared secret stands for every service identity.
        principal_.kind = Principal::Kind::kService;
        principal_.id = std::string(kSharedSecretIdentity);
      }
    } else if (!authorization.empty()) {
      return DecideStaff(authorization);
    }
    return Authorize(*policy_, principal_);
  }

  // A signed merchant request, which only the gateway may forward, and alone: with no merchant id
  // and no staff credential beside it.
  absl::Status DecideSigned(absl::string_view internal, absl::string_view merchant,
                            absl::string_view authorization) {
    if (deps_.service_identities) {
      const std::string identity = PeerIdentity(info_->server_context()->auth_context().get());
      if (identity != kGatewayIdentity) {
        return absl::PermissionDeniedError(
            absl::StrCat(identity.empty() ? "a caller without a service certificate"
                                          : "service \"" + identity + "\"",
                         " may not present a signed merchant request"));
      }
    } else if (internal.empty()) {
      return absl::PermissionDeniedError("only the gateway may present a signed merchant request");
    } else if (deps_.internal_secret.empty() ||
               !ConstantTimeEquals(internal, deps_.internal_secret)) {
      return absl::UnauthenticatedError("invalid internal credential");
    }
    if (!merchant.empty() || !authorization.empty()) {
      return absl::PermissionDeniedError(
          "a signed merchant request comes with no other caller credential");
    }
    // From here on the gateway presented it: a refusal is the signed request's, which the gateway
    // answers as for a failed AuthenticateRequest (and which leaves no audit entry, OnStatus).
    // Refusals of the caller itself (above) stay ordinary refusals, audited on a mutating method.
    signed_refused_ = true;
    if (deps_.signed_requests == nullptr) {
      return absl::UnavailableError("this server cannot authenticate signed merchant requests");
    }
    aggpay::v1::AuthenticateRequestRequest request;
    if (!request.ParseFromString(signed_request_)) {
      return absl::UnauthenticatedError("malformed signed request");
    }
    absl::StatusOr<std::string> merchant_id = deps_.signed_requests->Authenticate(request);
    if (!merchant_id.ok()) {
      deps_.metrics->Increment("signed_requests_refused_total");
      return merchant_id.status();
    }
    if (merchant_id->empty()) return absl::InternalError("the signed request named no merchant");
    // Authenticated: whatever follows (the access policy, the handler) is the route's answer.
    signed_refused_ = false;
    SetMerchant(*merchant_id);
    return Authorize(*policy_, principal_);
  }

  void SetMerchant(absl::string_view merchant) {
    principal_.kind = Principal::Kind::kMerchant;
    principal_.id = std::string(merchant);
    principal_.merchant_id = std::string(merchant);
  }

  absl::Status DecideStaff(absl::string_view authorization) {
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWithIgnoreCase(authorization, kBearer)) {
      return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
    }
    auto staff = deps_.staff->Authenticate(authorization.substr(kBearer.size()));
    if (!staff.ok()) return staff.status();
    principal_ = *std::move(staff);
    return Authorize(*policy_, principal_);
  }

  void OnStatus(grpc::experimental::InterceptorBatchMethods* methods) {
    grpc::Status status = methods->GetSendStatus();
    auto* trailers = methods->GetSendTrailingMetadata();
    trailers->erase(std::string(kSignedRefusedKey));
    trailers->erase(std::string(kSignedMerchantKey));
    if (signed_refused_) {
      // The refusal in full (a rate limit's retry-after included), marked for the gateway. No
      // audit entry: as when the gateway called AuthenticateRequest first, an unauthenticated
      // request never reached the route (and a flood of bad signatures cannot flood the chain).
      methods->ModifySendStatus(ToGrpcStatus(denial_));
      trailers->emplace(std::string(kSignedRefusedKey), "1");
      deps_.metrics->RecordRpc(method_, static_cast<int>(denial_.code()),
                               deps_.clock->Now() - started_);
      return;
    }
    if (signed_presented_ && principal_.is_merchant()) {
      trailers->emplace(std::string(kSignedMerchantKey), principal_.merchant_id);
    }
    if (!denial_.ok() && status.error_code() != static_cast<grpc::StatusCode>(denial_.code())) {
      // The handler ran despite the refusal; the caller still sees the refusal.
      status = grpc::Status(static_cast<grpc::StatusCode>(denial_.code()),
                            std::string(denial_.message()));
      methods->ModifySendStatus(status);
    }
    std::string target;
    std::string details;
    if (auto it = trailers->find(std::string(kAuditTargetKey)); it != trailers->end()) {
      target = it->second;
      trailers->erase(it);
    }
    if (auto it = trailers->find(std::string(kAuditDetailsKey)); it != trailers->end()) {
      details = it->second;
      trailers->erase(it);
    }
    std::string outbox_key;
    if (auto it = trailers->find(std::string(kAuditOutboxKey)); it != trailers->end()) {
      outbox_key = it->second;
      trailers->erase(it);
    }
    const int code = static_cast<int>(status.error_code());
    if (policy_ != nullptr && policy_->mutating()) {
      AuditRecord record;
      record.at = deps_.clock->Now();
      record.actor = principal_.Actor();
      record.role = principal_.is_staff() ? principal_.role : std::string(principal_.KindName());
      record.action = method_;
      record.target = TruncateUtf8(target, 255);
      record.request_id = request_id_;
      record.outcome = std::string(CodeName(code));
      record.details = TruncateUtf8(details, 2000);
      if (!outbox_key.empty() && deps_.relay != nullptr) {
        // A change committed with its outbox row: the relay chains it exactly once.
        deps_.relay->Deliver(std::move(outbox_key), std::move(record));
      } else if (code != 0 && IsPublicCall() && !CallerCaused(code)) {
        // The platform failed the caller: counted, not held against it, not chained.
        deps_.metrics->Increment("public_call_server_failures_total");
      } else if (code != 0 && IsPublicCall()) {
        // Failed public calls are counted and sampled, so no one can flood the chain.
        deps_.metrics->Increment("audit_public_failures_total");
        if (public_failures_.RecordFailure(address_, method_)) {
          record.details = TruncateUtf8(
              absl::StrCat("sampled: failed public calls from ", address_, "; ", record.details),
              2000);
          AppendDirect(record);
        }
      } else {
        AppendDirect(record);
      }
    } else if (code != 0 && IsPublicCall()) {
      deps_.metrics->Increment("public_call_failures_total");
      if (CallerCaused(code)) public_failures_.RecordFailure(address_, method_);
    }
    deps_.metrics->RecordRpc(method_, code, deps_.clock->Now() - started_);
  }

  bool IsPublicCall() const {
    return policy_ != nullptr && policy_->public_() &&
           principal_.kind == Principal::Kind::kAnonymous;
  }

  void AppendDirect(const AuditRecord& record) {
    if (deps_.relay != nullptr) {
      // Queued: the answer never waits for the admin service (a frozen one held every refused
      // change for the sink's 5 s deadline).
      deps_.relay->DeliverDirect(record);
      return;
    }
    if (absl::Status s = deps_.audit->Append(record); !s.ok()) {
      spdlog::error("audit append failed for {} {}: {}", method_, request_id_, s.ToString());
      deps_.metrics->Increment("audit_append_failures_total");
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  const AuthInterceptorDeps& deps_;
  PublicFailureLimiter& public_failures_;
  std::string address_;
  bool gateway_vouches_ = false;
  // A signed merchant request came with the call; the gateway presented it and it was refused.
  bool signed_presented_ = false;
  bool signed_refused_ = false;
  std::string signed_request_;
  std::string method_;
  const aggpay::v1::AccessPolicy* policy_ = nullptr;
  absl::Time started_;
  Principal principal_;
  absl::Status denial_;
  std::string request_id_;
  std::string encoded_principal_;
  std::string encoded_denial_;
};

}  // namespace

void SetAuditTarget(grpc::ServerContext& context, absl::string_view target,
                    absl::string_view details) {
  context.AddTrailingMetadata(std::string(kAuditTargetKey), std::string(target));
  if (!details.empty()) {
    context.AddTrailingMetadata(std::string(kAuditDetailsKey), std::string(details));
  }
}

PublicFailureLimiter::Bucket& PublicFailureLimiter::Refill(const std::string& address) {
  const absl::Time now = clock_.Now();
  if (buckets_.size() > 100000) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(address, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + absl::ToDoubleSeconds(now - b.at) * per_second_);
  b.at = now;
  return b;
}

bool PublicFailureLimiter::Allowed(const std::string& address) {
  std::lock_guard lock(mu_);
  return Refill(address).tokens >= 1;
}

bool PublicFailureLimiter::RecordFailure(const std::string& address, const std::string& method) {
  std::lock_guard lock(mu_);
  Bucket& b = Refill(address);
  b.tokens = std::max(0.0, b.tokens - 1);
  if (last_sample_.size() > 100000) last_sample_.clear();
  const absl::Time now = clock_.Now();
  auto [it, inserted] = last_sample_.try_emplace(absl::StrCat(address, " ", method), now);
  if (!inserted && now - it->second < absl::Minutes(1)) return false;
  it->second = now;
  return true;
}

grpc::experimental::Interceptor* AuthInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AuthInterceptor(info, deps_, public_failures_);
}

}  // namespace aggpay::common
