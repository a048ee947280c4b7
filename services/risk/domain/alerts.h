#pragma once

// A merchant's own warning levels and the alerts a payment raises against them. Pure.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::risk {

struct AlertThresholds {
  std::string merchant_id;
  std::string currency;
  int64_t single_payment_minor = 0;  // 0: no warning
  int64_t hourly_volume_minor = 0;   // 0: no warning
  bool new_region = false;
  bool any() const { return single_payment_minor > 0 || hourly_volume_minor > 0 || new_region; }
};

// Levels are >= 0 (INVALID_ARGUMENT naming the field otherwise) and in one currency.
absl::Status ValidateThresholds(const AlertThresholds& t);

struct AlertDraft {
  std::string kind;        // SINGLE_PAYMENT, HOURLY_VOLUME, NEW_REGION
  std::string dedupe_key;  // one alert per key and merchant
  std::map<std::string, std::string> detail;
};

// What a payment crosses. `hour_total_minor` includes this payment; an hourly alert fires once,
// when the total first passes the level; `region_is_new`: the first payment from that region.
struct AlertFacts {
  std::string attempt_id;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t hour_total_minor = 0;
  std::string hour_key;  // YYYY-MM-DDTHH in the merchant's zone
  std::string payer_region;
  bool region_is_new = false;
};
std::vector<AlertDraft> CrossedThresholds(const AlertThresholds& t, const AlertFacts& f);

}  // namespace aggpay::risk
