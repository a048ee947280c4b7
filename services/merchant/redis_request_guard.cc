#include "services/merchant/redis_request_guard.h"

#include "absl/strings/str_cat.h"
#include "services/common/log/logging.h"
#include "services/common/status/status_macros.h"

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

// KEYS[1] the nonce, KEYS[2] when this Redis's memory of nonces began (Unix seconds, Redis's
// clock); ARGV[1] the nonce's TTL in ms, ARGV[2] when the request was signed (Unix seconds).
// Returns -1 for a used nonce, -2 for a request signed before the memory began, and falls through
// for a fresh one (recorded). The memory is taken to begin 2 s before the first check: the request
// that makes the first check, signed in the previous second or by a clock a second behind, still
// passes; a request accepted before the restart was signed before the outage that emptied Redis.
constexpr const char* kNonceCheck = R"lua(
local since = tonumber(redis.call('GET', KEYS[2]))
if since == nil then
  since = tonumber(redis.call('TIME')[1]) - 2
  redis.call('SET', KEYS[2], since)
end
if tonumber(ARGV[2]) < since then return -2 end
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return -1 end
)lua";
constexpr absl::string_view kNonceSinceKey = "aggpay:nonce-since";

// KEYS[1] bucket; ARGV: rate per second, burst.
constexpr const char* kTokenBucketPrologue = R"lua(
local bucket = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
)lua";

// After the nonce check: KEYS[3] bucket; ARGV[3] rate per second, ARGV[4] burst.
constexpr const char* kAfterNonceBucketPrologue = R"lua(
local bucket = KEYS[3]
local rate = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
)lua";

// Each script is built once from its parts.
struct Scripts {
  std::string token_bucket;
  std::string nonce;            // 0 for a fresh nonce
  std::string nonce_and_token;  // a fresh nonce takes a token: as the bucket returns
};
const Scripts& TheScripts() {
  static const Scripts* scripts = new Scripts{
      absl::StrCat(kTokenBucketPrologue, kTokenBucketBody), absl::StrCat(kNonceCheck, "return 0\n"),
      absl::StrCat(kNonceCheck, kAfterNonceBucketPrologue, kTokenBucketBody)};
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

// The nonce check's refusal for a script's negative answer, or OK.
absl::Status RedisRequestGuard::NonceRefusal(int64_t answer) {
  if (answer == -1) return absl::UnauthenticatedError("nonce already used");
  if (answer == -2) {
    metrics_.Increment("request_signed_before_nonce_store_total");
    return absl::UnauthenticatedError(
        "request signed before the nonce store restarted: sign it again");
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> RedisRequestGuard::Admit(const std::string& key_id,
                                                        const std::string& nonce, int64_t signed_at,
                                                        bool mutating) {
  auto reply = redis_.Eval(
      TheScripts().nonce_and_token,
      {absl::StrCat("aggpay:nonce:", key_id, ":", nonce), std::string(kNonceSinceKey),
       absl::StrCat("aggpay:ratelimit:", key_id)},
      {std::to_string(absl::ToInt64Milliseconds(options_.nonce_ttl)), std::to_string(signed_at),
       std::to_string(options_.rate_per_second), std::to_string(options_.burst)});
  if (reply.ok() && reply->type != common::RedisReply::Type::kInteger) {
    reply = absl::UnavailableError("unexpected reply to the nonce check");
  }
  if (!reply.ok()) {
    // Neither was checked: counted for both, decided (and logged) once, as the nonce decides.
    metrics_.Increment(absl::StrCat("redis_degraded_total{path=\"rate_limit\",request=\"",
                                    mutating ? "mutating" : "read", "\"}"));
    absl::Status s = Degraded(reply.status(), "nonce", mutating);
    if (!s.ok()) return s;
    return absl::ZeroDuration();
  }
  RETURN_IF_ERROR(NonceRefusal(reply->integer));
  return absl::Milliseconds(reply->integer);
}

absl::Status RedisRequestGuard::ConsumeNonce(const std::string& key_id, const std::string& nonce,
                                             int64_t signed_at, bool mutating) {
  auto reply = redis_.Eval(
      TheScripts().nonce,
      {absl::StrCat("aggpay:nonce:", key_id, ":", nonce), std::string(kNonceSinceKey)},
      {std::to_string(absl::ToInt64Milliseconds(options_.nonce_ttl)), std::to_string(signed_at)});
  if (!reply.ok()) return Degraded(reply.status(), "nonce", mutating);
  if (reply->type != common::RedisReply::Type::kInteger) {
    return Degraded(absl::UnavailableError("unexpected reply to the nonce check"), "nonce",
                    mutating);
  }
  return NonceRefusal(reply->integer);
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
