#include "services/common/clock/clock.h"

#include <chrono>

namespace aggpay::common {

absl::Time SystemClock::Now() const { return absl::FromChrono(std::chrono::system_clock::now()); }

}  // namespace aggpay::common
