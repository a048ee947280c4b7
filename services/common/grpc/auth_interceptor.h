#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "services/common/audit/audit_outbox.h"
#include "services/common/audit/audit_sink.h"
#include "services/common/clock/clock.h"
#include "services/common/grpc/access_policy.h"
#include "services/common/grpc/request_authenticator.h"
#include "services/common/grpc/staff_authenticator.h"
#include "services/common/metrics/metrics.h"

namespace grpc {
class ServerContext;
}

namespace aggpay::common {

// Handlers name what a mutating RPC acted on; the interceptor writes it into the audit entry.
void SetAuditTarget(grpc::ServerContext& context, absl::string_view target,
                    absl::string_view details = {});

struct AuthInterceptorDeps {
  const AccessPolicies* policies;
  StaffAuthenticator* staff;
  AuditSink* audit;
  Metrics* metrics;
  const Clock* clock;
  // tls.mode plaintext only: the shared secret that stands for every service (dev-only).
  std::string internal_secret;
  // tls.mode mtls: a caller's service identity is its client certificate's CN, and
  // internal_secret is ignored.
  bool service_identities = false;
  // Delivers the entries of committed mutations from the audit outbox; null: direct appends.
  AuditRelay* relay = nullptr;
  // Authenticates the signed merchant requests the gateway forwards with a route's call
  // (kSignedRequestKey): the merchant domain, in process, when this process hosts the merchant
  // service. Null otherwise: such calls are refused UNAVAILABLE (the gateway sends them only to
  // the merchant service's address).
  RequestAuthenticator* signed_requests = nullptr;
  // Failed calls of public methods allowed per client address (per second, and burst).
  double public_failures_per_second = 5;
  double public_failure_burst = 20;
};

// Per-address budget of failed public calls, and one sampled audit entry per address per minute.
class PublicFailureLimiter {
 public:
  PublicFailureLimiter(const Clock& clock, double per_second, double burst)
      : clock_(clock), per_second_(per_second), burst_(burst) {}
  // Whether `address` may make another public call (its failure budget is not exhausted).
  bool Allowed(const std::string& address);
  // Records a failed public call of `method`; true when this one should be sampled into the audit
  // log (the first per address and method in each minute).
  bool RecordFailure(const std::string& address, const std::string& method);

 private:
  struct Bucket {
    double tokens;
    absl::Time at;
  };
  Bucket& Refill(const std::string& address);
  const Clock& clock_;
  double per_second_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, absl::Time> last_sample_;  // "<address> <method>"
};

// Runs around every RPC of a server:
//  1. authenticates the caller (staff bearer token; a service by its client certificate, or in
//     plaintext mode by the shared secret; a merchant by the id the gateway forwards, or by the
//     signed request the gateway forwards, verified here through deps.signed_requests) and
//     checks it against the method's access policy, its `callers` included;
//  2. hands the verdict to the handler in metadata (see CallPrincipal) and, should a handler
//     ignore a refusal, replaces its status with the refusal;
//  3. writes one audit entry for every call of a mutating method, refused calls included: a call
//     that committed a change through its outbox row (delivered by the relay), any other
//     directly; failed calls of public methods are counted, limited per address and sampled
//     (one entry per address per minute) rather than chained one by one;
//  4. records request counts and latency per method and status code.
class AuthInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(AuthInterceptorDeps deps)
      : deps_(std::move(deps)),
        public_failures_(*deps_.clock, deps_.public_failures_per_second,
                         deps_.public_failure_burst) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  AuthInterceptorDeps deps_;
  PublicFailureLimiter public_failures_;
};

}  // namespace aggpay::common
