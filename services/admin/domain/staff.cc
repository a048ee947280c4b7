#include "services/admin/domain/staff.h"

#include <array>

#include "services/common/status/field_errors.h"
#include "services/common/text/text_field.h"

namespace aggpay::admin {

using common::InvalidField;

bool IsStaffRole(absl::string_view role) {
  static constexpr std::array<absl::string_view, 5> kRoles = {"admin", "operator", "reviewer",
                                                              "finance", "auditor"};
  for (auto r : kRoles) {
    if (r == role) return true;
  }
  return false;
}

absl::Status ValidateNewStaff(const Staff& s) {
  if (s.username.size() < 3 || s.username.size() > 64) {
    return InvalidField("username", "must be 3 to 64 characters");
  }
  if (s.username[0] < 'a' || s.username[0] > 'z') {
    return InvalidField("username", "must start with a lowercase letter");
  }
  for (char c : s.username) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidField("username", "may contain only a-z, 0-9, '.', '_' and '-'");
  }
  if (auto bad =
          common::ValidateText(s.display_name, "display_name", common::TextRule{.max_chars = 128});
      !bad.ok()) {
    return bad;
  }
  if (!IsStaffRole(s.role)) {
    return InvalidField("role", "must be one of admin, operator, reviewer, finance, auditor");
  }
  return absl::OkStatus();
}

absl::Status CheckTokenUsable(const StaffToken& token, const Staff& staff, absl::Time now) {
  if (token.revoked_at.has_value()) return absl::UnauthenticatedError("token revoked");
  if (now >= token.expires_at) return absl::UnauthenticatedError("token expired");
  if (staff.status != StaffStatus::kActive) {
    return absl::UnauthenticatedError("staff account disabled");
  }
  return absl::OkStatus();
}

absl::Status CheckSessionUsable(const StaffSession& session, const Staff& staff,
                                const SessionPolicy& policy, absl::Time now) {
  if (session.ended_at.has_value()) return absl::UnauthenticatedError("session ended");
  if (now >= session.expires_at) return absl::UnauthenticatedError("session expired");
  if (now - session.last_seen_at > policy.idle_timeout) {
    return absl::UnauthenticatedError("session timed out");
  }
  if (staff.status != StaffStatus::kActive) {
    return absl::UnauthenticatedError("staff account disabled");
  }
  return absl::OkStatus();
}

absl::Status ValidateNewPassword(absl::string_view password) {
  if (password.size() < 12) return InvalidField("password", "must be at least 12 characters");
  if (password.size() > 128) return InvalidField("password", "must be at most 128 bytes");
  return absl::OkStatus();
}

absl::Status ValidateTokenTtl(absl::Duration ttl) {
  if (ttl < absl::Minutes(1) || ttl > absl::Hours(24 * 366)) {
    return InvalidField("ttl_seconds", "must be between 60 seconds and one year");
  }
  return absl::OkStatus();
}

absl::string_view StaffStatusName(StaffStatus status) {
  return status == StaffStatus::kActive ? "ACTIVE" : "DISABLED";
}

std::optional<StaffStatus> ParseStaffStatus(absl::string_view name) {
  if (name == "ACTIVE") return StaffStatus::kActive;
  if (name == "DISABLED") return StaffStatus::kDisabled;
  return std::nullopt;
}

}  // namespace aggpay::admin
