#include "services/risk/risk_counters.h"

#include "absl/strings/str_cat.h"

namespace aggpay::risk {
namespace {

// KEYS: 1 today's amount, 2 night zset, 3 device zset, 4 this hour's amount, 5 seen regions,
// 6.. the IP window's buckets, newest first.
// ARGV: 1 amount, 2 now (ms), 3 flags (A N I D H R), 4 night window (ms), 5 attempt member,
// 6 region, 7 subnet, 8 bucket count, 9 bucket ttl (s), 10 device window (ms), 11 merchant.
constexpr const char* kScript = R"lua(
local amt = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local f = ARGV[3]
local out = {0, 0, 0, 0, 0, 0, 0, {}}
if string.find(f, 'A', 1, true) then
  out[1] = redis.call('INCRBY', KEYS[1], amt)
  redis.call('EXPIRE', KEYS[1], 172800)
end
if string.find(f, 'N', 1, true) then
  local w = tonumber(ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - w)
  redis.call('ZADD', KEYS[2], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], w)
  out[2] = redis.call('ZCARD', KEYS[2])
end
if string.find(f, 'I', 1, true) then
  local cur = KEYS[6]
  local rf = 'r:' .. ARGV[6]
  local sf = 's:' .. ARGV[7]
  redis.call('HINCRBY', cur, 't', 1)
  if ARGV[6] ~= '' then redis.call('HINCRBY', cur, rf, 1) end
  redis.call('HINCRBY', cur, sf, 1)
  redis.call('EXPIRE', cur, tonumber(ARGV[9]))
  for i = 0, tonumber(ARGV[8]) - 1 do
    local v = redis.call('HMGET', KEYS[6 + i], 't', rf, sf)
    out[3] = out[3] + (tonumber(v[1]) or 0)
    if ARGV[6] ~= '' then out[4] = out[4] + (tonumber(v[2]) or 0) end
    out[5] = out[5] + (tonumber(v[3]) or 0)
  end
end
if string.find(f, 'D', 1, true) then
  local w = tonumber(ARGV[10])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - w)
  redis.call('ZADD', KEYS[3], now, ARGV[11])
  redis.call('PEXPIRE', KEYS[3], w)
  out[8] = redis.call('ZRANGE', KEYS[3], 0, -1)
end
if string.find(f, 'H', 1, true) then
  out[6] = redis.call('INCRBY', KEYS[4], amt)
  redis.call('EXPIRE', KEYS[4], 7200)
end
if string.find(f, 'R', 1, true) then
  out[7] = redis.call('SADD', KEYS[5], ARGV[6])
end
return out
)lua";

}  // namespace

absl::StatusOr<CounterAnswer> RedisRiskCounters::Apply(const CounterRequest& r) {
  const CounterPlan& p = r.plan;
  std::string m = absl::StrCat("risk:{", r.merchant_id, "}:");
  int64_t now_ms = absl::ToUnixMillis(r.now);
  std::string flags;
  if (p.amount) flags += 'A';
  if (p.night) flags += 'N';
  if (p.ip) flags += 'I';
  if (p.device) flags += 'D';
  if (r.hourly) flags += 'H';
  if (r.seen_region && !r.payer_region.empty()) flags += 'R';
  CounterAnswer answer;
  if (flags.empty()) return answer;
  std::vector<std::string> keys = {
      absl::StrCat(m, "amt:", r.currency, ":", p.local_day),
      absl::StrCat(m, "night"),
      absl::StrCat("risk:dev:", r.device_id),
      absl::StrCat(m, "hour:", r.currency, ":", r.hour_key),
      absl::StrCat(m, "regions"),
  };
  int buckets = p.ip ? std::max(1, p.ip_buckets) : 0;
  int64_t width_ms =
      p.ip ? std::max<int64_t>(1000, absl::ToInt64Milliseconds(p.ip_window) / buckets) : 1;
  for (int i = 0; i < buckets; ++i) {
    keys.push_back(absl::StrCat(m, "ip:", now_ms / width_ms - i));
  }
  std::string member = r.attempt_id.empty() ? absl::StrCat(now_ms, ":", rand()) : r.attempt_id;
  std::vector<std::string> args = {
      absl::StrCat(r.amount_minor),
      absl::StrCat(now_ms),
      flags,
      absl::StrCat(absl::ToInt64Milliseconds(p.night_window)),
      member,
      r.payer_region,
      r.payer_subnet,
      absl::StrCat(buckets),
      absl::StrCat((width_ms * buckets) / 1000 + 1),
      absl::StrCat(absl::ToInt64Milliseconds(p.device_window)),
      r.merchant_id,
  };
  auto reply = redis_.Eval(kScript, keys, args);
  if (!reply.ok()) return reply.status();
  if (reply->type != common::RedisReply::Type::kArray || reply->elements.size() != 8) {
    return absl::UnavailableError("risk counters: unexpected reply from Redis");
  }
  const auto& e = reply->elements;
  answer.counters.today_minor = e[0].integer;
  answer.counters.night_count = e[1].integer;
  answer.counters.ip_total = e[2].integer;
  answer.counters.ip_region = e[3].integer;
  answer.counters.ip_subnet = e[4].integer;
  answer.hour_total_minor = e[5].integer;
  answer.region_new = e[6].integer == 1;
  for (const auto& d : e[7].elements) answer.counters.device_merchants.push_back(d.str);
  return answer;
}

absl::Status RedisRiskCounters::Reset(const std::string& merchant_id) {
  const std::string prefix = absl::StrCat("risk:{", merchant_id, "}:");
  const std::string keep = absl::StrCat(prefix, "regions");
  std::string cursor = "0";
  do {
    auto reply = redis_.Command({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
    if (!reply.ok()) return reply.status();
    if (reply->type != common::RedisReply::Type::kArray || reply->elements.size() != 2) {
      return absl::UnavailableError("risk counters: unexpected SCAN reply");
    }
    cursor = reply->elements[0].str;
    std::vector<absl::string_view> del = {"DEL"};
    for (const auto& k : reply->elements[1].elements) {
      if (k.str != keep) del.push_back(k.str);
    }
    if (del.size() > 1) {
      auto d = redis_.Command(del);
      if (!d.ok()) return d.status();
    }
  } while (cursor != "0");
  return absl::OkStatus();
}

}  // namespace aggpay::risk
