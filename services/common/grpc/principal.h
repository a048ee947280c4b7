#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/audit/audit_outbox.h"

namespace grpc {
class ServerContext;
class ServerContextBase;
class ClientContext;
}  // namespace grpc

namespace aggpay::common {

// Who is calling, as established by the auth interceptor.
struct Principal {
  enum class Kind { kAnonymous, kStaff, kMerchant, kService, kTerminal };
  Kind kind = Kind::kAnonymous;
  std::string id;           // staff id, merchant id, service name or terminal sn
  std::string role;         // staff role; a portal user's role (owner, cashier, viewer)
  std::string username;     // staff username; a portal user's id (merchant principals)
  std::string merchant_id;  // for merchants and terminals

  bool is_staff() const { return kind == Kind::kStaff; }
  bool is_merchant() const { return kind == Kind::kMerchant; }
  // "staff:alice", "merchant:m_123", "merchant:m_123/mu_abc" (a portal user): the actor recorded
  // in the audit log.
  std::string Actor() const;
  absl::string_view KindName() const;
};

// Metadata keys. The interceptor drops any client-sent value of kPrincipalKey and kDenialKey
// before it writes its own, so a handler can trust them.
inline constexpr absl::string_view kPrincipalKey = "x-aggpay-principal";
inline constexpr absl::string_view kDenialKey = "x-aggpay-denial";
// The shared secret that the gateway and services present to each other in tls.mode plaintext
// (ignored in mtls mode), and the merchant id the gateway authenticated (trusted in mtls mode
// only from the gateway's certificate). The gateway strips both from client requests.
inline constexpr absl::string_view kInternalKey = "x-aggpay-internal";
inline constexpr absl::string_view kMerchantKey = "x-aggpay-merchant-id";
// Service identities (client certificate CNs) with a meaning of their own: the gateway, which
// alone may act for a merchant; the monolith (`aggpayd serve --services=all`), which is every
// service; and what the shared secret stands for in tls.mode plaintext: every caller.
inline constexpr absl::string_view kGatewayIdentity = "gateway";
inline constexpr absl::string_view kMonolithIdentity = "monolith";
inline constexpr absl::string_view kSharedSecretIdentity = "internal";
inline constexpr absl::string_view kRequestIdKey = "x-request-id";
// With kMerchantKey: the merchant portal's user and role behind the request (docs/portal.md),
// recorded in the audit log's actor; trusted only with the internal credential.
inline constexpr absl::string_view kMerchantUserKey = "x-aggpay-merchant-user";
inline constexpr absl::string_view kMerchantRoleKey = "x-aggpay-merchant-role";

std::string EncodePrincipal(const Principal& p);
absl::StatusOr<Principal> DecodePrincipal(absl::string_view encoded);

// On a public method: the client address the interceptor established (the payer's, vouched for
// by the gateway, or else the TCP peer's), which the per-address limits count. Like the
// principal, a client-sent value never reaches a handler.
inline constexpr absl::string_view kCallerAddressKey = "x-aggpay-caller-address";

// "ipv4:10.0.0.1:5555" -> "10.0.0.1", "ipv6:[::1]:5555" -> "[::1]".
std::string PeerHost(absl::string_view peer);
// The client address of the current RPC: kCallerAddressKey on a public method, the TCP peer's
// host otherwise.
std::string CallClientAddress(const grpc::ServerContextBase& context);

// The caller of the current RPC, or the status the interceptor refused it with.
absl::StatusOr<Principal> CallPrincipal(const grpc::ServerContextBase& context);
// The request id from metadata, or a fresh one.
std::string CallRequestId(const grpc::ServerContextBase& context);
// A request id for a call that came without one: a random prefix drawn once per process and a
// counter, so unique without drawing randomness on every call. It identifies, it is no secret.
std::string NewRequestId();

// At the top of a handler: binds `principal_or` to the caller, or returns the refusal the
// interceptor decided on; for a mutating RPC, opens the call's audit scope, so that the first
// transaction the handler commits carries its audit outbox row (audit_outbox.h).
#define AGGPAY_AUTHORIZE(ctx)                                                           \
  auto principal_or = ::aggpay::common::CallPrincipal(*(ctx));                          \
  if (!principal_or.ok()) return ::aggpay::common::ToGrpcStatus(principal_or.status()); \
  ::aggpay::common::AuditScope aggpay_audit_scope(*(ctx))

// Adds the shared secret to an outgoing service-to-service call (tls.mode plaintext); an empty
// one (mtls, where the client certificate is the credential) adds nothing.
void AddInternalCredential(grpc::ClientContext& context, const std::string& secret);
// A client context for a call to another aggpay service: internal credential and a deadline.
std::unique_ptr<grpc::ClientContext> InternalContext(const std::string& secret,
                                                     absl::Duration timeout = absl::Seconds(5));

}  // namespace aggpay::common

namespace aggpay::common {

// Tenancy: the merchant a request may act on. A merchant principal acts only on itself: an
// empty `requested` means itself, another merchant's id is NOT_FOUND (existence is not
// revealed). Staff and services get `requested` back as given.
absl::StatusOr<std::string> MerchantScope(const Principal& principal, absl::string_view requested);

}  // namespace aggpay::common
