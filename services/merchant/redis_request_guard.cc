#include "services/merchant/redis_request_guard.h"

#include "absl/strings/str_cat.h"
#include "services/common/log/logging.h"

namespace aggpay::merchant {
namespace {

// The token bucket's body, after a prologue that sets `bucket` (its key), `rate` and `burst`. Uses
// Redis' clock so every instance agrees. Returns 0 when a token was taken, else the milliseconds
// until one is available.
constexpr const char* kTokenBucketBody = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', bucket, 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', bucket, 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', bucket, math.ceil(burst * 1000 / rate) + 1000)
return wait
)lua";

// KEYS[1] bucket; ARGV: rate per second, burst.
constexpr const char* kTokenBucketPrologue = R"lua(
local bucket = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
)lua";

// KEYS[1] nonce, KEYS[2] bucket; ARGV: the nonce's TTL in milliseconds, rate per second, burst.
// Returns -1 when the nonce was already used (no token is taken), else as the bucket does.
constexpr const char* kNonceAndTokenPrologue = R"lua(
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return -1
end
local bucket = KEYS[2]
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
)lua";

// Each script is its prologue, then the bucket's body; built once.
struct Scripts {
  std::string token_bucket;
  std::string nonce_and_token;
};
const Scripts& TheScripts() {
  static const Scripts* scripts =
      new Scripts{absl::StrCat(kTokenBucketPrologue, kTokenBucketBody),
                  absl::StrCat(kNonceAndTokenPrologue, kTokenBucketBody)};
  return *scripts;
}

}  // namespace

absl::Status RedisRequestGuard::Degraded(const absl::Status& error, const char* what,
                                         bool mutating) {
  const bool open = mutating ? options_.fail_open_mutating : options_.fail_open;
  metrics_.Increment(absl::StrCat("redis_degraded_total{path=\"", what, "\",request=\"",
                                  mutating ? "mutating" : "read", "\"}"));
  spdlog::warn("merchant request guard: redis unavailable for {} ({}); failing {} for a {}", what,
               error.message(), open ? "open" : "closed", mutating ? "change" : "read");
  if (open) return absl::OkStatus();
  return absl::UnavailableError("request verification is temporarily unavailable");
}

absl::StatusOr<absl::Duration> RedisRequestGuard::Admit(const std::string& key_id,
                                                        const std::string& nonce, bool mutating) {
  auto reply =
      redis_.Eval(TheScripts().nonce_and_token,
                  {absl::StrCat("aggpay:nonce:", key_id, ":", nonce),
                   absl::StrCat("aggpay:ratelimit:", key_id)},
                  {std::to_string(absl::ToInt64Milliseconds(options_.nonce_ttl)),
                   std::to_string(options_.rate_per_second), std::to_string(options_.burst)});
  if (!reply.ok()) {
    // Neither was checked: counted for both, decided (and logged) once, as the nonce decides.
    metrics_.Increment(absl::StrCat("redis_degraded_total{path=\"rate_limit\",request=\"",
                                    mutating ? "mutating" : "read", "\"}"));
    absl::Status s = Degraded(reply.status(), "nonce", mutating);
    if (!s.ok()) return s;
    return absl::ZeroDuration();
  }
  if (reply->integer < 0) return absl::UnauthenticatedError("nonce already used");
  return absl::Milliseconds(reply->integer);
}

absl::Status RedisRequestGuard::ConsumeNonce(const std::string& key_id, const std::string& nonce,
                                             bool mutating) {
  auto fresh = redis_.SetIfAbsent(absl::StrCat("aggpay:nonce:", key_id, ":", nonce), "1",
                                  options_.nonce_ttl);
  if (!fresh.ok()) return Degraded(fresh.status(), "nonce", mutating);
  if (!*fresh) return absl::UnauthenticatedError("nonce already used");
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> RedisRequestGuard::TakeToken(const std::string& key_id,
                                                            bool mutating) {
  auto reply =
      redis_.Eval(TheScripts().token_bucket, {absl::StrCat("aggpay:ratelimit:", key_id)},
                  {std::to_string(options_.rate_per_second), std::to_string(options_.burst)});
  if (!reply.ok()) {
    absl::Status s = Degraded(reply.status(), "rate_limit", mutating);
    if (!s.ok()) return s;
    return absl::ZeroDuration();
  }
  return absl::Milliseconds(reply->integer);
}

}  // namespace aggpay::merchant
