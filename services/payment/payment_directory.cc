#include "services/payment/payment_directory.h"

#include <grpcpp/grpcpp.h>

#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/fee.grpc.pb.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/risk.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"
#include "services/common/status/field_errors.h"

namespace aggpay::payment {

ResolvedCode FromProto(const aggpay::v1::ResolvedCode& resp) {
  ResolvedCode out;
  out.outcome = resp.outcome();
  out.message = resp.message();
  out.code_id = resp.code_id();
  out.kind = resp.kind();
  out.merchant_id = resp.merchant_id();
  out.store_id = resp.store_id();
  out.terminal_sn = resp.terminal_sn();
  for (const auto& [k, v] : resp.channel_sub_mch_ids()) out.sub_mch_ids[k] = v;
  if (resp.has_amount()) {
    out.amount_minor = resp.amount().amount_minor();
    out.currency = resp.amount().currency();
  }
  return out;
}

absl::StatusOr<RiskVerdict> VerdictOf(const std::string& decision, const std::string& message,
                                      int64_t event_id) {
  if (decision == "BLOCK" || decision == "FREEZE") {
    return common::FailedPreconditionField("risk", message);
  }
  return RiskVerdict{decision, event_id};
}

absl::StatusOr<ResolvedCode> GrpcPaymentDirectory::Resolve(const std::string& code) {
  auto stub = aggpay::v1::BindingService::NewStub(binding_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::ResolveCodeRequest req;
  req.set_code(code);
  aggpay::v1::ResolvedCode resp;
  grpc::Status s = stub->ResolveCode(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return FromProto(resp);
}

absl::StatusOr<MerchantFacts> GrpcPaymentDirectory::Merchant(const std::string& merchant_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::GetMerchantRequest req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::Merchant resp;
  grpc::Status s = stub->GetMerchant(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return MerchantFacts{resp.merchant_id(), resp.status(), resp.home_currency(), resp.time_zone(),
                       resp.region()};
}

absl::StatusOr<FeeQuote> GrpcPaymentDirectory::Quote(const std::string& merchant_id,
                                                     const std::string& wallet,
                                                     const common::Money& amount) {
  auto stub = aggpay::v1::FeeService::NewStub(fee_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::QuoteRequest req;
  req.set_merchant_id(merchant_id);
  req.set_channel(wallet);
  req.mutable_amount()->set_currency(std::string(amount.currency().code()));
  req.mutable_amount()->set_amount_minor(amount.amount_minor());
  aggpay::v1::QuoteResponse resp;
  grpc::Status s = stub->Quote(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return FeeQuote{resp.fee().amount_minor(), resp.plan_id(), resp.plan_version()};
}

absl::StatusOr<std::map<std::string, std::string>> GrpcPaymentDirectory::SubMerchantIds(
    const std::string& merchant_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::MerchantRef req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::MerchantApplication resp;
  grpc::Status s = stub->GetApplication(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  std::map<std::string, std::string> out;
  for (const auto& sm : resp.sub_merchants()) out[sm.channel()] = sm.sub_merchant_id();
  return out;
}

absl::StatusOr<VerifiedTerminal> GrpcPaymentDirectory::VerifyTerminal(
    const std::string& terminal_sn, const std::string& method, const std::string& timestamp,
    const std::string& nonce, const std::string& body_sha256, const std::string& signature) {
  auto stub = aggpay::v1::TerminalService::NewStub(terminal_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::VerifyTerminalRequestRequest req;
  req.set_terminal_sn(terminal_sn);
  req.set_method(method);
  req.set_timestamp(timestamp);
  req.set_nonce(nonce);
  req.set_body_sha256(body_sha256);
  req.set_signature(signature);
  aggpay::v1::Terminal resp;
  grpc::Status s = stub->VerifyTerminalRequest(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  return VerifiedTerminal{resp.terminal_sn(), resp.merchant_id(), resp.store_id()};
}

absl::Status GrpcPaymentDirectory::CodePaid(const std::string& code_id) {
  auto stub = aggpay::v1::BindingService::NewStub(binding_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::CodePaidRequest req;
  req.set_code_id(code_id);
  aggpay::v1::CodePaidResponse resp;
  return common::FromGrpcStatus(stub->CodePaid(ctx.get(), req, &resp));
}

absl::Status GrpcPaymentDirectory::CheckStore(const std::string& merchant_id,
                                              const std::string& store_id) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::MerchantRef req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::ListStoresResponse resp;
  grpc::Status s = stub->ListStores(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  for (const auto& store : resp.stores()) {
    if (store.store_id() == store_id) return absl::OkStatus();
  }
  return absl::NotFoundError("no such store for this merchant");
}

absl::StatusOr<RiskVerdict> GrpcRiskGate::Evaluate(const RiskInput& input,
                                                   const MerchantFacts& merchant) {
  auto stub = aggpay::v1::RiskService::NewStub(risk_);
  auto ctx = common::InternalContext(internal_secret_, absl::Seconds(5));
  aggpay::v1::EvaluateRequest req;
  req.set_merchant_id(input.merchant_id);
  req.set_time_zone(merchant.time_zone);
  req.set_region(merchant.region);
  req.mutable_amount()->set_currency(std::string(input.amount.currency().code()));
  req.mutable_amount()->set_amount_minor(input.amount.amount_minor());
  req.set_terminal_sn(input.terminal_sn);
  req.set_payer_ip(input.payer_ip);
  req.set_device_id(input.device_id);
  req.set_attempt_id(input.attempt_id);
  aggpay::v1::EvaluateResponse resp;
  grpc::Status s = stub->Evaluate(ctx.get(), req, &resp);
  // Without an answer from risk control no payment is taken: the caller may retry.
  if (!s.ok()) return common::FromGrpcStatus(s);
  return VerdictOf(resp.decision(), resp.message(), resp.event_id());
}

}  // namespace aggpay::payment
