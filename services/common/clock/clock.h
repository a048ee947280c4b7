#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace aggpay::common {

// The one source of time. Only SystemClock reads the system clock; everything that decides on
// time (expiries, cut-offs, key rotation, night-time rules) takes a Clock& so tests can drive it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Time since an arbitrary start that never goes backwards, whatever the wall clock does: for
  // leases and cache lifetimes.
  virtual absl::Duration Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
  absl::Duration Monotonic() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600))  // 2026-01-01Z
      : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  // Only Advance moves the monotonic time: Set models a wall-clock step.
  absl::Duration Monotonic() const override { return absl::Nanoseconds(mono_nanos_.load()); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) {
    nanos_.fetch_add(absl::ToInt64Nanoseconds(d));
    mono_nanos_.fetch_add(absl::ToInt64Nanoseconds(d));
  }

 private:
  std::atomic<int64_t> nanos_;
  std::atomic<int64_t> mono_nanos_{0};
};

}  // namespace aggpay::common
