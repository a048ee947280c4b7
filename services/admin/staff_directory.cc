#include "services/admin/staff_directory.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/status_macros.h"

namespace aggpay::admin {

absl::StatusOr<Staff> StaffDirectory::CreateStaff(std::string username, std::string display_name,
                                                  std::string role) {
  Staff s;
  s.staff_id = absl::StrCat("stf_", common::RandomToken(12));
  s.username = std::move(username);
  s.display_name = std::move(display_name);
  s.role = std::move(role);
  s.status = StaffStatus::kActive;
  s.created_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  RETURN_IF_ERROR(ValidateNewStaff(s));
  RETURN_IF_ERROR(repo_.CreateStaff(s));
  return s;
}

absl::StatusOr<IssuedToken> StaffDirectory::IssueToken(const std::string& staff_id,
                                                       absl::Duration ttl) {
  if (ttl == absl::ZeroDuration()) ttl = default_ttl_;
  RETURN_IF_ERROR(ValidateTokenTtl(ttl));
  ASSIGN_OR_RETURN(std::optional<Staff> staff, repo_.FindStaff(staff_id));
  if (!staff.has_value())
    return absl::NotFoundError(absl::StrCat("staff ", staff_id, " not found"));
  if (staff->status != StaffStatus::kActive) {
    return absl::FailedPreconditionError(absl::StrCat("staff ", staff_id, " is disabled"));
  }
  StaffToken t;
  t.token_id = absl::StrCat("tok_", common::RandomToken(9));
  const std::string secret = absl::StrCat("agst_", common::RandomToken(32));
  t.token_hash = common::Sha256Hex(secret);
  t.staff_id = staff_id;
  t.created_at = clock_.Now();
  t.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(t.created_at + ttl));
  RETURN_IF_ERROR(repo_.CreateToken(t));
  return IssuedToken{t.token_id, secret, t.expires_at};
}

absl::Status StaffDirectory::RevokeToken(const std::string& token_id) {
  return repo_.RevokeToken(token_id, clock_.Now());
}

absl::StatusOr<Staff> StaffDirectory::DisableStaff(const std::string& staff_id) {
  return repo_.DisableStaff(staff_id, clock_.Now());
}

absl::StatusOr<std::pair<Staff, IssuedToken>> StaffDirectory::BootstrapAdmin(
    const std::string& username) {
  ASSIGN_OR_RETURN(std::optional<Staff> existing, repo_.FindStaffByUsername(username));
  Staff admin;
  if (existing.has_value()) {
    if (existing->role != "admin") {
      return absl::FailedPreconditionError(
          absl::StrCat("staff \"", username, "\" exists and is not an admin"));
    }
    admin = *existing;
  } else {
    ASSIGN_OR_RETURN(admin, CreateStaff(username, "Administrator", "admin"));
  }
  ASSIGN_OR_RETURN(IssuedToken token, IssueToken(admin.staff_id, absl::ZeroDuration()));
  return std::make_pair(admin, token);
}

absl::StatusOr<common::Principal> StaffDirectory::Authenticate(absl::string_view token) {
  if (token.empty() || token.size() > 256) return absl::UnauthenticatedError("invalid token");
  ASSIGN_OR_RETURN(auto found, repo_.FindToken(common::Sha256Hex(token)));
  if (!found.has_value()) return absl::UnauthenticatedError("invalid token");
  const auto& [t, staff] = *found;
  RETURN_IF_ERROR(CheckTokenUsable(t, staff, clock_.Now()));
  common::Principal p;
  p.kind = common::Principal::Kind::kStaff;
  p.id = staff.staff_id;
  p.role = staff.role;
  p.username = staff.username;
  return p;
}

}  // namespace aggpay::admin
