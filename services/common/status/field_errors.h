#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace aggpay::common {

// Field-level errors carry the offending field in a payload so that the gRPC mapping can put
// it into the error details and the gateway can show it to the merchant.
inline constexpr absl::string_view kFieldPayloadKey = "aggpay.field";

absl::Status InvalidField(absl::string_view field, absl::string_view message);
absl::Status FailedPreconditionField(absl::string_view field, absl::string_view message);

// The field named by a status, or empty.
std::string ErrorField(const absl::Status& status);

}  // namespace aggpay::common
