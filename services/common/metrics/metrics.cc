#include "services/common/metrics/metrics.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {
namespace {

constexpr std::array<absl::string_view, 17> kCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

}  // namespace

Metrics::Metrics() = default;

Metrics::RpcSeries& Metrics::Series(absl::string_view method) {
  {
    std::shared_lock lock(mu_);
    auto it = rpcs_.find(method);
    if (it != rpcs_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = rpcs_[std::string(method)];
  if (!slot) slot = std::make_unique<RpcSeries>();
  return *slot;
}

void Metrics::RecordRpc(absl::string_view method, int code, absl::Duration latency) {
  RpcSeries& s = Series(method);
  if (code < 0 || code >= kCodes) code = 2;
  s.by_code[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  size_t bucket = 0;
  while (bucket < kBucketsSeconds.size() && seconds > kBucketsSeconds[bucket]) ++bucket;
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(absl::ToInt64Microseconds(latency), std::memory_order_relaxed);
  s.count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::Increment(absl::string_view series, int64_t by) {
  {
    std::shared_lock lock(mu_);
    auto it = counters_.find(series);
    if (it != counters_.end()) {
      it->second->fetch_add(by, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = counters_[std::string(series)];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  slot->fetch_add(by, std::memory_order_relaxed);
}

void Metrics::SetGauge(absl::string_view series, int64_t value) {
  {
    std::shared_lock lock(mu_);
    auto it = gauges_.find(series);
    if (it != gauges_.end()) {
      it->second->store(value, std::memory_order_relaxed);
      return;
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = gauges_[std::string(series)];
  if (!slot) slot = std::make_unique<std::atomic<int64_t>>(0);
  slot->store(value, std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus() const {
  std::shared_lock lock(mu_);
  std::string out;
  out +=
      "# HELP aggpay_outbound_calls_holding_database_total Service calls made while holding a "
      "database connection (must stay 0).\n";
  out += "# TYPE aggpay_outbound_calls_holding_database_total counter\n";
  out += absl::StrCat("aggpay_outbound_calls_holding_database_total ",
                      OutboundCallsHoldingDatabase(), "\n");
  out += "# HELP aggpay_rpc_requests_total gRPC requests handled, by method and status code.\n";
  out += "# TYPE aggpay_rpc_requests_total counter\n";
  for (const auto& [method, s] : rpcs_) {
    for (size_t c = 0; c < kCodes; ++c) {
      const int64_t n = s->by_code[c].load(std::memory_order_relaxed);
      if (n == 0) continue;
      absl::StrAppend(&out, "aggpay_rpc_requests_total{method=\"", method, "\",code=\"",
                      kCodeNames[c], "\"} ", n, "\n");
    }
  }
  out += "# HELP aggpay_rpc_latency_seconds gRPC handling latency, by method.\n";
  out += "# TYPE aggpay_rpc_latency_seconds histogram\n";
  for (const auto& [method, s] : rpcs_) {
    int64_t cumulative = 0;
    for (size_t b = 0; b < kBucketsSeconds.size(); ++b) {
      cumulative += s->buckets[b].load(std::memory_order_relaxed);
      absl::StrAppend(&out, "aggpay_rpc_latency_seconds_bucket{method=\"", method, "\",le=\"",
                      absl::StrFormat("%g", kBucketsSeconds[b]), "\"} ", cumulative, "\n");
    }
    cumulative += s->buckets[kBucketsSeconds.size()].load(std::memory_order_relaxed);
    absl::StrAppend(&out, "aggpay_rpc_latency_seconds_bucket{method=\"", method, "\",le=\"+Inf\"} ",
                    cumulative, "\n");
    absl::StrAppend(&out, "aggpay_rpc_latency_seconds_sum{method=\"", method, "\"} ",
                    absl::StrFormat("%.6f", s->sum_micros.load() / 1e6), "\n");
    absl::StrAppend(&out, "aggpay_rpc_latency_seconds_count{method=\"", method, "\"} ",
                    s->count.load(), "\n");
  }
  for (const auto& [series, n] : counters_) {
    absl::StrAppend(&out, "aggpay_", series, " ", n->load(std::memory_order_relaxed), "\n");
  }
  for (const auto& [series, n] : gauges_) {
    absl::StrAppend(&out, "aggpay_", series, " ", n->load(std::memory_order_relaxed), "\n");
  }
  return out;
}

}  // namespace aggpay::common
