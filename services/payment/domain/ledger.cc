#include "services/payment/domain/ledger.h"

#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aggpay::payment {
namespace {

Posting Make(std::string debit, std::string credit, const common::Money& amount,
             absl::string_view kind) {
  return Posting{.debit_account = std::move(debit),
                 .credit_account = std::move(credit),
                 .amount_minor = amount.amount_minor(),
                 .currency = std::string(amount.currency().code()),
                 .kind = std::string(kind)};
}

}  // namespace

std::string ChannelAccount(absl::string_view wallet, absl::string_view currency) {
  return absl::StrCat("channel:", wallet, ":", currency);
}

std::string MerchantAccount(absl::string_view merchant_id, absl::string_view currency) {
  return absl::StrCat("merchant:", merchant_id, ":", currency);
}

std::string FeeAccount(absl::string_view currency) { return absl::StrCat("fee:", currency); }

std::vector<Posting> CapturePostings(absl::string_view merchant_id, absl::string_view wallet,
                                     const common::Money& amount, const common::Money& fee) {
  std::vector<Posting> postings;
  postings.reserve(2);
  postings.push_back(Make(ChannelAccount(wallet, amount.currency().code()),
                          MerchantAccount(merchant_id, amount.currency().code()), amount,
                          "capture"));
  if (!fee.is_zero()) {
    postings.push_back(Make(MerchantAccount(merchant_id, fee.currency().code()),
                            FeeAccount(fee.currency().code()), fee, "fee"));
  }
  return postings;
}

std::vector<Posting> RefundPostings(absl::string_view merchant_id, absl::string_view wallet,
                                    const common::Money& amount, const common::Money& fee_return) {
  std::vector<Posting> postings;
  postings.reserve(2);
  postings.push_back(Make(MerchantAccount(merchant_id, amount.currency().code()),
                          ChannelAccount(wallet, amount.currency().code()), amount, "refund"));
  if (!fee_return.is_zero()) {
    postings.push_back(Make(FeeAccount(fee_return.currency().code()),
                            MerchantAccount(merchant_id, fee_return.currency().code()), fee_return,
                            "fee_return"));
  }
  return postings;
}

absl::Status CheckPostings(const std::vector<Posting>& postings) {
  for (size_t i = 0; i < postings.size(); ++i) {
    const Posting& p = postings[i];
    const auto refuse = [&](absl::string_view why) {
      return absl::InternalError(absl::StrCat("posting ", i, " (", p.kind, " ", p.debit_account,
                                              " <- ", p.credit_account, "): ", why));
    };
    if (p.amount_minor <= 0)
      return refuse(absl::StrCat("amount ", p.amount_minor, " is not positive"));
    if (p.debit_account.empty() || p.credit_account.empty()) return refuse("empty account");
    if (p.debit_account == p.credit_account) return refuse("debits and credits the same account");
    if (p.currency.empty()) return refuse("no currency");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::payment
