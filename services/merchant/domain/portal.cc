#include "services/merchant/domain/portal.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"

namespace aggpay::merchant {

std::optional<PortalRole> ParsePortalRole(absl::string_view name) {
  if (name == "owner") return PortalRole::kOwner;
  if (name == "cashier") return PortalRole::kCashier;
  if (name == "viewer") return PortalRole::kViewer;
  return std::nullopt;
}

absl::string_view PortalRoleName(PortalRole role) {
  switch (role) {
    case PortalRole::kOwner:
      return "owner";
    case PortalRole::kCashier:
      return "cashier";
    case PortalRole::kViewer:
      return "viewer";
  }
  return "viewer";
}

namespace {

bool Locked(const SignInCodeState& s, absl::Time now) {
  return s.locked_until.has_value() && now < *s.locked_until;
}

absl::Status LockedError(const SignInCodeState& s, absl::Time now) {
  const int64_t minutes = (absl::ToInt64Seconds(*s.locked_until - now) + 59) / 60;
  return common::FailedPreconditionField(
      "mobile",
      absl::StrCat("locked after too many wrong codes: try again in ", minutes, " minutes"));
}

}  // namespace

SignInDecision DecideSend(const std::optional<SignInCodeState>& current, absl::Time now,
                          const SignInLimits& limits, std::string otp_hash) {
  SignInCodeState next;
  if (current) {
    next = *current;
    if (Locked(next, now)) return {std::nullopt, LockedError(next, now)};
    if (now - next.sent_at < limits.resend_interval) {
      return {std::nullopt,
              common::ResourceExhaustedRetryAfter("mobile: a code was sent less than a minute ago",
                                                  limits.resend_interval - (now - next.sent_at))};
    }
    if (now - next.window_started >= limits.send_window) {
      next.window_started = now;
      next.sends_in_window = 0;
    }
    if (next.sends_in_window >= limits.sends_per_window) {
      return {std::nullopt,
              common::ResourceExhaustedRetryAfter(
                  absl::StrCat("mobile: at most ", limits.sends_per_window, " codes an hour"),
                  limits.send_window - (now - next.window_started))};
    }
  } else {
    next.window_started = now;
  }
  if (next.locked_until && !Locked(next, now)) {
    next.locked_until.reset();
    next.failures = 0;
  }
  next.otp_hash = std::move(otp_hash);
  next.sent_at = now;
  next.expires_at = now + limits.code_lifetime;
  next.sends_in_window += 1;
  return {next, absl::OkStatus()};
}

SignInDecision DecideVerify(const std::optional<SignInCodeState>& current, absl::Time now,
                            const SignInLimits& limits, absl::string_view otp_hash) {
  const absl::Status wrong = absl::UnauthenticatedError("wrong mobile or code");
  if (!current) return {std::nullopt, wrong};
  SignInCodeState next = *current;
  if (Locked(next, now)) return {std::nullopt, LockedError(next, now)};
  if (!next.otp_hash.empty() && now < next.expires_at &&
      common::ConstantTimeEquals(next.otp_hash, otp_hash)) {
    next.otp_hash.clear();
    next.failures = 0;
    next.locked_until.reset();
    return {next, absl::OkStatus()};
  }
  next.failures += 1;
  if (next.failures >= limits.failures_before_lock) {
    next.locked_until = now + limits.lock;
    next.otp_hash.clear();
    return {next, LockedError(next, now)};
  }
  return {next, wrong};
}

bool SessionAlive(absl::Time last_seen_at, absl::Time expires_at,
                  std::optional<absl::Time> ended_at, absl::Time now, const SessionLimits& limits) {
  return !ended_at.has_value() && now < expires_at && now - last_seen_at < limits.idle_timeout;
}

}  // namespace aggpay::merchant
