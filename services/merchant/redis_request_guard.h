#pragma once

#include "services/common/metrics/metrics.h"
#include "services/common/redis/redis_client.h"
#include "services/merchant/request_guard.h"

namespace aggpay::merchant {

struct RequestGuardOptions {
  absl::Duration nonce_ttl = absl::Minutes(10);  // > twice the timestamp window
  int64_t rate_per_second = 20;
  int64_t burst = 40;
  // When Redis is down, for reads (GET, HEAD): true lets them through (a replayed read shows
  // the caller what it already saw); false refuses them with UNAVAILABLE.
  bool fail_open = true;
  // The same for every other method. Closed by default: a replayed change (a settlement
  // account redirected, a refund sent again) must never pass while nonces cannot be checked.
  bool fail_open_mutating = false;
};

// Nonces as SET NX keys with a TTL, and a token bucket per key in one Lua script, so a check is
// one round trip and exact across every instance. Redis keeps nonces in memory only: when it
// restarts empty, `aggpay:nonce-since` (set on the first check after) refuses every request
// signed before that moment, so a request accepted before the restart cannot be replayed after
// it within the timestamp window.
class RedisRequestGuard final : public RequestGuard {
 public:
  RedisRequestGuard(common::RedisClient& redis, common::Metrics& metrics,
                    RequestGuardOptions options)
      : redis_(redis), metrics_(metrics), options_(options) {}
  absl::Status ConsumeNonce(const std::string& key_id, const std::string& nonce, int64_t signed_at,
                            bool mutating) override;
  absl::StatusOr<absl::Duration> TakeToken(const std::string& key_id, bool mutating) override;
  // The nonce and the token in one script: one round trip per signed request.
  absl::StatusOr<absl::Duration> Admit(const std::string& key_id, const std::string& nonce,
                                       int64_t signed_at, bool mutating) override;

 private:
  absl::Status Degraded(const absl::Status& error, const char* what, bool mutating);
  absl::Status NonceRefusal(int64_t answer);
  common::RedisClient& redis_;
  common::Metrics& metrics_;
  RequestGuardOptions options_;
};

}  // namespace aggpay::merchant
