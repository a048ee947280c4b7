#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace aggpay::common {

// Batches run and the callers in them, since start (for tests and metrics).
struct BatchCounts {
  size_t batches = 0;
  size_t items = 0;
  size_t largest = 0;
};

// The queue behind GroupCommit and BatchedRead: concurrent callers line up, and one at a time
// leads a batch of the waiting ones.
//
// A caller who finds no batch running leads: it takes up to `max_batch` waiting callers (itself
// among them, in arrival order) and runs them with the lock released. Callers who arrive
// meanwhile wait for the next batch, which the first of them leads. So a lone caller runs alone
// at once, and every batch holds only callers who arrived before it began.
//
// Member is the caller's own record; it needs `bool done` and `std::condition_variable cv`.
template <typename Member>
class BatchQueue {
 public:
  explicit BatchQueue(size_t max_batch) : max_batch_(max_batch) {}
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Queues `me` and returns once a batch holding it has run: either this thread led it, or
  // another did. run(const std::vector<Member*>&) must not throw.
  template <typename Run>
  void Join(Member* me, Run&& run) {
    std::unique_lock<std::mutex> lock(mu_);
    queue_.push_back(me);
    while (!me->done) {
      if (running_) {
        me->cv.wait(lock);
        continue;
      }
      running_ = true;
      std::vector<Member*> batch;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      run(batch);
      lock.lock();
      running_ = false;
      ++counts_.batches;
      counts_.items += batch.size();
      if (batch.size() > counts_.largest) counts_.largest = batch.size();
      for (Member* m : batch) {
        m->done = true;
        if (m != me) m->cv.notify_one();
      }
      // The next waiting caller leads the next batch.
      if (!queue_.empty()) queue_.front()->cv.notify_one();
    }
  }

  BatchCounts counts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  // Callers waiting for a batch to take them.
  size_t Waiting() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::deque<Member*> queue_;
  bool running_ = false;
  BatchCounts counts_;
};

}  // namespace aggpay::common
