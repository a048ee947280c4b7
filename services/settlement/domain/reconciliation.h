#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/payment/domain/bill.h"

namespace aggpay::settlement {

// What the platform recorded, for one payment or refund the bill names or the day holds.
struct OurRecord {
  bool is_refund = false;
  std::string id;  // payment_id (the channel's out_trade_no) or refund_id (out_refund_no)
  std::string status;
  int64_t amount_minor = 0;
  std::string currency;
  // Succeeded inside the bill's day: expected on the bill.
  bool in_day = false;
};

enum class ItemKind { kMissingOurs, kMissingChannel, kAmountDiffers, kStatusDiffers, kFeeDiffers };
absl::string_view ItemKindName(ItemKind k);

struct ReconItem {
  ItemKind kind;
  bool is_refund = false;
  std::string ref_id;
  std::string channel_ref;
  int64_t our_amount = 0;
  int64_t channel_amount = 0;
  std::string our_status;
  std::string channel_status;
  std::string detail;
};

struct ReconResult {
  int64_t bill_rows = 0;
  int64_t matched = 0;
  int64_t missing_ours = 0;
  int64_t missing_channel = 0;
  int64_t differs = 0;
  int64_t channel_fee_milli = 0;
  int64_t our_fee_milli = 0;
  bool fee_totals_agree = true;
  std::vector<ReconItem> items;
  bool clean() const { return items.empty() && fee_totals_agree; }
};

// Matches a channel's bill against our records (对账). Each bill row is matched, missing on our
// side, or differs in amount or status; each of our in-day records the bill lacks is missing on
// the channel's side. The channel's fee (its cost, 5 decimals) is expected at `cost_rate_ppm`
// of each row's amount: a row whose fee is off by a minor unit or more is FEE_DIFFERS, smaller
// per-row differences are reconciled on the day's totals, which must agree at the minor unit
// (rounded half up).
ReconResult Reconcile(const std::vector<payment::BillLine>& bill,
                      const std::vector<OurRecord>& ours, int64_t cost_rate_ppm);

// Two fee totals in 1/1000 minor units agree when they round (half up) to the same minor unit.
bool FeeTotalsAgree(int64_t a_milli, int64_t b_milli);

// The expected channel fee of an amount, in 1/1000 of a minor unit (negative for refunds).
int64_t ExpectedFeeMilli(int64_t amount_minor, int64_t cost_rate_ppm);

}  // namespace aggpay::settlement
