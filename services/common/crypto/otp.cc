#include "services/common/crypto/otp.h"

#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::common {
namespace {

// Four cryptographically random bytes as an integer.
uint32_t RandomUint32() {
  absl::StatusOr<std::string> bytes = Base64UrlDecode(RandomToken(4));
  // Decoding what RandomToken just encoded cannot fail; if it did, no password would be safe.
  if (!bytes.ok() || bytes->size() != 4) std::abort();
  uint32_t value = 0;
  for (char c : *bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

}  // namespace

std::string NewOtp() {
  constexpr uint64_t kRange = 1000000;
  static_assert(kOtpDigits == 6, "kRange is 10^kOtpDigits");
  // The largest multiple of kRange that fits in 32 bits: values at or above it would make the
  // low values more likely, so they are drawn again (about 1 draw in 4300).
  constexpr uint64_t kLimit = (uint64_t{1} << 32) / kRange * kRange;
  uint32_t value = RandomUint32();
  while (value >= kLimit) value = RandomUint32();
  std::string otp = std::to_string(value % kRange);
  return std::string(kOtpDigits - otp.size(), '0') + otp;
}

bool IsWellFormedOtp(absl::string_view otp) {
  if (otp.size() != kOtpDigits) return false;
  for (char c : otp) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string HashOtp(absl::string_view key, absl::string_view context, absl::string_view otp) {
  return HmacSha256Hex(key, absl::StrCat(context, ":", otp));
}

}  // namespace aggpay::common
