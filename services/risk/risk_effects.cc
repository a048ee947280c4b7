#include "services/risk/risk_effects.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/payment.grpc.pb.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::risk {
namespace {

namespace v1 = aggpay::v1;

// The merchant's state machine refuses a freeze of a merchant that cannot collect anyway
// (already FROZEN, CLOSED, not yet ACTIVE) and an unfreeze of one that is not FROZEN: both mean
// there is nothing left to do.
absl::Status NothingLeftIsOk(absl::Status s) {
  if (s.code() == absl::StatusCode::kFailedPrecondition) return absl::OkStatus();
  return s;
}

}  // namespace

absl::Status GrpcRiskEffects::FreezeCollection(const std::string& merchant_id,
                                               const std::string& reason) {
  return MerchantStep(true, merchant_id, reason);
}

absl::Status GrpcRiskEffects::UnfreezeCollection(const std::string& merchant_id,
                                                 const std::string& reason) {
  return MerchantStep(false, merchant_id, reason);
}

absl::Status GrpcRiskEffects::MerchantStep(bool freeze, const std::string& merchant_id,
                                           const std::string& reason) {
  auto stub = v1::MerchantService::NewStub(merchant_);
  // A freeze waits for every binding instance to stop serving the merchant's codes.
  auto ctx = common::InternalContext(internal_secret_, absl::Seconds(10));
  v1::ReasonRequest req;
  req.set_merchant_id(merchant_id);
  req.set_reason(reason);
  v1::MerchantApplication resp;
  grpc::Status s = freeze ? stub->FreezeMerchant(ctx.get(), req, &resp)
                          : stub->UnfreezeMerchant(ctx.get(), req, &resp);
  return NothingLeftIsOk(common::FromGrpcStatus(s));
}

absl::Status GrpcRiskEffects::ForceTerminalsOffline(const std::string& merchant_id,
                                                    const std::string& reason) {
  auto stub = v1::TerminalService::NewStub(terminal_);
  auto ctx = common::InternalContext(internal_secret_);
  v1::ForceOfflineRequest req;
  req.set_merchant_id(merchant_id);
  req.set_reason(reason);
  req.set_hold(true);
  v1::ForceOfflineResponse resp;
  return common::FromGrpcStatus(stub->ForceOffline(ctx.get(), req, &resp));
}

absl::Status GrpcRiskEffects::ReleaseTerminals(const std::string& merchant_id,
                                               const std::string& reason) {
  auto stub = v1::TerminalService::NewStub(terminal_);
  auto ctx = common::InternalContext(internal_secret_);
  v1::ReleaseMerchantHoldRequest req;
  req.set_merchant_id(merchant_id);
  req.set_reason(reason);
  v1::ReleaseMerchantHoldResponse resp;
  return common::FromGrpcStatus(stub->ReleaseMerchantHold(ctx.get(), req, &resp));
}

absl::Status GrpcRiskEffects::Notify(const std::string& merchant_id, const std::string& ref_id,
                                     const std::string& body) {
  auto stub = v1::PaymentService::NewStub(payment_);
  auto ctx = common::InternalContext(internal_secret_);
  v1::EnqueueNotificationRequest req;
  req.set_merchant_id(merchant_id);
  req.set_event("risk.alert");
  req.set_ref_id(ref_id);
  req.set_body(body);
  v1::Notification resp;
  return common::FromGrpcStatus(stub->EnqueueNotification(ctx.get(), req, &resp));
}

absl::Status GrpcRiskEffects::MerchantExists(const std::string& merchant_id) {
  auto stub = v1::MerchantService::NewStub(merchant_);
  auto ctx = common::InternalContext(internal_secret_);
  v1::GetMerchantRequest req;
  req.set_merchant_id(merchant_id);
  v1::Merchant resp;
  grpc::Status s = stub->GetMerchant(ctx.get(), req, &resp);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat("merchant_id: no merchant \"", merchant_id, "\""));
  }
  return common::FromGrpcStatus(s);
}

}  // namespace aggpay::risk
