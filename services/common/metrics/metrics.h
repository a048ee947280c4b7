#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::common {

// Process-wide counters rendered in the Prometheus text format. Lock-free on the recording
// path once a series exists: per-method slots are created once and then only incremented.
class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished RPC: method is the full gRPC name ("/aggpay.v1.AdminService/WhoAmI"),
  // code the numeric grpc::StatusCode.
  void RecordRpc(absl::string_view method, int code, absl::Duration latency);
  // A named event counter, e.g. "redis_fallback_total{path=\"resolve\"}".
  void Increment(absl::string_view series, int64_t by = 1);
  // A named gauge set to `value`, e.g.
  // "certificate_expiry_timestamp_seconds{file=\"/etc/aggpay/tls.crt\"}".
  void SetGauge(absl::string_view series, int64_t value);

  std::string RenderPrometheus() const;

 private:
  static constexpr int kCodes = 17;
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
  struct RpcSeries {
    std::array<std::atomic<int64_t>, kCodes> by_code{};
    std::array<std::atomic<int64_t>, kBucketsSeconds.size() + 1> buckets{};
    std::atomic<int64_t> sum_micros{0};
    std::atomic<int64_t> count{0};
  };
  RpcSeries& Series(absl::string_view method);

  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<RpcSeries>, std::less<>> rpcs_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>, std::less<>> counters_;
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>, std::less<>> gauges_;
};

}  // namespace aggpay::common
