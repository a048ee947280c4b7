#include "services/common/grpc/staff_authenticator.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "aggpay/v1/admin.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::common {

GrpcStaffAuthenticator::GrpcStaffAuthenticator(std::shared_ptr<grpc::Channel> admin,
                                               std::string internal_secret)
    : admin_(std::move(admin)), internal_secret_(std::move(internal_secret)) {}

absl::StatusOr<Principal> GrpcStaffAuthenticator::Authenticate(absl::string_view token) {
  auto stub = aggpay::v1::AdminService::NewStub(admin_);
  auto ctx = InternalContext(internal_secret_, absl::Seconds(2));
  aggpay::v1::AuthenticateRequest req;
  req.set_token(std::string(token));
  aggpay::v1::Principal resp;
  grpc::Status status = stub->Authenticate(ctx.get(), req, &resp);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      return absl::UnauthenticatedError(status.error_message());
    }
    return absl::UnavailableError("cannot check the token now");
  }
  Principal p;
  p.kind = Principal::Kind::kStaff;
  p.id = resp.id();
  p.role = resp.role();
  p.username = resp.username();
  return p;
}

CachingStaffAuthenticator::CachingStaffAuthenticator(StaffAuthenticator& inner, const Clock& clock,
                                                     absl::Duration ttl)
    : inner_(inner), clock_(clock), ttl_(ttl) {}

absl::StatusOr<Principal> CachingStaffAuthenticator::Authenticate(absl::string_view token) {
  if (absl::StartsWith(token, kSessionTokenPrefix)) return inner_.Authenticate(token);
  const std::string key = Sha256Hex(token);
  const absl::Time now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.result;
  }
  absl::StatusOr<Principal> result = inner_.Authenticate(token);
  // Outages are not remembered: the next call tries again.
  if (result.ok() || absl::IsUnauthenticated(result.status())) {
    std::lock_guard lock(mu_);
    if (cache_.size() > 10000) cache_.clear();
    cache_[key] = Entry{result, now + ttl_};
  }
  return result;
}

}  // namespace aggpay::common
