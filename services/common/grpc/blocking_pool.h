#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aggpay::common {

// A fixed set of threads for the blocking half of a callback-API handler. Such a handler runs on
// gRPC's own threads, which serve every other call of the server: it answers there what it can
// from memory and hands what needs Redis or MySQL to this pool, finishing its reactor from here.
// A slow or frozen store then stalls only the calls that need it.
class BlockingPool {
 public:
  // `threads` >= 1; `name` (ASCII; the kernel keeps its first 15 bytes) names the threads in `top`
  // and `perf`. At most `max_queued` tasks wait for a thread; past that Submit refuses, so that a
  // stalled store makes callers fail fast instead of piling up work and memory.
  BlockingPool(int threads, const std::string& name, size_t max_queued = 4096);
  // Runs what is queued, then joins the threads.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `task` on one of the pool's threads, in submission order; false (and `task` not run)
  // when max_queued tasks are already waiting.
  [[nodiscard]] bool Submit(std::function<void()> task);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  const size_t max_queued_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace aggpay::common
