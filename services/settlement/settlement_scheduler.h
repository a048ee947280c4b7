#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "services/settlement/settlement_operations.h"

namespace aggpay::settlement {

// Runs the D0 cycle every `interval` in a background thread of `aggpayd serve`
// (settlement.d0_schedule). Safe with several instances and with `aggpayd settle --cycle D0`
// run by hand: D0 runs serialize on their lock and each takes the window after the last one.
class D0Scheduler {
 public:
  D0Scheduler(SettlementOperations& ops, absl::Duration interval)
      : ops_(ops), interval_(interval) {}
  ~D0Scheduler() { Stop(); }

  void Start();
  void Stop();

 private:
  void Loop();

  SettlementOperations& ops_;
  absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace aggpay::settlement
