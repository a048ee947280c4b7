#pragma once

#include "aggpay/v1/fee.grpc.pb.h"
#include "services/fee/fee_operations.h"

namespace aggpay::fee {

// gRPC handlers of aggpay.v1.FeeService: proto <-> domain mapping and status mapping only.
class FeeServiceImpl final : public aggpay::v1::FeeService::Service {
 public:
  explicit FeeServiceImpl(FeeOperations& ops) : ops_(ops) {}

  grpc::Status CreatePlan(grpc::ServerContext* ctx, const aggpay::v1::CreatePlanRequest* req,
                          aggpay::v1::FeePlan* resp) override;
  grpc::Status UpdatePlan(grpc::ServerContext* ctx, const aggpay::v1::UpdatePlanRequest* req,
                          aggpay::v1::FeePlan* resp) override;
  grpc::Status GetPlan(grpc::ServerContext* ctx, const aggpay::v1::GetPlanRequest* req,
                       aggpay::v1::FeePlan* resp) override;
  grpc::Status ListPlans(grpc::ServerContext* ctx, const aggpay::v1::ListPlansRequest* req,
                         aggpay::v1::ListPlansResponse* resp) override;
  grpc::Status AssignPlan(grpc::ServerContext* ctx, const aggpay::v1::AssignPlanRequest* req,
                          aggpay::v1::PlanAssignment* resp) override;
  grpc::Status GetMerchantPlan(grpc::ServerContext* ctx,
                               const aggpay::v1::GetMerchantPlanRequest* req,
                               aggpay::v1::PlanAssignment* resp) override;
  grpc::Status Quote(grpc::ServerContext* ctx, const aggpay::v1::QuoteRequest* req,
                     aggpay::v1::QuoteResponse* resp) override;
  grpc::Status RefundFee(grpc::ServerContext* ctx, const aggpay::v1::RefundFeeRequest* req,
                         aggpay::v1::RefundFeeResponse* resp) override;
  grpc::Status SplitFee(grpc::ServerContext* ctx, const aggpay::v1::SplitFeeRequest* req,
                        aggpay::v1::SplitFeeResponse* resp) override;
  grpc::Status SetAgentCostRate(grpc::ServerContext* ctx,
                                const aggpay::v1::SetAgentCostRateRequest* req,
                                aggpay::v1::AgentCostRate* resp) override;
  grpc::Status ComparePlans(grpc::ServerContext* ctx, const aggpay::v1::ComparePlansRequest* req,
                            aggpay::v1::ComparePlansResponse* resp) override;

 private:
  FeeOperations& ops_;
};

}  // namespace aggpay::fee
