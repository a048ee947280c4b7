#include "services/common/status/field_errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/text/text_field.h"

namespace aggpay::common {
namespace {

absl::Status WithField(absl::StatusCode code, absl::string_view field, absl::string_view message) {
  absl::Status status(code, absl::StrCat(field, ": ", message));
  status.SetPayload(kFieldPayloadKey, absl::Cord(field));
  return status;
}

}  // namespace

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return WithField(absl::StatusCode::kInvalidArgument, field, message);
}

absl::Status FailedPreconditionField(absl::string_view field, absl::string_view message) {
  return WithField(absl::StatusCode::kFailedPrecondition, field, message);
}

absl::Status AlreadyExistsField(absl::string_view field, absl::string_view message) {
  return WithField(absl::StatusCode::kAlreadyExists, field, message);
}

absl::Status NotFoundField(absl::string_view field, absl::string_view message) {
  return WithField(absl::StatusCode::kNotFound, field, message);
}

absl::Status PermissionDeniedField(absl::string_view field, absl::string_view message) {
  return WithField(absl::StatusCode::kPermissionDenied, field, message);
}

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadKey);
  return payload ? std::string(*payload) : std::string();
}

absl::Status ResourceExhaustedRetryAfter(absl::string_view message, absl::Duration wait) {
  absl::Status status(absl::StatusCode::kResourceExhausted, message);
  status.SetPayload(kRetryAfterPayloadKey,
                    absl::Cord(std::to_string(absl::ToInt64Milliseconds(wait))));
  return status;
}

absl::Duration ErrorRetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterPayloadKey);
  int64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms)) return absl::ZeroDuration();
  return absl::Milliseconds(ms);
}

absl::Status ValidateFreeText(absl::string_view text, absl::string_view field, size_t max_chars) {
  return ValidateText(text, field, TextRule{.max_chars = max_chars});
}

}  // namespace aggpay::common
