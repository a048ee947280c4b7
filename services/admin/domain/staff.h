#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::admin {

enum class StaffStatus { kActive, kDisabled };

struct Staff {
  std::string staff_id;
  std::string username;
  std::string display_name;
  std::string role;
  StaffStatus status = StaffStatus::kActive;
  absl::Time created_at;
};

// A bearer token as stored: only its hash.
struct StaffToken {
  std::string token_id;
  std::string token_hash;
  std::string staff_id;
  absl::Time created_at;
  absl::Time expires_at;
  std::optional<absl::Time> revoked_at;
};

// The five staff roles of DESIGN.md.
bool IsStaffRole(absl::string_view role);

// INVALID_ARGUMENT naming the field: username is 3-64 of [a-z0-9._-] starting with a letter;
// display name at most 128 bytes; role one of the five.
absl::Status ValidateNewStaff(const Staff& staff);

// Whether a token may be used at `now`: UNAUTHENTICATED (with a message safe for the caller)
// when it is revoked, expired, or its account is disabled.
absl::Status CheckTokenUsable(const StaffToken& token, const Staff& staff, absl::Time now);

// Token lifetimes: 1 minute to 1 year.
absl::Status ValidateTokenTtl(absl::Duration ttl);

absl::string_view StaffStatusName(StaffStatus status);
std::optional<StaffStatus> ParseStaffStatus(absl::string_view name);

}  // namespace aggpay::admin
