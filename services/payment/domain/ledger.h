#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/common/money/money.h"

namespace aggpay::payment {

// Double-entry postings (TigerBeetle's model: money is never updated, only posted). A posting
// moves `amount_minor` (> 0) of `currency` from the credited account to the debited one; a
// transaction is a set of postings written together. Accounts are named:
//   "channel:<wallet>:<currency>"           what the channel owes the provider (asset)
//   "merchant:<merchant_id>:<currency>"     what the provider owes the merchant (liability)
//   "fee:<currency>"                        the provider's fee income
struct Posting {
  std::string debit_account;
  std::string credit_account;
  int64_t amount_minor = 0;
  std::string currency;
  std::string kind;  // "capture", "fee", "refund", "fee_return"
};

std::string ChannelAccount(absl::string_view wallet, absl::string_view currency);
std::string MerchantAccount(absl::string_view merchant_id, absl::string_view currency);
std::string FeeAccount(absl::string_view currency);

// A successful payment of `amount` charged `fee` (same currency; fee may be zero):
//   capture:    debit channel, credit merchant, amount
//   fee:        debit merchant, credit fee, fee        (left out when the fee is zero)
std::vector<Posting> CapturePostings(absl::string_view merchant_id, absl::string_view wallet,
                                     const common::Money& amount, const common::Money& fee);
// A successful refund of `amount` returning `fee_return`:
//   refund:     debit merchant, credit channel, amount
//   fee_return: debit fee, credit merchant, fee_return (left out when zero)
std::vector<Posting> RefundPostings(absl::string_view merchant_id, absl::string_view wallet,
                                    const common::Money& amount, const common::Money& fee_return);

// Balances: each account's debits minus its credits. A set of complete postings sums to zero per
// currency by construction; CheckPostings refuses (INTERNAL) a posting with a non-positive
// amount, an empty account or debit == credit.
absl::Status CheckPostings(const std::vector<Posting>& postings);

}  // namespace aggpay::payment
