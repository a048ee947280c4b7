#include "services/merchant/grpc_collection_control.h"

#include <grpcpp/grpcpp.h>

#include "aggpay/v1/binding.grpc.pb.h"
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

}  // namespace aggpay::merchant
