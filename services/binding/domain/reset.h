#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/common/crypto/otp.h"

namespace aggpay::binding {

// Why a code is reset (DOMAIN.md, "Collection codes").
enum class ResetReason : uint8_t {
  kDeviceLost,     // security
  kAccountBanned,  // security
  kUnusualLogin,   // security: a login from an unusual place
  kDamaged,        // the sticker is damaged or unreadable
  kChannelChange,  // new channel sub-merchant id, or the merchant re-onboards
  kRiskControl,    // security: forced by risk control
};
inline constexpr std::array<ResetReason, 6> kAllResetReasons = {
    ResetReason::kDeviceLost, ResetReason::kAccountBanned, ResetReason::kUnusualLogin,
    ResetReason::kDamaged,    ResetReason::kChannelChange, ResetReason::kRiskControl};

// "DEVICE_LOST", "ACCOUNT_BANNED", "UNUSUAL_LOGIN", "DAMAGED", "CHANNEL_CHANGE", "RISK_CONTROL":
// the names stored and sent in the API.
absl::string_view ResetReasonName(ResetReason reason);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<ResetReason> ParseResetReason(absl::string_view name,
                                             absl::string_view field = "reason");

// Whether the old code may have fallen into the wrong hands: lost device, banned account,
// unusual login, risk control.
bool IsSecurityReason(ResetReason reason);

// IMMEDIATE: the old code is REVOKED and stops resolving before the reset returns, caches
// included. GRACEFUL: the old code goes to GRACE and keeps paying the same merchant until a
// deadline, so that trade does not stop while a damaged sticker is swapped.
enum class ResetMode : uint8_t { kImmediate, kGraceful };
inline constexpr std::array<ResetMode, 2> kAllResetModes = {ResetMode::kImmediate,
                                                            ResetMode::kGraceful};

// "IMMEDIATE", "GRACEFUL".
absl::string_view ResetModeName(ResetMode mode);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<ResetMode> ParseResetMode(absl::string_view name, absl::string_view field = "mode");

// A security reason must be IMMEDIATE: FAILED_PRECONDITION naming "mode", "a code reset for
// DEVICE_LOST must be IMMEDIATE: the old code must stop at once". DAMAGED and CHANNEL_CHANGE
// take either mode.
absl::Status CheckModeForReason(ResetReason reason, ResetMode mode);

// GRACEFUL resets: how long the old code keeps paying. 1 minute to 7 days inclusive, else
// INVALID_ARGUMENT naming "grace_seconds".
inline constexpr absl::Duration kDefaultGracePeriod = absl::Hours(24);
inline constexpr absl::Duration kMinGracePeriod = absl::Minutes(1);
inline constexpr absl::Duration kMaxGracePeriod = absl::Hours(24 * 7);
absl::Status ValidateGracePeriod(absl::Duration grace);

// Dynamic codes: how long one lives. 30 seconds to 30 minutes inclusive, else INVALID_ARGUMENT
// naming "ttl_seconds".
inline constexpr absl::Duration kDefaultDynamicCodeLifetime = absl::Minutes(2);
inline constexpr absl::Duration kMinDynamicCodeLifetime = absl::Seconds(30);
inline constexpr absl::Duration kMaxDynamicCodeLifetime = absl::Minutes(30);
absl::Status ValidateDynamicLifetime(absl::Duration lifetime);

// A merchant's self-service reset request:
//   PENDING_OTP    -> COMPLETED (right password) | LOCKED (kMaxOtpAttempts wrong)
//                     | EXPIRED (tried at or after otp_expires_at)
//   PENDING_REVIEW -> COMPLETED (staff approve) | REJECTED (staff reject)
// COMPLETED, LOCKED, EXPIRED and REJECTED are final: the merchant makes a new request (a locked
// one goes to staff review).
enum class RequestStatus : uint8_t {
  kPendingOtp,
  kPendingReview,
  kCompleted,
  kLocked,
  kExpired,
  kRejected,
};
inline constexpr std::array<RequestStatus, 6> kAllRequestStatuses = {
    RequestStatus::kPendingOtp, RequestStatus::kPendingReview, RequestStatus::kCompleted,
    RequestStatus::kLocked,     RequestStatus::kExpired,       RequestStatus::kRejected};

// "PENDING_OTP", "PENDING_REVIEW", "COMPLETED", "LOCKED", "EXPIRED", "REJECTED".
absl::string_view RequestStatusName(RequestStatus status);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<RequestStatus> ParseRequestStatus(absl::string_view name,
                                                 absl::string_view field = "status");

// A merchant who cannot pass strong verification (e.g. the account is frozen) asks for staff
// review instead: PENDING_REVIEW, and no password is sent. Otherwise PENDING_OTP.
RequestStatus InitialRequestStatus(bool staff_review);

struct ResetRequest {
  std::string request_id;
  std::string merchant_id;
  std::string code_id;
  ResetReason reason = ResetReason::kDeviceLost;
  ResetMode mode = ResetMode::kImmediate;
  RequestStatus status = RequestStatus::kPendingOtp;
  std::string otp_hash;  // HashOtp(key, request_id, otp); the password itself is never stored
  absl::Time otp_expires_at;
  int attempts = 0;  // wrong passwords so far
  absl::Time created_at;
};

inline constexpr absl::Duration kOtpLifetime = absl::Minutes(5);
inline constexpr int kMaxOtpAttempts = 5;
inline constexpr size_t kOtpDigits = common::kOtpDigits;

// 6 decimal digits, each of the 10^6 values equally likely (leading zeros included).
std::string NewOtp();
// Lowercase hex HMAC-SHA256 of `otp` keyed by `request_id`: a leaked hash of one request says
// nothing about another's password, and the same password hashes differently per request.
// HMAC-SHA256 under a server secret `key` (never the public request id alone) of the request id
// and the password: a copy of the table without the key cannot be ground down offline.
std::string HashOtp(absl::string_view key, absl::string_view request_id, absl::string_view otp);

struct OtpCheck {
  RequestStatus new_status;
  int attempts;
  bool accepted;
};

// One verification attempt on `r` at `now`. Every OK result must be persisted (status and
// attempts, in the same transaction that read `r`, under a row lock so that parallel guesses
// cannot share an attempt) and then answered as follows:
//
//   request not PENDING_OTP          error FAILED_PRECONDITION naming "request_id",
//                                    "the request is LOCKED"; persist nothing
//   now >= otp_expires_at            {EXPIRED, attempts, false}: persist, answer
//                                    FAILED_PRECONDITION "one-time password expired"
//   wrong or malformed (not 6        {PENDING_OTP, attempts + 1, false}: persist, answer
//   digits), attempts left           INVALID_ARGUMENT naming "otp" with the attempts left
//   wrong, the kMaxOtpAttempts-th    {LOCKED, kMaxOtpAttempts, false}: persist, answer
//                                    FAILED_PRECONDITION "too many wrong codes: the request is
//                                    locked; ask for staff review"
//   right                            {COMPLETED, attempts, true}: persist, then do the reset
//
// A PENDING_OTP request that already has kMaxOtpAttempts wrong attempts (a record written by
// something else) is locked without looking at the password: {LOCKED, attempts, false}.
//
// OtpCheckStatus(check) gives exactly those answers. The hashes are compared in constant time.
absl::StatusOr<OtpCheck> CheckOtp(const ResetRequest& r, absl::string_view otp,
                                  absl::string_view key, absl::Time now);

// The answer for a persisted OtpCheck: OK when accepted, else the status described above
// (field "otp" for each of them).
absl::Status OtpCheckStatus(const OtpCheck& check);

// Staff review: PENDING_REVIEW -> COMPLETED (approve) or REJECTED. Anything else is
// FAILED_PRECONDITION naming "request_id", "the request is COMPLETED, not PENDING_REVIEW".
absl::StatusOr<RequestStatus> Decide(RequestStatus current, bool approve);

}  // namespace aggpay::binding
