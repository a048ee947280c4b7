#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace aggpay::common {

// One-time passwords sent by SMS (code resets, settlement account changes).
inline constexpr size_t kOtpDigits = 6;

// kOtpDigits uniformly random decimal digits (cryptographic randomness, no modulo bias).
std::string NewOtp();
// Exactly kOtpDigits ASCII digits.
bool IsWellFormedOtp(absl::string_view otp);
// What is stored instead of the password: HMAC-SHA256 under `key` of "<context>:<otp>", so a
// database dump does not give the passwords away and one context's hash fits no other.
std::string HashOtp(absl::string_view key, absl::string_view context, absl::string_view otp);

}  // namespace aggpay::common
