#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace aggpay::loadgen {

// A log-linear latency histogram in the manner of HdrHistogram: values below 2^(kSubBits+1)
// are counted exactly, and each power-of-two range above that is split into 2^kSubBits equal
// buckets, so any recorded value is reported within 1/2^kSubBits (0.8%) of itself. Values are
// nanoseconds; anything above kMaxValue (about 68.7 s) counts in the last bucket. Recording is
// O(1) with no allocation; one histogram per thread, merged at the end.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int64_t kSubCount = int64_t{1} << kSubBits;
  static constexpr int kMaxBits = 36;
  static constexpr int64_t kMaxValue = (int64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBuckets =
      static_cast<size_t>(2 * kSubCount) + static_cast<size_t>(kMaxBits - kSubBits - 1) * kSubCount;

  void Record(int64_t value) {
    value = std::clamp<int64_t>(value, 0, kMaxValue);
    ++counts_[Index(value)];
    ++total_;
    sum_ += value;
    max_ = std::max(max_, value);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  int64_t count() const { return total_; }
  int64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / total_; }

  // The smallest bucket bound at or below which at least `quantile` (0..1] of the values lie,
  // reported as the highest value that bucket holds (HdrHistogram's "highest equivalent
  // value"), never above the recorded maximum. 0 when empty.
  int64_t ValueAtQuantile(double quantile) const {
    if (total_ == 0) return 0;
    const auto wanted = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(std::clamp(quantile, 0.0, 1.0) * total_)));
    int64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= wanted) return std::min(HighestInBucket(i), max_);
    }
    return max_;
  }

  static size_t Index(int64_t value) {
    if (value < 2 * kSubCount) return static_cast<size_t>(value);
    const int msb = 63 - std::countl_zero(static_cast<uint64_t>(value));
    const int shift = msb - kSubBits;
    const int64_t top = value >> shift;  // in [kSubCount, 2 * kSubCount)
    return static_cast<size_t>(2 * kSubCount + (msb - kSubBits - 1) * kSubCount +
                               (top - kSubCount));
  }

  static int64_t HighestInBucket(size_t index) {
    const auto i = static_cast<int64_t>(index);
    if (i < 2 * kSubCount) return i;
    const int64_t octave = (i - 2 * kSubCount) / kSubCount;  // msb - kSubBits - 1
    const int64_t top = kSubCount + (i - 2 * kSubCount) % kSubCount;
    const int shift = static_cast<int>(octave) + 1;
    return ((top + 1) << shift) - 1;
  }

 private:
  std::array<int64_t, kBuckets> counts_{};
  int64_t total_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

}  // namespace aggpay::loadgen
