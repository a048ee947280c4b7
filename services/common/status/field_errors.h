#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::common {

// Field-level errors carry the offending field in a payload so that the gRPC mapping can put
// it into the error details and the gateway can show it to the merchant.
inline constexpr absl::string_view kFieldPayloadKey = "aggpay.field";

absl::Status InvalidField(absl::string_view field, absl::string_view message);
absl::Status FailedPreconditionField(absl::string_view field, absl::string_view message);
absl::Status PermissionDeniedField(absl::string_view field, absl::string_view message);
absl::Status AlreadyExistsField(absl::string_view field, absl::string_view message);
absl::Status NotFoundField(absl::string_view field, absl::string_view message);

// Optional free text from a caller (a reason, a note): common::ValidateText
// (services/common/text/text_field.h) with no other rule than `max_chars` characters.
inline constexpr size_t kMaxReasonChars = 200;
absl::Status ValidateFreeText(absl::string_view text, absl::string_view field, size_t max_chars);

// The field named by a status, or empty.
std::string ErrorField(const absl::Status& status);

// RESOURCE_EXHAUSTED telling the caller how long to wait (sent as google.rpc.RetryInfo).
inline constexpr absl::string_view kRetryAfterPayloadKey = "aggpay.retry_after_ms";
absl::Status ResourceExhaustedRetryAfter(absl::string_view message, absl::Duration wait);
// The wait carried by a status, or zero.
absl::Duration ErrorRetryAfter(const absl::Status& status);

}  // namespace aggpay::common
