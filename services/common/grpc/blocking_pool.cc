#include "services/common/grpc/blocking_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace aggpay::common {

BlockingPool::BlockingPool(int threads, const std::string& name, size_t max_queued)
    : max_queued_(max_queued) {
  // The kernel's limit is 15 bytes; pool names are ASCII constants, so no character is cut.
  const std::string thread_name = name.substr(0, 15);
  for (int i = 0; i < std::max(threads, 1); ++i) {
    threads_.emplace_back([this] { Run(); });
    pthread_setname_np(threads_.back().native_handle(), thread_name.c_str());
  }
}

BlockingPool::~BlockingPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool BlockingPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void BlockingPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace aggpay::common
