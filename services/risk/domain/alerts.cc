#include "services/risk/domain/alerts.h"

#include "absl/strings/str_cat.h"
#include "services/common/money/money.h"
#include "services/common/status/field_errors.h"

namespace aggpay::risk {

absl::Status ValidateThresholds(const AlertThresholds& t) {
  auto currency = common::Currency::Find(t.currency, "currency");
  if (!currency.ok()) return currency.status();
  if (t.single_payment_minor < 0) {
    return common::InvalidField("single_payment_over.amount_minor", "must be 0 (none) or more");
  }
  if (t.hourly_volume_minor < 0) {
    return common::InvalidField("hourly_volume_over.amount_minor", "must be 0 (none) or more");
  }
  return absl::OkStatus();
}

std::vector<AlertDraft> CrossedThresholds(const AlertThresholds& t, const AlertFacts& f) {
  std::vector<AlertDraft> out;
  if (f.currency != t.currency) return out;
  if (t.single_payment_minor > 0 && f.amount_minor > t.single_payment_minor) {
    out.push_back({"SINGLE_PAYMENT",
                   absl::StrCat("single:", f.attempt_id),
                   {{"amount_minor", absl::StrCat(f.amount_minor)},
                    {"threshold_minor", absl::StrCat(t.single_payment_minor)},
                    {"currency", f.currency}}});
  }
  if (t.hourly_volume_minor > 0 && f.hour_total_minor > t.hourly_volume_minor &&
      f.hour_total_minor - f.amount_minor <= t.hourly_volume_minor) {
    out.push_back({"HOURLY_VOLUME",
                   absl::StrCat("hour:", f.hour_key),
                   {{"hour_total_minor", absl::StrCat(f.hour_total_minor)},
                    {"threshold_minor", absl::StrCat(t.hourly_volume_minor)},
                    {"hour", f.hour_key},
                    {"currency", f.currency}}});
  }
  if (t.new_region && f.region_is_new && !f.payer_region.empty()) {
    out.push_back(
        {"NEW_REGION", absl::StrCat("region:", f.payer_region), {{"region", f.payer_region}}});
  }
  return out;
}

}  // namespace aggpay::risk
