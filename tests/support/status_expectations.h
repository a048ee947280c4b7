#pragma once

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "services/common/status/field_errors.h"

namespace aggpay::testing {

// `status` has `code` and names `field` (the google.rpc.BadRequest field a client sees).
inline void ExpectFieldError(const absl::Status& status, absl::StatusCode code,
                             const std::string& field) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_EQ(common::ErrorField(status), field) << status;
}

inline void ExpectInvalid(const absl::Status& status, const std::string& field) {
  ExpectFieldError(status, absl::StatusCode::kInvalidArgument, field);
}

inline ::testing::AssertionResult MessageHas(const absl::Status& status, absl::string_view text) {
  if (absl::StrContains(status.message(), text)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << status.message() << "\" lacks \"" << text << "\"";
}

}  // namespace aggpay::testing
