#include "services/common/status/field_errors.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

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

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadKey);
  return payload ? std::string(*payload) : std::string();
}

}  // namespace aggpay::common
