#include "services/merchant/grpc_fee_plan_assigner.h"

#include <grpcpp/grpcpp.h>

#include "aggpay/v1/fee.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/grpc/status_mapping.h"

namespace aggpay::merchant {

absl::Status GrpcFeePlanAssigner::AssignPlan(const std::string& merchant_id,
                                             const std::string& plan_id) {
  auto stub = aggpay::v1::FeeService::NewStub(fee_);
  auto ctx = common::InternalContext(internal_secret_);
  aggpay::v1::AssignPlanRequest req;
  req.set_merchant_id(merchant_id);
  req.set_plan_id(plan_id);
  aggpay::v1::PlanAssignment resp;
  return common::FromGrpcStatus(stub->AssignPlan(ctx.get(), req, &resp));
}

}  // namespace aggpay::merchant
