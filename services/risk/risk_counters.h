#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/redis/redis_client.h"
#include "services/risk/domain/rules.h"

namespace aggpay::risk {

// Everything one evaluation counts, sent to Redis as one script: one round trip.
struct CounterRequest {
  CounterPlan plan;
  std::string merchant_id;
  std::string currency;
  int64_t amount_minor = 0;
  absl::Time now;
  std::string attempt_id;  // the same attempt counted twice is counted once (night rule)
  std::string payer_region;
  std::string payer_subnet;
  std::string device_id;
  // The merchant's own alert levels: this hour's volume, and whether a region is new.
  bool hourly = false;
  std::string hour_key;
  bool seen_region = false;
};

struct CounterAnswer {
  Counters counters;
  int64_t hour_total_minor = 0;
  bool region_new = false;
};

class RiskCounters {
 public:
  virtual ~RiskCounters() = default;
  // UNAVAILABLE when Redis cannot answer: each rule then fails by its mode.
  virtual absl::StatusOr<CounterAnswer> Apply(const CounterRequest& request) = 0;
  // Forgets the merchant's counts (not the regions it has seen): after an approved appeal the
  // payments a reviewer cleared do not freeze the merchant again.
  virtual absl::Status Reset(const std::string& merchant_id) = 0;
};

// Keys: risk:{merchant}:... per merchant (one hash slot with the braces) and risk:dev:... per
// payer device. Every key expires after its window.
class RedisRiskCounters final : public RiskCounters {
 public:
  explicit RedisRiskCounters(common::RedisClient& redis) : redis_(redis) {}
  absl::StatusOr<CounterAnswer> Apply(const CounterRequest& request) override;
  absl::Status Reset(const std::string& merchant_id) override;

 private:
  common::RedisClient& redis_;
};

}  // namespace aggpay::risk
