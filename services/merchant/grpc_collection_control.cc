#include "services/merchant/grpc_collection_control.h"

#include <grpcpp/grpcpp.h>

#include "aggpay/v1/binding.grpc.pb.h"
#include "aggpay/v1/risk.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::merchant {

absl::Status GrpcCollectionControl::SetCollection(const std::string& merchant_id,
                                                  const std::string& status,
                                                  const std::string& reason) {
  auto stub = aggpay::v1::BindingService::NewStub(binding_);
  // A block waits for every binding instance to confirm (at most about two cache leases).
  auto ctx = common::InternalContext(internal_secret_, absl::Seconds(10));
  aggpay::v1::SetMerchantCollectionRequest req;
  req.set_merchant_id(merchant_id);
  req.set_status(status);
  req.set_reason(reason);
  aggpay::v1::SetMerchantCollectionResponse resp;
  return common::FromGrpcStatus(stub->SetMerchantCollection(ctx.get(), req, &resp));
}

absl::StatusOr<bool> GrpcRiskHolds::TransactionFrozen(const std::string& merchant_id) {
  auto stub = aggpay::v1::RiskService::NewStub(risk_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::ListFreezesRequest req;
  req.set_merchant_id(merchant_id);
  aggpay::v1::ListFreezesResponse resp;
  grpc::Status s = stub->ListFreezes(ctx.get(), req, &resp);
  if (!s.ok()) return common::FromGrpcStatus(s);
  for (const auto& f : resp.freezes()) {
    if (f.kind() == "TRANSACTION" && f.status() == "ACTIVE") return true;
  }
  return false;
}

}  // namespace aggpay::merchant
