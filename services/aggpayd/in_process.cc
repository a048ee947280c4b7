#include "services/aggpayd/in_process.h"

#include "services/binding/domain/code.h"
#include "services/common/status/field_errors.h"
#include "services/fee/domain/fee_plan.h"
#include "services/risk/domain/rules.h"

namespace aggpay::aggpayd {

absl::StatusOr<payment::ResolvedCode> InProcessPaymentDirectory::Resolve(const std::string& code) {
  if (binding_ == nullptr) return remote_.Resolve(code);
  // As the binding service answers a service caller: never limited per address, and with the
  // merchant id when payable (binding_service.cc).
  absl::StatusOr<binding::Resolution> r =
      binding_->Resolve(code, binding::ResolveCaller{"in-process:payment", /*service=*/true});
  if (!r.ok()) return r.status();
  const binding::CodeView& v = r->view;
  payment::ResolvedCode out;
  out.outcome = std::string(binding::ResolveOutcomeName(r->outcome));
  out.code_id = v.code_id;
  out.kind = std::string(binding::CodeKindName(v.kind));
  if (r->outcome == binding::ResolveOutcome::kPayable) {
    out.merchant_id = v.merchant_id;
    out.store_id = v.store_id;
    out.terminal_sn = v.terminal_sn;
    for (const auto& [channel, id] : v.channel_params) out.sub_mch_ids[channel] = id;
    if (v.amount_minor) {
      out.amount_minor = *v.amount_minor;
      out.currency = v.currency;
    }
  } else {
    out.message = std::string(binding::PayerMessage(r->outcome));
  }
  return out;
}

absl::StatusOr<payment::MerchantFacts> InProcessPaymentDirectory::Merchant(
    const std::string& merchant_id) {
  if (merchant_ == nullptr) return remote_.Merchant(merchant_id);
  absl::StatusOr<merchant::Merchant> m = merchant_->GetMerchant(merchant_id);
  if (!m.ok()) return m.status();
  return payment::MerchantFacts{m->merchant_id, m->status, m->home_currency, m->time_zone,
                                m->region};
}

absl::StatusOr<payment::FeeQuote> InProcessPaymentDirectory::Quote(const std::string& merchant_id,
                                                                   const std::string& wallet,
                                                                   const common::Money& amount) {
  if (fee_ == nullptr) return remote_.Quote(merchant_id, wallet, amount);
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
  if (r->decision == risk::Decision::kBlock || r->decision == risk::Decision::kFreeze) {
    return common::FailedPreconditionField("risk", r->message);
  }
  return payment::RiskVerdict{std::string(risk::DecisionName(r->decision)), r->event_id};
}

absl::StatusOr<std::string> InProcessCodeSource::CurrentCodeUrl(const std::string& terminal_sn) {
  binding::BindingOperations* binding = binding_.load(std::memory_order_acquire);
  if (binding == nullptr) return remote_.CurrentCodeUrl(terminal_sn);
  // As BindingService.TerminalCode answers: the URL, or empty when the terminal has no code.
  absl::StatusOr<std::optional<binding::CodeRecord>> code = binding->TerminalCode(terminal_sn);
  if (!code.ok()) return code.status();
  return *code ? binding->Url((*code)->code_id) : std::string();
}

}  // namespace aggpay::aggpayd
