#pragma once

#include <grpcpp/channel.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace aggpay::common {

// Keeps gRPC's callback completion queue served without a pause.
//
// With the gRPC of Debian 12 (1.51) on Linux, a server's callback-API work is driven by two
// "nexting" threads of one process-wide queue. Each waits up to 1 s for an event and, when none
// came, sleeps 100 ms before waiting again. When the process has no callback-API traffic for a
// second, both time out together and both sleep. For those 100 ms, calls on a connection served
// through that queue wait too, whatever their method; the gateway's was one. This repeats every
// 1.1 s. It showed as the signed REST GET's p99.9 of 100 ms through the gateway
// (docs/performance.md).
//
// The keeper gives that queue an event every `every` (well under 1 s): a callback-API call on a
// "lame" channel of its own (one with no credentials, which fails every call at once in the
// client: no connection, no server, no metric or audit entry anywhere), whose completion is
// delivered through that queue. So one of the threads always has had an event within the last
// second, and never sleeps while the other does. It costs a failed local call per tick and a
// thread that sleeps in between.
class CallbackQueueKeeper {
 public:
  explicit CallbackQueueKeeper(absl::Duration every);
  // Stops the ticks and waits for the last call's completion.
  ~CallbackQueueKeeper();
  CallbackQueueKeeper(const CallbackQueueKeeper&) = delete;
  CallbackQueueKeeper& operator=(const CallbackQueueKeeper&) = delete;

  // Calls whose completion has run, since start (for tests).
  long completed() const;

 private:
  void Run();
  void Tick();

  const std::shared_ptr<grpc::Channel> channel_;
  const absl::Duration every_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int in_flight_ = 0;
  long completed_ = 0;
  std::thread thread_;
};

}  // namespace aggpay::common
