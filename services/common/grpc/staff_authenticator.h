#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/clock/clock.h"
#include "services/common/grpc/principal.h"

namespace grpc {
class Channel;
}

namespace aggpay::common {

// A console session token is "agss_" followed by 32 random bytes; a bearer token is "agst_…".
// Both are accepted wherever a staff credential is, so that one interceptor decides for both.
inline constexpr absl::string_view kSessionTokenPrefix = "agss_";

// Resolves a staff bearer token to a principal. UNAUTHENTICATED for an unknown, expired or
// revoked token, or a disabled account; UNAVAILABLE when the token store cannot be reached.
class StaffAuthenticator {
 public:
  virtual ~StaffAuthenticator() = default;
  virtual absl::StatusOr<Principal> Authenticate(absl::string_view token) = 0;
};

// Asks the admin service (the owner of tokens) over gRPC.
class GrpcStaffAuthenticator final : public StaffAuthenticator {
 public:
  GrpcStaffAuthenticator(std::shared_ptr<grpc::Channel> admin, std::string internal_secret);
  absl::StatusOr<Principal> Authenticate(absl::string_view token) override;

 private:
  std::shared_ptr<grpc::Channel> admin_;
  std::string internal_secret_;
};

// Remembers answers for a short time so that a burst of calls with one token costs one lookup.
// A revoked token keeps working on this instance for at most `ttl`. Console sessions are never
// cached: signing out, or timing out, takes effect on every instance at once.
class CachingStaffAuthenticator final : public StaffAuthenticator {
 public:
  CachingStaffAuthenticator(StaffAuthenticator& inner, const Clock& clock, absl::Duration ttl);
  absl::StatusOr<Principal> Authenticate(absl::string_view token) override;

 private:
  struct Entry {
    absl::StatusOr<Principal> result;
    absl::Time expires;
  };
  StaffAuthenticator& inner_;
  const Clock& clock_;
  absl::Duration ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // by token hash
};

}  // namespace aggpay::common
