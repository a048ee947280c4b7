#include "services/binding/resolve_cache.h"

#include <hiredis/hiredis.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/log/logging.h"

namespace aggpay::binding {
namespace {

constexpr const char* kChannel = "aggpay:codes:invalidations";
constexpr int kPageSize = 5000;

std::string RedisKey(const std::string& code_id) { return absl::StrCat("aggpay:code:", code_id); }

bool IsString(const redisReply* r, absl::string_view want) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
         absl::string_view(r->str, r->len) == want;
}

}  // namespace

ResolveCache::ResolveCache(common::RedisClient& redis, InvalidationLog& log,
                           common::Metrics& metrics, const common::Clock& clock,
                           ResolveCacheOptions options)
    : redis_(redis),
      log_(log),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      instance_id_(common::RandomToken(12)) {}

ResolveCache::~ResolveCache() { Stop(); }

void ResolveCache::Start() {
  if (started_.exchange(true)) return;
  poller_ = std::thread([this] { PollLoop(); });
  listener_ = std::thread([this] { ListenLoop(); });
}

void ResolveCache::Stop() {
  stop_.store(true);
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
  if (listener_.joinable()) listener_.join();
}

bool ResolveCache::Current() const {
  const int64_t proof = proof_nanos_.load(std::memory_order_acquire);
  if (proof == INT64_MIN) return false;
  return absl::ToInt64Nanoseconds(clock_.Monotonic()) - proof <
         absl::ToInt64Nanoseconds(options_.lease);
}

bool ResolveCache::Valid(const CodeView& view) const {
  std::shared_lock lock(index_mu_);
  if (view.stamp < floor_) return false;
  if (auto it = code_seq_.find(view.code_id); it != code_seq_.end() && it->second > view.stamp) {
    return false;
  }
  if (auto it = merchant_seq_.find(view.merchant_id);
      it != merchant_seq_.end() && it->second > view.stamp) {
    return false;
  }
  return true;
}

ResolveCache::Shard& ResolveCache::ShardFor(const std::string& code_id) {
  return shards_[std::hash<std::string>()(code_id) % kShards];
}

std::optional<CodeView> ResolveCache::GetLocal(const std::string& code_id) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(code_id);
  if (it == s.entries.end()) return std::nullopt;
  if (clock_.Monotonic() >= it->second.expires) {
    s.entries.erase(it);
    return std::nullopt;
  }
  return it->second.view;
}

void ResolveCache::PutLocal(const std::string& code_id, const CodeView& view) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  if (s.entries.size() >= options_.local_capacity / kShards) s.entries.clear();
  s.entries[code_id] = Entry{view, clock_.Monotonic() + options_.local_ttl};
}

void ResolveCache::DropLocal(const std::string& code_id) {
  Shard& s = ShardFor(code_id);
  std::lock_guard lock(s.mu);
  s.entries.erase(code_id);
}

void ResolveCache::ClearLocal() {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    s.entries.clear();
  }
}

std::optional<CodeView> ResolveCache::LookupLocal(const std::string& code_id) {
  if (!Current()) return std::nullopt;
  if (auto local = GetLocal(code_id); local && Valid(*local)) return local;
  return std::nullopt;
}

std::optional<CodeView> ResolveCache::Lookup(const std::string& code_id) {
  if (auto local = LookupLocal(code_id)) return local;
  if (!Current()) {
    metrics_.Increment("code_cache_bypassed_total");
    return std::nullopt;
  }
  auto raw = redis_.Get(RedisKey(code_id));
  if (!raw.ok()) {
    metrics_.Increment("redis_degraded_total{path=\"resolve\"}");
    return std::nullopt;
  }
  if (!raw->has_value()) return std::nullopt;
  auto view = ParseCodeView(**raw);
  if (!view.ok() || view->code_id != code_id) return std::nullopt;  // unreadable: a miss
  if (!Valid(*view)) {
    metrics_.Increment("code_cache_stale_total");
    return std::nullopt;
  }
  PutLocal(code_id, *view);
  return *std::move(view);
}

