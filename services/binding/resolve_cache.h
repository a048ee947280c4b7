#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/binding/domain/code.h"
#include "services/common/clock/clock.h"
#include "services/common/metrics/metrics.h"
#include "services/common/redis/redis_client.h"

namespace aggpay::binding {

struct ResolveCacheOptions {
  // How long this process keeps a code without asking Redis. Bounds staleness even when an
  // invalidation is lost.
  absl::Duration local_ttl = absl::Seconds(2);
  size_t local_capacity = 200000;
  absl::Duration redis_ttl = absl::Minutes(10);
  // Revoked codes stay as tombstones in Redis, so a racing reader cannot re-populate them.
  absl::Duration tombstone_ttl = absl::Hours(24);
  // How long a revoke waits for every instance to confirm it dropped the code.
  absl::Duration ack_timeout = absl::Seconds(2);
};

// Two cache levels in front of MySQL for the resolve hot path, kept correct on revoke:
//  - Redis holds serialized views; revocation overwrites the entry with a tombstone and
//    readers only ever add entries with SET NX, so a reader that read MySQL before the revoke
//    committed cannot bring the old view back.
//  - Each process holds a short-lived local copy. Revocation publishes an invalidation on Redis
//    pub/sub; every instance drops the code, bumps its epoch and acknowledges, and the revoke
//    waits for as many acknowledgements as PUBLISH reached subscribers. A reader only keeps
//    what it read if no invalidation arrived meanwhile (the epoch did not move).
//  - While an instance is not subscribed (Redis down, reconnecting) it uses neither its local
//    copies nor Redis until it has re-subscribed and run the purge hook (codes revoked while
//    Redis was down), so it can never serve a code revoked while it was deaf.
class ResolveCache {
 public:
  ResolveCache(common::RedisClient& redis, common::Metrics& metrics, const common::Clock& clock,
               ResolveCacheOptions options);
  ~ResolveCache();
  ResolveCache(const ResolveCache&) = delete;
  ResolveCache& operator=(const ResolveCache&) = delete;

  // Starts the subscriber thread. `purge` runs after every (re)subscription, before the caches
  // are trusted again: it must tombstone codes revoked while Redis was unreachable.
  void Start(std::function<absl::Status(ResolveCache&)> purge);
  void Stop();

  uint64_t Epoch() const { return epoch_.load(std::memory_order_acquire); }
  // Whether the caches may be read: subscribed and purged.
  bool Trusted() const { return trusted_.load(std::memory_order_acquire); }

  std::optional<CodeView> GetLocal(const std::string& code_id);
  void PutLocal(const std::string& code_id, const CodeView& view, uint64_t epoch_at_read);
  // UNAVAILABLE when Redis cannot be reached.
  absl::StatusOr<std::optional<CodeView>> GetRedis(const std::string& code_id);
  void PutRedis(const std::string& code_id, const CodeView& view);

  // Replaces the code's cached view everywhere with `view` (a tombstone or a grace view) and
  // returns once every subscribed instance has dropped its copy. UNAVAILABLE when Redis could
  // not be reached or not every instance confirmed in time.
  absl::Status Invalidate(const std::string& code_id, const CodeView& view);
  // Overwrites the Redis entry only (the purge hook).
  absl::Status Tombstone(const std::string& code_id, const CodeView& view);

 private:
  struct Entry {
    CodeView view;
    absl::Time expires;
  };
  void Run();
  void DropLocal(const std::string& code_id);
  void ClearLocal();

  common::RedisClient& redis_;
  common::Metrics& metrics_;
  const common::Clock& clock_;
  ResolveCacheOptions options_;
  std::string instance_id_;
  std::function<absl::Status(ResolveCache&)> purge_;

  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> trusted_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;

  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
  };
  std::array<Shard, kShards> shards_;
  Shard& ShardFor(const std::string& code_id);
};

}  // namespace aggpay::binding
