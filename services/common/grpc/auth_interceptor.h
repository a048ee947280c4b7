#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "services/common/audit/audit_sink.h"
#include "services/common/clock/clock.h"
#include "services/common/grpc/access_policy.h"
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
  std::string internal_secret;
};

// Runs around every RPC of a server:
//  1. authenticates the caller (staff bearer token, or the internal credential with an optional
//     gateway-authenticated merchant id) and checks it against the method's access policy;
//  2. hands the verdict to the handler in metadata (see CallPrincipal) and, should a handler
//     ignore a refusal, replaces its status with the refusal;
//  3. writes one audit entry for every call of a mutating method, refused calls included;
//  4. records request counts and latency per method and status code.
class AuthInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(AuthInterceptorDeps deps) : deps_(std::move(deps)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  AuthInterceptorDeps deps_;
};

}  // namespace aggpay::common
