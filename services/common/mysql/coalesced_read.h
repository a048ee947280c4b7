#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

#include "absl/status/statusor.h"

namespace aggpay::common {

// One read shared by the callers who need it at the same moment, without answering any of them
// with a value older than its own call.
//
// A caller needs a read that *starts after it arrived*: whatever was committed before its call
// is then visible, exactly as if it had read alone. A caller who finds no read running starts
// one; callers who arrive while a read runs wait for it to end and then share the next one (one
// of them starts it), so under load each round of reads serves everyone who arrived during the
// round before. A failed read answers its error to the callers who shared it, as each alone
// would have got it. For small, hot, often-checked values: a version or generation counter.
template <typename T>
class CoalescedRead {
 public:
  using Reader = std::function<absl::StatusOr<T>()>;

  explicit CoalescedRead(Reader read) : read_(std::move(read)) {}
  CoalescedRead(const CoalescedRead&) = delete;
  CoalescedRead& operator=(const CoalescedRead&) = delete;

  absl::StatusOr<T> Get() {
    std::unique_lock<std::mutex> lock(mu_);
    // The first read to start from now on; a read already running started too early.
    const uint64_t need = started_ + 1;
    while (true) {
      if (finished_ >= need) return last_;  // a read that started after this call (or later)
      if (!reading_) break;
      cv_.wait(lock);
    }
    reading_ = true;
    const uint64_t mine = ++started_;
    lock.unlock();
    absl::StatusOr<T> got = absl::InternalError("read did not run");
    try {
      got = read_();
    } catch (...) {
      lock.lock();
      reading_ = false;
      cv_.notify_all();
      throw;
    }
    lock.lock();
    reading_ = false;
    finished_ = mine;
    last_ = got;
    ++reads_;
    cv_.notify_all();
    return got;
  }

  // Reads done since start (for tests and metrics).
  uint64_t reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_;
  }

 private:
  const Reader read_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool reading_ = false;
  uint64_t started_ = 0;   // reads begun
  uint64_t finished_ = 0;  // the number of the last read that ended
  uint64_t reads_ = 0;
  absl::StatusOr<T> last_ = absl::InternalError("never read");
};

}  // namespace aggpay::common
