#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace aggpay::merchant {

// Asks a payment channel for the sub-merchant number the provider holds for a merchant under
// its own service-provider account (WeChat sub_mch_id, Alipay smid, UnionPay mer id).
class ChannelOnboarding {
 public:
  virtual ~ChannelOnboarding() = default;
  // `channel` is wechat, alipay or unionpay. Asking twice for one merchant gives the same id.
  virtual absl::StatusOr<std::string> RequestSubMerchantId(const std::string& channel,
                                                           const std::string& merchant_id,
                                                           const std::string& legal_name) = 0;
};

// The built-in sandbox channel: issues well-formed ids derived from the merchant id, the way a
// real channel returns one id per merchant and application.
class SandboxChannelOnboarding final : public ChannelOnboarding {
 public:
  absl::StatusOr<std::string> RequestSubMerchantId(const std::string& channel,
                                                   const std::string& merchant_id,
                                                   const std::string& legal_name) override;
};

// Puts a merchant on a fee plan: the fee service owns assignments.
class FeePlanAssigner {
 public:
  virtual ~FeePlanAssigner() = default;
  virtual absl::Status AssignPlan(const std::string& merchant_id, const std::string& plan_id) = 0;
};

// Blocks or unblocks collection on a merchant's codes: the binding service owns the codes. OK
// only once the change is effective everywhere.
class CollectionControl {
 public:
  virtual ~CollectionControl() = default;
  // `status`: "FROZEN", "CLOSED" (codes unbound for good) or "ACTIVE".
  virtual absl::Status SetCollection(const std::string& merchant_id, const std::string& status,
                                     const std::string& reason) = 0;
};

// Whether risk control holds a transaction freeze on the merchant: then only an approved appeal
// (risk, calling as a service) may unfreeze it, never a staff unfreeze here.
class RiskHolds {
 public:
  virtual ~RiskHolds() = default;
  virtual absl::StatusOr<bool> TransactionFrozen(const std::string& merchant_id) = 0;
};

}  // namespace aggpay::merchant
