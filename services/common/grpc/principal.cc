#include "services/common/grpc/principal.h"

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <atomic>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {
namespace {

absl::string_view Ref(grpc::string_ref r) { return {r.data(), r.size()}; }

}  // namespace

absl::string_view Principal::KindName() const {
  switch (kind) {
    case Kind::kStaff:
      return "staff";
    case Kind::kMerchant:
      return "merchant";
    case Kind::kService:
      return "service";
    case Kind::kTerminal:
      return "terminal";
    case Kind::kAnonymous:
      return "anonymous";
  }
  return "anonymous";
}

std::string Principal::Actor() const {
  if (kind == Kind::kStaff) return absl::StrCat("staff:", username.empty() ? id : username);
  if (kind == Kind::kAnonymous) return "anonymous";
  if (kind == Kind::kMerchant && !username.empty()) {
    return absl::StrCat(KindName(), ":", id, "/", username);
  }
  return absl::StrCat(KindName(), ":", id);
}

std::string EncodePrincipal(const Principal& p) {
  // Fields are base64url so that the separator never appears inside one.
  return absl::StrCat(static_cast<int>(p.kind), ".", Base64UrlEncode(p.id), ".",
                      Base64UrlEncode(p.role), ".", Base64UrlEncode(p.username), ".",
                      Base64UrlEncode(p.merchant_id));
}

absl::StatusOr<Principal> DecodePrincipal(absl::string_view encoded) {
  std::vector<absl::string_view> parts = absl::StrSplit(encoded, '.');
  int kind = 0;
  if (parts.size() != 5 || !absl::SimpleAtoi(parts[0], &kind) || kind < 0 || kind > 4) {
    return absl::InternalError("malformed principal");
  }
  Principal p;
  p.kind = static_cast<Principal::Kind>(kind);
  auto id = Base64UrlDecode(parts[1]);
  auto role = Base64UrlDecode(parts[2]);
  auto username = Base64UrlDecode(parts[3]);
  auto merchant = Base64UrlDecode(parts[4]);
  if (!id.ok() || !role.ok() || !username.ok() || !merchant.ok()) {
    return absl::InternalError("malformed principal");
  }
  p.id = *id;
  p.role = *role;
  p.username = *username;
  p.merchant_id = *merchant;
  return p;
}

absl::StatusOr<Principal> CallPrincipal(const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  if (auto it = md.find(grpc::string_ref(kDenialKey.data(), kDenialKey.size())); it != md.end()) {
    const absl::string_view denial = Ref(it->second);
    const size_t colon = denial.find(':');
    int code = 0;
    if (colon != absl::string_view::npos && absl::SimpleAtoi(denial.substr(0, colon), &code)) {
      return absl::Status(static_cast<absl::StatusCode>(code), denial.substr(colon + 1));
    }
    return absl::PermissionDeniedError("permission denied");
  }
  auto it = md.find(grpc::string_ref(kPrincipalKey.data(), kPrincipalKey.size()));
  if (it == md.end()) return absl::UnauthenticatedError("no credential");
  return DecodePrincipal(Ref(it->second));
}

std::string PeerHost(absl::string_view peer) {
  const size_t colon = peer.find(':');
  if (colon != absl::string_view::npos) peer = peer.substr(colon + 1);
  const size_t port = peer.rfind(':');
  if (port != absl::string_view::npos) peer = peer.substr(0, port);
  return std::string(peer);
}

std::string CallClientAddress(const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(kCallerAddressKey.data(), kCallerAddressKey.size()));
  if (it != md.end()) return std::string(it->second.data(), it->second.size());
  return PeerHost(context.peer());
}

std::string CallRequestId(const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(kRequestIdKey.data(), kRequestIdKey.size()));
  if (it != md.end() && it->second.size() > 0 && it->second.size() <= 128) {
    return std::string(it->second.data(), it->second.size());
  }
  return NewRequestId();
}

std::string NewRequestId() {
  static const std::string* const prefix = new std::string(RandomToken(9));
  static std::atomic<uint64_t> next{0};
  return absl::StrCat(*prefix, ".", absl::Hex(next.fetch_add(1, std::memory_order_relaxed)));
}

void AddInternalCredential(grpc::ClientContext& context, const std::string& secret) {
  if (secret.empty()) return;  // tls.mode mtls: the client certificate is the credential
  context.AddMetadata(std::string(kInternalKey), secret);
}

std::unique_ptr<grpc::ClientContext> InternalContext(const std::string& secret,
                                                     absl::Duration timeout) {
  if (ConnectionsHeldByThisThread() > 0) NoteOutboundCallWhileHoldingDatabase("to a service");
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  AddInternalCredential(*ctx, secret);
  return ctx;
}

}  // namespace aggpay::common

namespace aggpay::common {

absl::StatusOr<std::string> MerchantScope(const Principal& principal, absl::string_view requested) {
  if (principal.is_merchant()) {
    if (requested.empty() || requested == principal.merchant_id) return principal.merchant_id;
    return absl::NotFoundError("merchant not found");
  }
  return std::string(requested);
}

}  // namespace aggpay::common
