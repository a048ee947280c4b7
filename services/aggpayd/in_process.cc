#include "services/aggpayd/in_process.h"

#include "aggpay/v1/binding.pb.h"
#include "services/binding/binding_service.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/fee/domain/fee_plan.h"
#include "services/risk/domain/rules.h"

namespace aggpay::aggpayd {
namespace {

// An in-process call takes its own pooled connection, as the gRPC call it replaces did: made
// while this thread holds one, it could wait on the shared pool forever. Counted like a service
// call made while holding the database (common::InternalContext), which must stay 0.
void CheckNoDatabaseHeld(absl::string_view what) {
  if (common::ConnectionsHeldByThisThread() > 0) common::NoteOutboundCallWhileHoldingDatabase(what);
}

}  // namespace

absl::StatusOr<payment::ResolvedCode> InProcessPaymentDirectory::Resolve(const std::string& code) {
  if (binding_ == nullptr) return remote_.Resolve(code);
  CheckNoDatabaseHeld("in process: binding");
  // As the binding service answers a service caller: never limited per address, mapped by the
  // handler's own ResolutionToProto.
  absl::StatusOr<binding::Resolution> r =
      binding_->Resolve(code, binding::ResolveCaller{"in-process:payment", /*service=*/true});
  if (!r.ok()) return r.status();
  aggpay::v1::ResolvedCode answer;
  binding::ResolutionToProto(*r, /*to_service=*/true, &answer);
  return payment::FromProto(answer);
}

absl::StatusOr<payment::MerchantFacts> InProcessPaymentDirectory::Merchant(
    const std::string& merchant_id) {
  if (merchant_ == nullptr) return remote_.Merchant(merchant_id);
  CheckNoDatabaseHeld("in process: merchant");
  absl::StatusOr<merchant::Merchant> m = merchant_->GetMerchant(merchant_id);
  if (!m.ok()) return m.status();
  return payment::MerchantFacts{m->merchant_id, m->status, m->home_currency, m->time_zone,
                                m->region};
}

absl::StatusOr<payment::FeeQuote> InProcessPaymentDirectory::Quote(const std::string& merchant_id,
                                                                   const std::string& wallet,
                                                                   const common::Money& amount) {
  if (fee_ == nullptr) return remote_.Quote(merchant_id, wallet, amount);
  CheckNoDatabaseHeld("in process: fee");
  absl::StatusOr<fee::Channel> channel = fee::ParseChannel(wallet);
  if (!channel.ok()) return channel.status();
  absl::StatusOr<fee::QuoteResult> q =
      fee_->QuoteFee("", merchant_id, *channel, amount, std::nullopt);
  if (!q.ok()) return q.status();
  return payment::FeeQuote{q->quote.fee.amount_minor(), q->plan_id, q->plan_version};
}

absl::StatusOr<payment::RiskVerdict> InProcessRiskGate::Evaluate(
    const payment::RiskInput& input, const payment::MerchantFacts& merchant) {
  risk::RiskOperations* risk = risk_.load(std::memory_order_acquire);
  if (risk == nullptr) return remote_.Evaluate(input, merchant);
  CheckNoDatabaseHeld("in process: risk");
  const risk::EvaluateInput in{input.merchant_id,
                               merchant.time_zone,
                               merchant.region,
                               input.amount.amount_minor(),
                               std::string(input.amount.currency().code()),
                               input.terminal_sn,
                               input.payer_ip,
                               input.device_id,
                               input.attempt_id};
  absl::StatusOr<risk::EvaluateResult> r = risk->Evaluate(in);
  // Without an answer from risk control no payment is taken (GrpcRiskGate).
  if (!r.ok()) return r.status();
  return payment::VerdictOf(std::string(risk::DecisionName(r->decision)), r->message, r->event_id);
}

absl::StatusOr<std::string> InProcessCodeSource::CurrentCodeUrl(const std::string& terminal_sn) {
  binding::BindingOperations* binding = binding_.load(std::memory_order_acquire);
  if (binding == nullptr) return remote_.CurrentCodeUrl(terminal_sn);
  CheckNoDatabaseHeld("in process: binding");
  // As BindingService.TerminalCode answers: the URL, or empty when the terminal has no code.
  absl::StatusOr<std::optional<std::string>> code_id = binding->TerminalCodeId(terminal_sn);
  if (!code_id.ok()) return code_id.status();
  return *code_id ? binding->Url(**code_id) : std::string();
}

}  // namespace aggpay::aggpayd
