#include "services/settlement/domain/reconciliation.h"

#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"

namespace aggpay::settlement {
namespace {

// Half up, away from zero, from 1/1000 minor units to minor units.
int64_t MilliToMinor(int64_t milli) {
  return milli >= 0 ? (milli + 500) / 1000 : -((-milli + 500) / 1000);
}

}  // namespace

absl::string_view ItemKindName(ItemKind k) {
  switch (k) {
    case ItemKind::kMissingOurs:
      return "MISSING_OURS";
    case ItemKind::kMissingChannel:
      return "MISSING_CHANNEL";
    case ItemKind::kAmountDiffers:
      return "AMOUNT_DIFFERS";
    case ItemKind::kStatusDiffers:
      return "STATUS_DIFFERS";
    case ItemKind::kFeeDiffers:
      return "FEE_DIFFERS";
  }
  return "MISSING_OURS";
}

bool FeeTotalsAgree(int64_t a_milli, int64_t b_milli) {
  return MilliToMinor(a_milli) == MilliToMinor(b_milli);
}

int64_t ExpectedFeeMilli(int64_t amount_minor, int64_t cost_rate_ppm) {
  return amount_minor * cost_rate_ppm / 1000;
}

ReconResult Reconcile(const std::vector<payment::BillLine>& bill,
                      const std::vector<OurRecord>& ours, int64_t cost_rate_ppm) {
  ReconResult r;
  // Keyed by kind and id: a payment and a refund never share a key.
  std::map<std::pair<bool, std::string>, const OurRecord*> index;
  for (const OurRecord& o : ours) index[{o.is_refund, o.id}] = &o;
  std::map<std::pair<bool, std::string>, bool> on_bill;
  for (const payment::BillLine& line : bill) {
    ++r.bill_rows;
    const bool refund = line.trade_state == "REFUND";
    const std::string id = refund ? line.out_refund_no : line.out_trade_no;
    const int64_t channel_amount = refund ? line.refund_minor : line.amount_minor;
    const std::string channel_status = refund ? line.refund_state : line.trade_state;
    const std::string channel_ref = refund ? line.channel_refund_id : line.channel_txn_id;
    r.channel_fee_milli += line.fee_milli_minor;
    ReconItem item{ItemKind::kMissingOurs, refund, id, channel_ref, 0, channel_amount, "",
                   channel_status,         ""};
    if (on_bill.contains({refund, id})) {
      // The channel lists the same trade twice: charged (or refunded) twice on its side.
      item.kind = ItemKind::kAmountDiffers;
      item.detail = "on the bill twice: the channel counts it twice";
      ++r.differs;
      r.items.push_back(std::move(item));
      continue;
    }
    on_bill[{refund, id}] = true;
    auto it = index.find({refund, id});
    if (it == index.end()) {
      item.detail = "on the bill, unknown to the platform";
      ++r.missing_ours;
      r.items.push_back(std::move(item));
      continue;
    }
    const OurRecord& o = *it->second;
    item.our_amount = o.amount_minor;
    item.our_status = o.status;
    const int64_t our_fee =
        ExpectedFeeMilli(refund ? -o.amount_minor : o.amount_minor, cost_rate_ppm);
    r.our_fee_milli += our_fee;
    if (o.status != "SUCCESS" || (refund && channel_status != "SUCCESS")) {
      // A refund the channel has not finished (PROCESSING, FAIL) that we count as done, or the
      // reverse: the merchant was debited for money that did not move.
      item.kind = ItemKind::kStatusDiffers;
      item.detail = absl::StrCat("the channel says ", channel_status, ", the platform ", o.status);
    } else if (o.amount_minor != channel_amount || o.currency != line.currency) {
      item.kind = ItemKind::kAmountDiffers;
      item.detail = absl::StrCat("the channel says ", channel_amount, " ", line.currency,
                                 ", the platform ", o.amount_minor, " ", o.currency);
    } else if (std::llabs(line.fee_milli_minor - our_fee) >= 1000) {
      item.kind = ItemKind::kFeeDiffers;
      item.detail =
          absl::StrCat("channel fee ", line.fee_milli_minor, " milli-minor, expected ", our_fee);
    } else {
      ++r.matched;
      continue;
    }
    ++r.differs;
    r.items.push_back(std::move(item));
  }
  for (const OurRecord& o : ours) {
    if (!o.in_day || o.status != "SUCCESS" || on_bill.contains({o.is_refund, o.id})) continue;
    ++r.missing_channel;
    r.items.push_back(ReconItem{ItemKind::kMissingChannel, o.is_refund, o.id, "", o.amount_minor, 0,
                                o.status, "", "succeeded that day, not on the bill"});
  }
  r.fee_totals_agree = FeeTotalsAgree(r.channel_fee_milli, r.our_fee_milli);
  return r;
}

}  // namespace aggpay::settlement
