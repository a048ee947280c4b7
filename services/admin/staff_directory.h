#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/admin/staff_repository.h"
#include "services/common/clock/clock.h"
#include "services/common/grpc/staff_authenticator.h"

namespace aggpay::admin {

struct IssuedToken {
  std::string token_id;
  std::string token;  // the secret bearer token, returned once
  absl::Time expires_at;
};

// Staff accounts and tokens: the use cases behind AdminService and `aggpayd bootstrap-admin`.
class StaffDirectory final : public common::StaffAuthenticator {
 public:
  StaffDirectory(StaffRepository& repo, const common::Clock& clock, absl::Duration default_ttl)
      : repo_(repo), clock_(clock), default_ttl_(default_ttl) {}

  absl::StatusOr<Staff> CreateStaff(std::string username, std::string display_name,
                                    std::string role);
  // ttl of zero takes the default.
  absl::StatusOr<IssuedToken> IssueToken(const std::string& staff_id, absl::Duration ttl);
  absl::Status RevokeToken(const std::string& token_id);
  absl::StatusOr<Staff> DisableStaff(const std::string& staff_id);
  // Creates the admin account if missing (or finds it) and issues a fresh token.
  absl::StatusOr<std::pair<Staff, IssuedToken>> BootstrapAdmin(const std::string& username);

  absl::StatusOr<common::Principal> Authenticate(absl::string_view token) override;

  StaffRepository& repository() { return repo_; }

 private:
  StaffRepository& repo_;
  const common::Clock& clock_;
  absl::Duration default_ttl_;
};

}  // namespace aggpay::admin
