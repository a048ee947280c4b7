#include "services/payment/domain/notification.h"

#include <array>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::payment {
namespace {

// WeChat Pay's result-notification schedule, one entry per failed attempt.
constexpr std::array<absl::Duration, kMaxNotificationAttempts - 1> kRetryDelays = {
    absl::Seconds(15), absl::Seconds(15), absl::Seconds(30), absl::Minutes(3),  absl::Minutes(10),
    absl::Minutes(20), absl::Minutes(30), absl::Minutes(30), absl::Minutes(30), absl::Minutes(60),
    absl::Hours(3),    absl::Hours(3),    absl::Hours(3),    absl::Hours(6),    absl::Hours(6)};

}  // namespace

std::optional<absl::Duration> RetryDelayAfter(int failed_attempts) {
  if (failed_attempts < 1 || static_cast<size_t>(failed_attempts) > kRetryDelays.size()) {
    return std::nullopt;
  }
  return kRetryDelays[static_cast<size_t>(failed_attempts) - 1];
}

std::string NotificationCanonical(absl::string_view timestamp, absl::string_view nonce,
                                  absl::string_view body) {
  return absl::StrCat(timestamp, "\n", nonce, "\n", body, "\n");
}

std::string SignNotification(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view nonce, absl::string_view body) {
  return common::HmacSha256Hex(secret, NotificationCanonical(timestamp, nonce, body));
}

}  // namespace aggpay::payment
