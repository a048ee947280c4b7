#include "services/binding/domain/reset.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/crypto/otp.h"
#include "services/common/status/field_errors.h"

namespace aggpay::binding {
namespace {

absl::Status OutOfRange(absl::string_view field, absl::Duration min, absl::Duration max) {
  return common::InvalidField(field, absl::StrCat("must be from ", absl::ToInt64Seconds(min),
                                                  " to ", absl::ToInt64Seconds(max), " seconds"));
}

using common::IsWellFormedOtp;

}  // namespace

absl::string_view ResetReasonName(ResetReason reason) {
  switch (reason) {
    case ResetReason::kDeviceLost:
      return "DEVICE_LOST";
    case ResetReason::kAccountBanned:
      return "ACCOUNT_BANNED";
    case ResetReason::kUnusualLogin:
      return "UNUSUAL_LOGIN";
    case ResetReason::kDamaged:
      return "DAMAGED";
    case ResetReason::kChannelChange:
      return "CHANNEL_CHANGE";
    case ResetReason::kRiskControl:
      return "RISK_CONTROL";
  }
  return "UNKNOWN";
}

absl::StatusOr<ResetReason> ParseResetReason(absl::string_view name, absl::string_view field) {
  for (ResetReason reason : kAllResetReasons) {
    if (ResetReasonName(reason) == name) return reason;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown reset reason \"", name,
                          "\" (want DEVICE_LOST, ACCOUNT_BANNED, UNUSUAL_LOGIN, DAMAGED, "
                          "CHANNEL_CHANGE or RISK_CONTROL)"));
}

bool IsSecurityReason(ResetReason reason) {
  switch (reason) {
    case ResetReason::kDeviceLost:
    case ResetReason::kAccountBanned:
    case ResetReason::kUnusualLogin:
    case ResetReason::kRiskControl:
      return true;
    case ResetReason::kDamaged:
    case ResetReason::kChannelChange:
      return false;
  }
  return true;
}

absl::string_view ResetModeName(ResetMode mode) {
  switch (mode) {
    case ResetMode::kImmediate:
      return "IMMEDIATE";
    case ResetMode::kGraceful:
      return "GRACEFUL";
  }
  return "UNKNOWN";
}

absl::StatusOr<ResetMode> ParseResetMode(absl::string_view name, absl::string_view field) {
  for (ResetMode mode : kAllResetModes) {
    if (ResetModeName(mode) == name) return mode;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown reset mode \"", name, "\" (want IMMEDIATE or GRACEFUL)"));
}

absl::Status CheckModeForReason(ResetReason reason, ResetMode mode) {
  if (mode == ResetMode::kImmediate || !IsSecurityReason(reason)) return absl::OkStatus();
  return common::FailedPreconditionField(
      "mode", absl::StrCat("a code reset for ", ResetReasonName(reason),
                           " must be IMMEDIATE: the old code must stop at once"));
}

absl::Status ValidateGracePeriod(absl::Duration grace) {
  if (grace < kMinGracePeriod || grace > kMaxGracePeriod) {
    return OutOfRange("grace_seconds", kMinGracePeriod, kMaxGracePeriod);
  }
  return absl::OkStatus();
}

absl::Status ValidateDynamicLifetime(absl::Duration lifetime) {
  if (lifetime < kMinDynamicCodeLifetime || lifetime > kMaxDynamicCodeLifetime) {
    return OutOfRange("ttl_seconds", kMinDynamicCodeLifetime, kMaxDynamicCodeLifetime);
  }
  return absl::OkStatus();
}

absl::string_view RequestStatusName(RequestStatus status) {
  switch (status) {
    case RequestStatus::kPendingOtp:
      return "PENDING_OTP";
    case RequestStatus::kPendingReview:
      return "PENDING_REVIEW";
    case RequestStatus::kCompleted:
      return "COMPLETED";
    case RequestStatus::kLocked:
      return "LOCKED";
    case RequestStatus::kExpired:
      return "EXPIRED";
    case RequestStatus::kRejected:
      return "REJECTED";
  }
  return "UNKNOWN";
}

absl::StatusOr<RequestStatus> ParseRequestStatus(absl::string_view name, absl::string_view field) {
  for (RequestStatus status : kAllRequestStatuses) {
    if (RequestStatusName(status) == name) return status;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown request status \"", name,
                          "\" (want PENDING_OTP, PENDING_REVIEW, COMPLETED, LOCKED, EXPIRED or "
                          "REJECTED)"));
}

RequestStatus InitialRequestStatus(bool staff_review) {
  return staff_review ? RequestStatus::kPendingReview : RequestStatus::kPendingOtp;
}

std::string NewOtp() { return common::NewOtp(); }

std::string HashOtp(absl::string_view key, absl::string_view request_id, absl::string_view otp) {
  return common::HashOtp(key, request_id, otp);
}

absl::StatusOr<OtpCheck> CheckOtp(const ResetRequest& r, absl::string_view otp,
                                  absl::string_view key, absl::Time now) {
  if (r.status != RequestStatus::kPendingOtp) {
    return common::FailedPreconditionField(
        "request_id", absl::StrCat("the request is ", RequestStatusName(r.status)));
  }
  if (now >= r.otp_expires_at) return OtpCheck{RequestStatus::kExpired, r.attempts, false};
  if (r.attempts >= kMaxOtpAttempts) return OtpCheck{RequestStatus::kLocked, r.attempts, false};
  if (IsWellFormedOtp(otp) &&
      common::ConstantTimeEquals(HashOtp(key, r.request_id, otp), r.otp_hash)) {
    return OtpCheck{RequestStatus::kCompleted, r.attempts, true};
  }
  const int attempts = r.attempts + 1;
  return OtpCheck{attempts >= kMaxOtpAttempts ? RequestStatus::kLocked : RequestStatus::kPendingOtp,
                  attempts, false};
}

absl::Status OtpCheckStatus(const OtpCheck& check) {
  if (check.accepted) return absl::OkStatus();
  switch (check.new_status) {
    case RequestStatus::kExpired:
      return common::FailedPreconditionField("otp", "one-time password expired; request a new one");
    case RequestStatus::kLocked:
      return common::FailedPreconditionField(
          "otp", "too many wrong codes: the request is locked; ask for staff review");
    default: {
      const int left = kMaxOtpAttempts - check.attempts;
      return common::InvalidField("otp",
                                  absl::StrCat("wrong one-time password; ", left,
                                               left == 1 ? " attempt left" : " attempts left"));
    }
  }
}

absl::StatusOr<RequestStatus> Decide(RequestStatus current, bool approve) {
  if (current != RequestStatus::kPendingReview) {
    return common::FailedPreconditionField(
        "request_id",
        absl::StrCat("the request is ", RequestStatusName(current), ", not PENDING_REVIEW"));
  }
  return approve ? RequestStatus::kCompleted : RequestStatus::kRejected;
}

}  // namespace aggpay::binding
