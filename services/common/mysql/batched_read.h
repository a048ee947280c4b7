#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/common/mysql/batch_queue.h"

namespace aggpay::common {

// Concurrent reads of one kind, each by its own key, served by one read of all their keys (one
// statement with an IN list instead of one per caller).
//
// A caller who finds no read running leads: it takes the waiting callers (itself among them, up
// to `max_batch`), reads their distinct keys with one call of `read`, and hands each caller the
// value of its own key. Callers who arrive meanwhile wait for the next read, so every caller's
// answer comes from a read that *began after its call*: whatever was committed before the call
// is seen, exactly as with a read of its own. A lone caller pays what a read of its own costs.
// A failed read answers its error to the callers it served, as each alone would have got it.
template <typename Key, typename Value>
class BatchedRead {
 public:
  // The values of those of `keys` (distinct, in arrival order) that have one; a key left out
  // has none.
  using Reader = std::function<absl::StatusOr<std::map<Key, Value>>(absl::Span<const Key>)>;

  explicit BatchedRead(Reader read, size_t max_batch = 32)
      : read_(std::move(read)), queue_(max_batch) {}
  BatchedRead(const BatchedRead&) = delete;
  BatchedRead& operator=(const BatchedRead&) = delete;

  // The key's value, nullopt when it has none.
  absl::StatusOr<std::optional<Value>> Get(const Key& key);

 private:
  struct Member {
    explicit Member(const Key* k) : key(k) {}
    const Key* key;
    absl::StatusOr<std::optional<Value>> result = std::optional<Value>();
    bool done = false;
    std::condition_variable cv;
  };

  void Lead(const std::vector<Member*>& batch);

  const Reader read_;
  BatchQueue<Member> queue_;

 public:
  // Reads run and the calls they served, since start (for tests and metrics).
  BatchCounts counts() const { return queue_.counts(); }
  // Callers waiting for a read to take them.
  size_t Waiting() const { return queue_.Waiting(); }
};

template <typename Key, typename Value>
absl::StatusOr<std::optional<Value>> BatchedRead<Key, Value>::Get(const Key& key) {
  Member me(&key);
  queue_.Join(&me, [this](const std::vector<Member*>& batch) { Lead(batch); });
  return std::move(me.result);
}

template <typename Key, typename Value>
void BatchedRead<Key, Value>::Lead(const std::vector<Member*>& batch) {
  std::vector<Key> keys;
  keys.reserve(batch.size());
  for (Member* m : batch) {
    bool seen = false;
    for (const Key& k : keys) seen = seen || k == *m->key;
    if (!seen) keys.push_back(*m->key);
  }
  absl::StatusOr<std::map<Key, Value>> got = absl::InternalError("read did not run");
  try {
    got = read_(absl::MakeConstSpan(keys));
  } catch (...) {
    // The reader's own failure (it maps the driver's): every caller it served gets an error,
    // and no caller is left waiting.
    got = absl::InternalError("read failed unexpectedly");
  }
  for (Member* m : batch) {
    if (!got.ok()) {
      m->result = got.status();
      continue;
    }
    auto it = got->find(*m->key);
    m->result = it == got->end() ? std::optional<Value>() : std::optional<Value>(it->second);
  }
}

}  // namespace aggpay::common
