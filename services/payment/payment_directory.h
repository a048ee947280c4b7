#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/money/money.h"

namespace aggpay::v1 {
class ResolvedCode;
}

namespace grpc {
class Channel;
}

namespace aggpay::payment {

// A code as the binding service resolves it for the payment service.
struct ResolvedCode {
  std::string outcome;  // PAYABLE, MERCHANT_FROZEN, REPLACED, EXPIRED, UNBOUND
  std::string message;
  std::string code_id;
  std::string kind;  // STATIC, DYNAMIC
  std::string merchant_id;
  std::string store_id;
  std::string terminal_sn;
  std::map<std::string, std::string> sub_mch_ids;  // wallet -> sub-merchant id
  std::optional<int64_t> amount_minor;             // dynamic codes
  std::string currency;
};

struct MerchantFacts {
  std::string merchant_id;
  std::string status;
  std::string home_currency;
  std::string time_zone;
  std::string region;
};

struct VerifiedTerminal {
  std::string terminal_sn;
  std::string merchant_id;
  std::string store_id;
};

struct FeeQuote {
  int64_t fee_minor = 0;
  std::string plan_id;
  int64_t plan_version = 0;
};

// What the payment service asks of the services that own codes, merchants and fee plans: one
// round trip each per payment, never inside a transaction.
class PaymentDirectory {
 public:
  virtual ~PaymentDirectory() = default;
  virtual absl::StatusOr<ResolvedCode> Resolve(const std::string& code) = 0;
  virtual absl::StatusOr<MerchantFacts> Merchant(const std::string& merchant_id) = 0;
  virtual absl::StatusOr<FeeQuote> Quote(const std::string& merchant_id, const std::string& wallet,
                                         const common::Money& amount) = 0;
  // The merchant's sub-merchant ids per wallet (merchant API payments, which have no code).
  virtual absl::StatusOr<std::map<std::string, std::string>> SubMerchantIds(
      const std::string& merchant_id) = 0;
  // The terminal service's check of a terminal's signed request.
  virtual absl::StatusOr<VerifiedTerminal> VerifyTerminal(
      const std::string& terminal_sn, const std::string& method, const std::string& timestamp,
      const std::string& nonce, const std::string& body_sha256, const std::string& signature) = 0;
  // The first payment on `code_id` ends the grace of the code it replaced, if any.
  virtual absl::Status CodePaid(const std::string& code_id) = 0;
  // OK when the store is the merchant's, NOT_FOUND otherwise.
  virtual absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) = 0;
};

// Risk control's verdict on a payment about to be created. Until the risk service exists this
// lets everything through; the interface is where it plugs in.
struct RiskInput {
  std::string merchant_id;
  std::string terminal_sn;
  std::string payer_ip;
  std::string device_id;
  common::Money amount;
  // The attempt's own key (idempotency key or order number): a retry is counted once.
  std::string attempt_id;
};

// Proceed, flagged or not; a refusal is an error status instead.
struct RiskVerdict {
  std::string decision = "ALLOW";  // ALLOW or REVIEW
  int64_t event_id = 0;
};

class RiskGate {
 public:
  virtual ~RiskGate() = default;
  // FAILED_PRECONDITION naming "risk" for BLOCK and FREEZE; the verdict otherwise.
  virtual absl::StatusOr<RiskVerdict> Evaluate(const RiskInput& input,
                                               const MerchantFacts& merchant) = 0;
};

// For tests and tools that take payments without risk control.
class AllowAllRisk final : public RiskGate {
 public:
  absl::StatusOr<RiskVerdict> Evaluate(const RiskInput&, const MerchantFacts&) override {
    return RiskVerdict{};
  }
};

// BindingService.ResolveCode's answer as the payment service reads it (over gRPC or in process).
ResolvedCode FromProto(const aggpay::v1::ResolvedCode& resp);

// Risk control's decision as the payment service takes it: BLOCK and FREEZE refuse the payment
// (FAILED_PRECONDITION naming "risk", with the rule's message); anything else proceeds.
absl::StatusOr<RiskVerdict> VerdictOf(const std::string& decision, const std::string& message,
                                      int64_t event_id);

// The risk service, over gRPC (RiskService.Evaluate).
class GrpcRiskGate final : public RiskGate {
 public:
  GrpcRiskGate(std::shared_ptr<grpc::Channel> risk, std::string internal_secret)
      : risk_(std::move(risk)), internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<RiskVerdict> Evaluate(const RiskInput& input,
                                       const MerchantFacts& merchant) override;

 private:
  std::shared_ptr<grpc::Channel> risk_;
  std::string internal_secret_;
};

class GrpcPaymentDirectory final : public PaymentDirectory {
 public:
  GrpcPaymentDirectory(std::shared_ptr<grpc::Channel> binding,
                       std::shared_ptr<grpc::Channel> merchant, std::shared_ptr<grpc::Channel> fee,
                       std::shared_ptr<grpc::Channel> terminal, std::string internal_secret)
      : binding_(std::move(binding)),
        merchant_(std::move(merchant)),
        fee_(std::move(fee)),
        terminal_(std::move(terminal)),
        internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<ResolvedCode> Resolve(const std::string& code) override;
  absl::StatusOr<MerchantFacts> Merchant(const std::string& merchant_id) override;
  absl::StatusOr<FeeQuote> Quote(const std::string& merchant_id, const std::string& wallet,
                                 const common::Money& amount) override;
  absl::StatusOr<std::map<std::string, std::string>> SubMerchantIds(
      const std::string& merchant_id) override;
  absl::StatusOr<VerifiedTerminal> VerifyTerminal(const std::string& terminal_sn,
                                                  const std::string& method,
                                                  const std::string& timestamp,
                                                  const std::string& nonce,
                                                  const std::string& body_sha256,
                                                  const std::string& signature) override;
  absl::Status CodePaid(const std::string& code_id) override;
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override;

 private:
  std::shared_ptr<grpc::Channel> binding_;
  std::shared_ptr<grpc::Channel> merchant_;
  std::shared_ptr<grpc::Channel> fee_;
  std::shared_ptr<grpc::Channel> terminal_;
  std::string internal_secret_;
};

}  // namespace aggpay::payment
