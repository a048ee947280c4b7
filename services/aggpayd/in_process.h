#pragma once

#include <atomic>
#include <map>
#include <string>

#include "services/binding/binding_operations.h"
#include "services/fee/fee_operations.h"
#include "services/merchant/merchant_operations.h"
#include "services/payment/payment_directory.h"
#include "services/risk/risk_operations.h"
#include "services/terminal/merchant_directory.h"

namespace aggpay::aggpayd {

// When aggpayd hosts both a service and the services it asks, the caller's port is served by the
// callees' operations directly instead of by a gRPC call to this same process (a loopback
// round trip through TLS, the auth interceptor and a server thread, per question). The answers
// and statuses are the gRPC adapters' (payment_directory.cc): a resolve goes through the
// binding handler's own ResolutionToProto and the payment adapter's FromProto, a risk decision
// through the adapter's VerdictOf, and the merchant facts and fee quote copy the fields the
// handlers send. Like a gRPC call, none may be made while the thread holds a pooled MySQL
// connection (counted in aggpay_outbound_calls_holding_database_total). The rules stay where
// they are, in the callees' operations. What is lost is what only the interceptor does for these
// calls: they are not counted in aggpay_rpc_requests_total (none of them is audited: they are
// reads, or risk's evaluation, which records its own events).

// The payment service's directory: code resolves, merchant facts and fee quotes in process when
// their services are hosted here (a null operations pointer: not hosted), everything else (and
// those, when not hosted) through `remote`.
class InProcessPaymentDirectory final : public payment::PaymentDirectory {
 public:
  InProcessPaymentDirectory(payment::PaymentDirectory& remote, binding::BindingOperations* binding,
                            merchant::MerchantOperations* merchant, fee::FeeOperations* fee)
      : remote_(remote), binding_(binding), merchant_(merchant), fee_(fee) {}

  absl::StatusOr<payment::ResolvedCode> Resolve(const std::string& code) override;
  absl::StatusOr<payment::MerchantFacts> Merchant(const std::string& merchant_id) override;
  absl::StatusOr<payment::FeeQuote> Quote(const std::string& merchant_id, const std::string& wallet,
                                          const common::Money& amount) override;
  absl::StatusOr<std::map<std::string, std::string>> SubMerchantIds(
      const std::string& merchant_id) override {
    return remote_.SubMerchantIds(merchant_id);
  }
  absl::StatusOr<payment::VerifiedTerminal> VerifyTerminal(const std::string& terminal_sn,
                                                           const std::string& method,
                                                           const std::string& timestamp,
                                                           const std::string& nonce,
                                                           const std::string& body_sha256,
                                                           const std::string& signature) override {
    return remote_.VerifyTerminal(terminal_sn, method, timestamp, nonce, body_sha256, signature);
  }
  absl::Status CodePaid(const std::string& code_id) override { return remote_.CodePaid(code_id); }
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override {
    return remote_.CheckStore(merchant_id, store_id);
  }

 private:
  payment::PaymentDirectory& remote_;
  binding::BindingOperations* const binding_;
  merchant::MerchantOperations* const merchant_;
  fee::FeeOperations* const fee_;
};

// The payment service's risk gate: the risk service's evaluation in process once Bind() has
// named its operations (the risk service is built after the payment service), through `remote`
// until then or when risk is not hosted here.
class InProcessRiskGate final : public payment::RiskGate {
 public:
  explicit InProcessRiskGate(payment::RiskGate& remote) : remote_(remote) {}
  void Bind(risk::RiskOperations* risk) { risk_.store(risk, std::memory_order_release); }

  absl::StatusOr<payment::RiskVerdict> Evaluate(const payment::RiskInput& input,
                                                const payment::MerchantFacts& merchant) override;

 private:
  payment::RiskGate& remote_;
  std::atomic<risk::RiskOperations*> risk_{nullptr};
};

// The terminal service's source of a terminal's current code (sent with every check-in): the
// binding service's operations in process once Bind() has named them (binding is built after
// terminal), through `remote` until then or when binding is not hosted here.
class InProcessCodeSource final : public terminal::CodeSource {
 public:
  explicit InProcessCodeSource(terminal::CodeSource& remote) : remote_(remote) {}
  void Bind(binding::BindingOperations* binding) {
    binding_.store(binding, std::memory_order_release);
  }

  absl::StatusOr<std::string> CurrentCodeUrl(const std::string& terminal_sn) override;

 private:
  terminal::CodeSource& remote_;
  std::atomic<binding::BindingOperations*> binding_{nullptr};
};

}  // namespace aggpay::aggpayd
