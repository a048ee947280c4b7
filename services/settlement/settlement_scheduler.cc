#include "services/settlement/settlement_scheduler.h"

#include <spdlog/spdlog.h>

namespace aggpay::settlement {

void D0Scheduler::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void D0Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void D0Scheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_), [this] { return stop_; })) break;
    lock.unlock();
    auto report = ops_.RunD0();
    if (report.ok()) {
      spdlog::info("settlement: {}", report->message);
    } else {
      spdlog::warn("settlement: D0 run failed: {}", std::string(report.status().message()));
    }
    lock.lock();
  }
}

}  // namespace aggpay::settlement