void ResolveCache::Store(const std::string& code_id, const CodeView& view) {
  // Plain SET: the stamp, not write order, decides which view may be served, so overwriting a
  // newer entry with an older one costs a MySQL read at worst.
  if (!redis_.Set(RedisKey(code_id), SerializeCodeView(view), options_.redis_ttl).ok()) {
    metrics_.Increment("redis_degraded_total{path=\"resolve_store\"}");
  }
  if (Valid(view)) PutLocal(code_id, view);
}

absl::Status ResolveCache::Refresh() {
  std::lock_guard refresh(refresh_mu_);
  // A revoke waits only for instances heard from recently. An instance whose last heartbeat is
  // old (just started, or cut off from MySQL for a while) says it is alive *before* it reads the
  // log, so that no revoke committed after this read can overlook it while it adopts the read.
  if (absl::ToInt64Nanoseconds(clock_.Monotonic()) - last_heartbeat_nanos_ >
      absl::ToInt64Nanoseconds(options_.lease) / 2) {
    if (absl::Status s = log_.Heartbeat(instance_id_, applied_.load(std::memory_order_acquire));
        !s.ok()) {
      return s;
    }
  }
  // The proof starts before the log is read: a change committed after this moment may be missed
  // by this read, and the lease is counted from here.
  const int64_t began = absl::ToInt64Nanoseconds(clock_.Monotonic());
  int64_t applied = applied_.load(std::memory_order_acquire);
  if (proof_nanos_.load(std::memory_order_acquire) == INT64_MIN && applied == 0) {
    // First read: views cached before this process started cannot be checked against the log.
    auto head = log_.Head();
    if (!head.ok()) return head.status();
    std::unique_lock lock(index_mu_);
    floor_ = *head;
    applied = *head;
  }
  for (;;) {
    auto rows = log_.Since(applied, kPageSize);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      std::unique_lock lock(index_mu_);
      for (const Invalidation& inv : *rows) {
        if (!inv.code_id.empty()) code_seq_[inv.code_id] = inv.seq;
        if (!inv.merchant_id.empty()) merchant_seq_[inv.merchant_id] = inv.seq;
      }
      applied = rows->back().seq;
      if (code_seq_.size() + merchant_seq_.size() > options_.max_tracked) {
        code_seq_.clear();
        merchant_seq_.clear();
        floor_ = applied;
        metrics_.Increment("code_cache_index_resets_total");
      }
    }
    for (const Invalidation& inv : *rows) {
      if (!inv.code_id.empty()) DropLocal(inv.code_id);
    }
    if (static_cast<int>(rows->size()) < kPageSize) break;
  }
  applied_.store(applied, std::memory_order_release);
  // Recorded before the proof is adopted, so that a revoke reading the instance table never
  // misses an instance that trusts its caches.
  if (absl::Status s = log_.Heartbeat(instance_id_, applied); !s.ok()) return s;
  last_heartbeat_nanos_ = absl::ToInt64Nanoseconds(clock_.Monotonic());
  int64_t prev = proof_nanos_.load(std::memory_order_acquire);
  while (prev < began && !proof_nanos_.compare_exchange_weak(prev, began)) {
  }
  return absl::OkStatus();
}

void ResolveCache::AwaitPropagation(int64_t seq) {
  if (absl::Status s = Refresh(); !s.ok()) {
    spdlog::warn("code cache: own refresh after an invalidation failed: {}", s.message());
  }
  if (!redis_.Publish(kChannel, std::to_string(seq)).ok()) {
    metrics_.Increment("redis_degraded_total{path=\"invalidate_publish\"}");
  }
  // An instance that has not confirmed `seq` stops trusting its caches at most `lease` after its
  // last confirmed read began; that read is recorded before it is trusted, so after 2 × lease
  // (allowing for the database clock) every lagging instance has stopped.
  const absl::Duration within = 2 * options_.lease;
  const absl::Duration deadline = clock_.Monotonic() + within + options_.poll_interval;
  absl::Duration pause = absl::Microseconds(500);
  for (;;) {
    auto behind = log_.Behind(seq, within);
    if (behind.ok() && *behind == 0) return;
    if (clock_.Monotonic() >= deadline) {
      metrics_.Increment("code_invalidation_waited_out_total");
      spdlog::warn("code invalidation {}: {} instance(s) did not confirm; waited out their leases",
                   seq,
                   behind.ok() ? std::to_string(*behind) : std::string(behind.status().message()));
      return;
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(20));
  }
}

