#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
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

// One row of the invalidation log: a change to one code, or a block/unblock of one merchant.
struct Invalidation {
  int64_t seq = 0;
  std::string code_id;      // empty for a merchant-wide row
  std::string merchant_id;  // set for a merchant-wide row
};

// The invalidation log in MySQL (the source of truth), and each instance's progress through it.
// Sequence numbers commit in order: once a reader has seen N it has seen every row up to N.
class InvalidationLog {
 public:
  virtual ~InvalidationLog() = default;
  // The newest sequence number.
  virtual absl::StatusOr<int64_t> Head() = 0;
  // Rows with seq > after, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<Invalidation>> Since(int64_t after, int limit) = 0;
  // Records that `instance` has applied every row up to `applied`, stamped with the database's
  // own clock.
  virtual absl::Status Heartbeat(const std::string& instance, int64_t applied) = 0;
  // How many instances heard from within `within` (database clock) have applied less than `seq`.
  virtual absl::StatusOr<int64_t> Behind(int64_t seq, absl::Duration within) = 0;
};

struct ResolveCacheOptions {
  // How long this process keeps a code without asking Redis (bounds memory, not correctness).
  absl::Duration local_ttl = absl::Seconds(2);
  size_t local_capacity = 200000;
  absl::Duration redis_ttl = absl::Minutes(10);
  // How often each instance reads the invalidation log when no notification wakes it.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // How long a successful read of the log lets this instance trust its caches. A revoke waits at
  // most about twice this long for an instance that does not confirm.
  absl::Duration lease = absl::Seconds(1);
  // Invalidations remembered in memory; past this the memory is reset and every older cached view
  // becomes a miss.
  size_t max_tracked = 1000000;
};

// The two cache levels in front of MySQL for the resolve hot path, and the protocol that keeps
// them correct when codes are revoked or merchants frozen. Correctness rests on MySQL alone:
//
//  - Every code change and every merchant block/unblock appends a row to the invalidation log in
//    the same transaction as the change (MysqlCodeRepository). Sequence numbers commit in order.
//  - Every view read from MySQL is stamped with the log position the reading instance had applied
//    before the read: every change up to the stamp is reflected in the view.
//  - Each instance reads the log (every poll_interval, and at once when a Redis pub/sub
//    notification arrives) into an in-memory index of the newest sequence number per code and
//    per merchant, then records its position in MySQL (Heartbeat). A cached view, local or from
//    Redis, is served only if the instance is current — its last confirmed read of the log began
//    less than `lease` ago, on the monotonic clock — and no indexed invalidation of the code or
//    its merchant is newer than the view's stamp. Anything else goes to MySQL.
//  - A revoke, after its transaction commits with sequence number N, returns only when every
//    instance heard from recently has confirmed N, or when 2 × lease has passed, after which an
//    instance that did not confirm has stopped trusting its caches.
//
// Guarantee: once a revoke returns, no resolve that starts afterwards (on any instance) serves a
// view from before the revoke. Redis may drop connections, freeze, restart from an old snapshot
// or fail over to a lagging replica; pub/sub may be silent or refused: any of these only makes
// revokes slower (up to 2 × lease) or resolves go to MySQL, never stale.
class ResolveCache {
 public:
  ResolveCache(common::RedisClient& redis, InvalidationLog& log, common::Metrics& metrics,
               const common::Clock& clock, ResolveCacheOptions options);
  ~ResolveCache();
  ResolveCache(const ResolveCache&) = delete;
  ResolveCache& operator=(const ResolveCache&) = delete;

  // Starts the log poller and the pub/sub listener.
  void Start();
  void Stop();

  // Whether this instance may serve cached views now.
  bool Current() const;
  // The stamp for a view about to be read from MySQL.
  int64_t Applied() const { return applied_.load(std::memory_order_acquire); }

  // A valid cached view (local, then Redis), or nothing. Never a view that a committed and
  // propagated invalidation has made stale.
  std::optional<CodeView> Lookup(const std::string& code_id);
  // The same from this process's memory alone (no I/O): nothing means "ask Lookup", not "absent".
  std::optional<CodeView> LookupLocal(const std::string& code_id);
  // Keeps a view read from MySQL (stamped with Applied() from before the read) in both levels.
  void Store(const std::string& code_id, const CodeView& view);

  // Reads the log now and confirms this instance's position. UNAVAILABLE when MySQL is not
  // reachable; the instance then stops trusting its caches when its lease runs out.
  absl::Status Refresh();
  // After an invalidation with sequence number `seq` has committed: returns once no instance can
  // serve a view older than it (see above). Never fails: at worst it waits out the leases.
  void AwaitPropagation(int64_t seq);

  // The instance id recorded in the log's instance table.
  const std::string& instance_id() const { return instance_id_; }

 private:
  struct Entry {
    CodeView view;
    absl::Duration expires;  // monotonic
  };
  bool Valid(const CodeView& view) const;
  std::optional<CodeView> GetLocal(const std::string& code_id);
  void PutLocal(const std::string& code_id, const CodeView& view);
  void DropLocal(const std::string& code_id);
  void ClearLocal();
  void PollLoop();
  void ListenLoop();

  common::RedisClient& redis_;
  InvalidationLog& log_;
  common::Metrics& metrics_;
  const common::Clock& clock_;
  ResolveCacheOptions options_;
  std::string instance_id_;

  std::atomic<int64_t> applied_{0};
  // Monotonic nanoseconds at which the newest confirmed read of the log began.
  std::atomic<int64_t> proof_nanos_{INT64_MIN};
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};

  std::mutex refresh_mu_;                         // one read of the log at a time
  int64_t last_heartbeat_nanos_ = INT64_MIN / 2;  // monotonic; under refresh_mu_
  mutable std::shared_mutex index_mu_;
  int64_t floor_ = 0;  // views stamped below this cannot be checked: a miss
  std::unordered_map<std::string, int64_t> code_seq_;
  std::unordered_map<std::string, int64_t> merchant_seq_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  std::thread poller_;
  std::thread listener_;

  static constexpr size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
  };
  std::array<Shard, kShards> shards_;
  Shard& ShardFor(const std::string& code_id);
};

}  // namespace aggpay::binding
