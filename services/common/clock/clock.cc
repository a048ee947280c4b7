#include "services/common/clock/clock.h"

#include <chrono>

namespace aggpay::common {

absl::Time SystemClock::Now() const { return absl::FromChrono(std::chrono::system_clock::now()); }

absl::Duration SystemClock::Monotonic() const {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace aggpay::common
