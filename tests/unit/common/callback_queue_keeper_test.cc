// common::CallbackQueueKeeper: its ticks' calls complete, through gRPC's callback queue, and it
// goes only once the last has. That the ticks keep the gateway's calls from pausing is shown
// with the real gateway and aggpayd: tests/e2e/gateway_latency_e2e_test.cc.
#include "services/common/grpc/callback_queue_keeper.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace aggpay::common {
namespace {

// A tick's call fails in the client at once and its completion runs, every tick; the
// destructor returns only once the last one has (no use after free under ASan).
TEST(CallbackQueueKeeperTest, EveryTicksCallCompletesBeforeTheKeeperGoes) {
  long ticks = 0;
  for (int i = 0; i < 5; ++i) {
    CallbackQueueKeeper keeper(absl::Milliseconds(2));
    absl::SleepFor(absl::Milliseconds(60));
    ticks += keeper.completed();
  }
  // About 30 ticks in each 60 ms; a loaded machine runs fewer.
  EXPECT_GE(ticks, 25);
}

}  // namespace
}  // namespace aggpay::common
