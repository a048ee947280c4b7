#include "tools/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace aggpay::loadgen {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 50);
  EXPECT_EQ(h.ValueAtQuantile(0.99), 99);
  EXPECT_EQ(h.ValueAtQuantile(1.0), 100);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogramTest, EveryBucketBoundHoldsItsValuesWithinOnePercent) {
  // Each value maps to a bucket whose highest value is at or above it and within 1/128.
  for (int64_t v = 0; v < LatencyHistogram::kMaxValue; v = v * 3 / 2 + 1) {
    const size_t i = LatencyHistogram::Index(v);
    ASSERT_LT(i, LatencyHistogram::kBuckets) << v;
    const int64_t high = LatencyHistogram::HighestInBucket(i);
    EXPECT_GE(high, v);
    EXPECT_LE(static_cast<double>(high - v), static_cast<double>(v) / 128.0) << v;
    if (i + 1 < LatencyHistogram::kBuckets) {
      EXPECT_GT(LatencyHistogram::HighestInBucket(i + 1), high);
    }
  }
  EXPECT_EQ(LatencyHistogram::Index(LatencyHistogram::kMaxValue), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogramTest, TailPercentilesOfAMixedRun) {
  // 990 fast calls at 200 us and 10 stalls at 50 ms: p99 is still fast, p99.9 is a stall.
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(200'000);
  for (int i = 0; i < 10; ++i) h.Record(50'000'000);
  EXPECT_NEAR(h.ValueAtQuantile(0.99), 200'000, 200'000 / 128);
  EXPECT_NEAR(h.ValueAtQuantile(0.999), 50'000'000, 50'000'000 / 128);
  EXPECT_LE(h.ValueAtQuantile(0.999), h.max());
}

TEST(LatencyHistogramTest, MergeMatchesOneHistogram) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(12.0, 1.0);  // around 160 us
  LatencyHistogram a, b, both;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<int64_t>(dist(rng));
    (i % 2 ? a : b).Record(v);
    both.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), both.count());
  for (double q : {0.5, 0.9, 0.99, 0.999}) EXPECT_EQ(a.ValueAtQuantile(q), both.ValueAtQuantile(q));
}

TEST(LatencyHistogramTest, OutOfRangeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(INT64_MAX);
  EXPECT_EQ(h.ValueAtQuantile(0.5), 0);
  EXPECT_EQ(h.ValueAtQuantile(1.0), LatencyHistogram::kMaxValue);
  EXPECT_EQ(LatencyHistogram().ValueAtQuantile(0.99), 0);
}

}  // namespace
}  // namespace aggpay::loadgen
