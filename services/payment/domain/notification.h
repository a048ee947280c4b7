#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::payment {

// WeChat's notification schedule: after a failed delivery number `attempt` (1-based), wait
//   15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h
// then give up (nullopt after the 15th failure, 24h 4m in all; nullopt too for a count below 1).
inline constexpr int kMaxNotificationAttempts = 16;  // the first try plus 15 retries
std::optional<absl::Duration> RetryDelayAfter(int failed_attempts);

// Merchant notifications are signed like WeChat Pay v3 callbacks, with HMAC-SHA256 in place of
// RSA: the canonical string is
//   TIMESTAMP "\n" NONCE "\n" BODY "\n"
// and the headers are
//   Aggpay-Timestamp: <unix seconds>   Aggpay-Nonce: <random>   Aggpay-Signature: <hex HMAC>
// computed with the merchant's webhook secret.
std::string NotificationCanonical(absl::string_view timestamp, absl::string_view nonce,
                                  absl::string_view body);
std::string SignNotification(absl::string_view secret, absl::string_view timestamp,
                             absl::string_view nonce, absl::string_view body);

// A 2xx status is delivered; anything else (and no answer) is a failed attempt.
inline bool Delivered(int http_status) { return http_status >= 200 && http_status < 300; }

}  // namespace aggpay::payment
