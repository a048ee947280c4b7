#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::merchant {

// The merchant portal's rules (docs/portal.md): roles, the sign-in code's limits and lock, and
// when a session is alive. Pure: the caller brings the stored state and the time.

// owner: everything, settlement account and users included; cashier: payments and refunds;
// viewer: reads. The gateway applies them per route; the services see the merchant.
enum class PortalRole { kOwner, kCashier, kViewer };

std::optional<PortalRole> ParsePortalRole(absl::string_view name);
absl::string_view PortalRoleName(PortalRole role);

struct SignInLimits {
  absl::Duration code_lifetime = absl::Minutes(5);
  absl::Duration resend_interval = absl::Minutes(1);
  absl::Duration send_window = absl::Hours(1);
  int sends_per_window = 5;
  // Wrong codes in a row that lock the number, and for how long.
  int failures_before_lock = 5;
  absl::Duration lock = absl::Minutes(15);
};

// One mobile number's sign-in state, as stored.
struct SignInCodeState {
  // The pending code's HMAC, or empty: none (used, or the number belongs to no user).
  std::string otp_hash;
  absl::Time expires_at;
  absl::Time sent_at;
  absl::Time window_started;
  int sends_in_window = 0;
  int failures = 0;
  std::optional<absl::Time> locked_until;
};

// What to store (nothing when unset) and what to answer.
struct SignInDecision {
  std::optional<SignInCodeState> store;
  absl::Status answer;
};

// A new code is sent: refused while locked (FAILED_PRECONDITION naming "mobile"), within the
// resend interval or past the window's sends (RESOURCE_EXHAUSTED with the wait). `otp_hash` is
// the new code's, or empty for a number that belongs to no user (counted all the same).
SignInDecision DecideSend(const std::optional<SignInCodeState>& current, absl::Time now,
                          const SignInLimits& limits, std::string otp_hash);

// A code is checked: right spends it and clears the failures; wrong, missing or expired counts a
// failure, and the last allowed one locks the number. Every refusal is the same
// UNAUTHENTICATED, so it tells nothing about the number.
SignInDecision DecideVerify(const std::optional<SignInCodeState>& current, absl::Time now,
                            const SignInLimits& limits, absl::string_view otp_hash);

struct SessionLimits {
  absl::Duration idle_timeout = absl::Minutes(15);
  absl::Duration lifetime = absl::Hours(8);
  // last_seen_at is written at most this often per session.
  absl::Duration touch_interval = absl::Seconds(5);
};

bool SessionAlive(absl::Time last_seen_at, absl::Time expires_at,
                  std::optional<absl::Time> ended_at, absl::Time now, const SessionLimits& limits);

}  // namespace aggpay::merchant