void ResolveCache::PollLoop() {
  bool failing = false;
  while (!stop_.load()) {
    absl::Status s = Refresh();
    if (!s.ok()) {
      metrics_.Increment("code_invalidation_log_errors_total");
      if (!failing) spdlog::warn("code cache: cannot read the invalidation log ({})", s.message());
      failing = true;
    } else if (failing) {
      spdlog::info("code cache: invalidation log readable again");
      failing = false;
    }
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval),
                      [&] { return wake_ || stop_.load(); });
    wake_ = false;
  }
}

void ResolveCache::ListenLoop() {
  const auto& o = redis_.options();
  const auto pause = [&] {
    // Redis's own reconnect back-off, in slices so that Stop is not held up.
    const absl::Time until = absl::Now() + o.reconnect_backoff;
    while (!stop_.load() && absl::Now() < until) {
      absl::SleepFor(std::min(absl::Milliseconds(50), o.reconnect_backoff));
    }
  };
  while (!stop_.load()) {
    std::unique_ptr<redisContext, decltype(&redisFree)> ctx(common::DialRedis(o, o.connect_timeout),
                                                            redisFree);
    if (!ctx || ctx->err) {
      pause();
      continue;
    }
    redisSetTimeout(ctx.get(), absl::ToTimeval(o.connect_timeout));
    if (!o.password.empty()) {
      auto* r = static_cast<redisReply*>(redisCommand(ctx.get(), "AUTH %s", o.password.c_str()));
      const bool ok = r != nullptr && r->type != REDIS_REPLY_ERROR;
      if (r) freeReplyObject(r);
      if (!ok) {
        spdlog::warn("code invalidation listener: redis AUTH refused");
        pause();
        continue;
      }
    }
    auto* sub = static_cast<redisReply*>(redisCommand(ctx.get(), "SUBSCRIBE %s", kChannel));
    // Only ["subscribe", channel, count] is a subscription; an error (-NOPERM, -NOAUTH) is not.
    const bool subscribed = sub != nullptr && sub->type == REDIS_REPLY_ARRAY &&
                            sub->elements == 3 && IsString(sub->element[0], "subscribe");
    if (sub) freeReplyObject(sub);
    if (!subscribed) {
      metrics_.Increment("code_invalidation_subscribe_errors_total");
      spdlog::warn("code invalidation listener: SUBSCRIBE refused; relying on polling");
      pause();
      continue;
    }
    // Anything missed while not subscribed is in the log: read it now.
    {
      std::lock_guard lock(wake_mu_);
      wake_ = true;
    }
    wake_cv_.notify_one();
    // A silent socket (half-open after a failover) is found by PING: no reply within 3 reads of
    // 1 s each and the connection is replaced.
    redisSetTimeout(ctx.get(), absl::ToTimeval(absl::Seconds(1)));
    int silent = 0;
    while (!stop_.load()) {
      void* raw = nullptr;
      if (redisGetReply(ctx.get(), &raw) != REDIS_OK) {
        if (ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          ctx->err = 0;
          ctx->errstr[0] = '\0';
          if (++silent >= 3) break;
          redisAppendCommand(ctx.get(), "PING");
          continue;
        }
        break;
      }
      silent = 0;
      std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                    freeReplyObject);
      if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
          IsString(reply->element[0], "message")) {
        {
          std::lock_guard lock(wake_mu_);
          wake_ = true;
        }
        wake_cv_.notify_one();
      }
    }
    if (!stop_.load()) {
      metrics_.Increment("code_invalidation_disconnects_total");
      spdlog::warn("code invalidation listener lost its subscription; relying on polling");
    }
  }
}

}  // namespace aggpay::binding
