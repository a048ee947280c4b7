#include "services/binding/resolve_cache.h"

#include <hiredis/hiredis.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto/crypto.h"
#include "services/common/log/logging.h"

namespace aggpay::binding {
namespace {

constexpr const char* kChannel = "aggpay:codes:invalidate";

std::string RedisKey(const std::string& code_id) { return absl::StrCat("aggpay:code:", code_id); }
std::string AckKey(const std::string& message_id) {
  return absl::StrCat("aggpay:codes:ack:", message_id);
}

}  // namespace

ResolveCache::ResolveCache(common::RedisClient& redis, common::Metrics& metrics,
                           const common::Clock& clock, ResolveCacheOptions options)
    : redis_(redis),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      instance_id_(common::RandomToken(9)) {}

ResolveCache::~ResolveCache() { Stop(); }

void ResolveCache::Start(std::function<absl::Status(ResolveCache&)> purge) {
  purge_ = std::move(purge);
  thread_ = std::thread([this] { Run(); });
}

void ResolveCache::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

ResolveCache::Shard& ResolveCache::ShardFor(const std::string& code_id) {
  return shards_[std::hash<std::string>()(code_id) % kShards];
}

std::optional<CodeView> ResolveCache::GetLocal(const std::string& code_id) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(code_id);
  if (it == s.entries.end()) return std::nullopt;
  if (clock_.Now() >= it->second.expires) {
    s.entries.erase(it);
    return std::nullopt;
  }
  return it->second.view;
}

void ResolveCache::PutLocal(const std::string& code_id, const CodeView& view,
                            uint64_t epoch_at_read) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  // An invalidation may have arrived while the view was being read: then it may be stale.
  if (epoch_.load(std::memory_order_acquire) != epoch_at_read || !Trusted()) return;
  if (s.entries.size() >= options_.local_capacity / kShards) s.entries.clear();
  s.entries[code_id] = Entry{view, clock_.Now() + options_.local_ttl};
}

void ResolveCache::DropLocal(const std::string& code_id) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  epoch_.fetch_add(1, std::memory_order_acq_rel);
  s.entries.erase(code_id);
}

void ResolveCache::ClearLocal() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    s.entries.clear();
  }
}

absl::StatusOr<std::optional<CodeView>> ResolveCache::GetRedis(const std::string& code_id) {
  auto raw = redis_.Get(RedisKey(code_id));
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) return std::optional<CodeView>();
  auto view = ParseCodeView(**raw);
  if (!view.ok()) return std::optional<CodeView>();  // unreadable: treat as a miss
  return std::optional<CodeView>(*std::move(view));
}

void ResolveCache::PutRedis(const std::string& code_id, const CodeView& view) {
  // NX: never overwrite a tombstone written by a revoke that committed after this read.
  (void)redis_.SetIfAbsent(RedisKey(code_id), SerializeCodeView(view), options_.redis_ttl);
}

absl::Status ResolveCache::Tombstone(const std::string& code_id, const CodeView& view) {
  return redis_.Set(RedisKey(code_id), SerializeCodeView(view), options_.tombstone_ttl);
}

absl::Status ResolveCache::Invalidate(const std::string& code_id, const CodeView& view) {
  DropLocal(code_id);
  if (absl::Status s = Tombstone(code_id, view); !s.ok()) return s;
  const std::string message_id = common::RandomToken(12);
  auto reached = redis_.Publish(kChannel, absl::StrCat(message_id, " ", code_id));
  if (!reached.ok()) return reached.status();
  const absl::Time deadline = absl::Now() + options_.ack_timeout;
  for (;;) {
    auto acks = redis_.Get(AckKey(message_id));
    if (!acks.ok()) return acks.status();
    int64_t n = 0;
    if (acks->has_value() && !absl::SimpleAtoi(**acks, &n)) n = 0;
    if (n >= *reached) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      metrics_.Increment("code_invalidation_timeouts_total");
      return absl::UnavailableError(
          absl::StrCat("only ", n, " of ", *reached, " instances confirmed the invalidation"));
    }
    absl::SleepFor(absl::Microseconds(500));
  }
}

void ResolveCache::Run() {
  const auto& o = redis_.options();
  while (!stop_.load()) {
    std::unique_ptr<redisContext, decltype(&redisFree)> ctx(
        redisConnectWithTimeout(o.host.c_str(), o.port, absl::ToTimeval(o.connect_timeout)),
        redisFree);
    if (!ctx || ctx->err) {
      trusted_.store(false);
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    if (!o.password.empty()) {
      auto* r = static_cast<redisReply*>(redisCommand(ctx.get(), "AUTH %s", o.password.c_str()));
      if (r) freeReplyObject(r);
    }
    auto* sub = static_cast<redisReply*>(redisCommand(ctx.get(), "SUBSCRIBE %s", kChannel));
    if (sub == nullptr) {
      trusted_.store(false);
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    freeReplyObject(sub);
    // Messages published while this instance was not subscribed are lost: start from nothing.
    ClearLocal();
    if (purge_) {
      if (absl::Status s = purge_(*this); !s.ok()) {
        spdlog::warn("code cache purge failed ({}); caches stay bypassed", s.message());
        absl::SleepFor(absl::Milliseconds(200));
        continue;
      }
    }
    trusted_.store(true);
    redisSetTimeout(ctx.get(), absl::ToTimeval(absl::Milliseconds(200)));
    while (!stop_.load()) {
      void* raw = nullptr;
      if (redisGetReply(ctx.get(), &raw) != REDIS_OK) {
        if (ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          // A read timeout: the connection is still fine. Clear the error and keep reading.
          ctx->err = 0;
          ctx->errstr[0] = '\0';
          continue;
        }
        break;
      }
      std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                    freeReplyObject);
      // Only ["message", channel, payload] carries an invalidation.
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
          reply->element[0]->type != REDIS_REPLY_STRING ||
          reply->element[2]->type != REDIS_REPLY_STRING ||
          absl::string_view(reply->element[0]->str, reply->element[0]->len) != "message") {
        continue;
      }
      const std::string payload(reply->element[2]->str, reply->element[2]->len);
      std::vector<std::string> parts = absl::StrSplit(payload, absl::MaxSplits(' ', 1));
      if (parts.size() != 2) continue;
      DropLocal(parts[1]);
      auto n = redis_.Command({"INCR", AckKey(parts[0])});
      (void)redis_.Command({"PEXPIRE", AckKey(parts[0]), "60000"});
      if (!n.ok()) break;
    }
    if (!stop_.load()) {
      spdlog::warn("code invalidation subscription lost; caches bypassed until it is back");
      metrics_.Increment("code_invalidation_disconnects_total");
    }
    trusted_.store(false);
    ClearLocal();
  }
}

}  // namespace aggpay::binding
