#pragma once

#include <cstdint>
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

// What the console's sign-in needs of an account, as stored. A hash or secret is empty when the
// account has none yet (it was created for tokens only): such an account cannot sign in.
struct StaffCredentials {
  Staff staff;
  std::string password_hash;       // libsodium crypto_pwhash_str (Argon2id)
  std::string totp_secret_sealed;  // common::SecretBox over the raw 20-byte secret
  int64_t totp_last_step = 0;      // the last time step accepted; older or equal ones are refused
  int failed_sign_ins = 0;
  std::optional<absl::Time> locked_until;
};

// A console session as stored: only its hash.
struct StaffSession {
  std::string session_id;
  std::string session_hash;
  std::string staff_id;
  absl::Time created_at;
  absl::Time last_seen_at;
  absl::Time expires_at;
  std::optional<absl::Time> ended_at;
};

// How console sessions behave: the idle timeout, the absolute lifetime, and how sign-in failures
// lock an account.
struct SessionPolicy {
  absl::Duration idle_timeout = absl::Minutes(15);
  absl::Duration max_lifetime = absl::Hours(12);
  int lock_after_failures = 5;
  absl::Duration lock_for = absl::Minutes(15);
};

// Whether a session may be used at `now`: UNAUTHENTICATED when it was ended, has been idle
// longer than the policy allows, is past its lifetime, or its account is disabled.
absl::Status CheckSessionUsable(const StaffSession& session, const Staff& staff,
                                const SessionPolicy& policy, absl::Time now);

// INVALID_ARGUMENT naming `password`: 12 to 128 bytes.
absl::Status ValidateNewPassword(absl::string_view password);

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
