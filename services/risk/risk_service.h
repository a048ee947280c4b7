#pragma once

#include "aggpay/v1/risk.grpc.pb.h"
#include "services/risk/risk_operations.h"

namespace aggpay::risk {

// gRPC handlers of aggpay.v1.RiskService: proto <-> domain mapping, tenancy and status mapping.
class RiskServiceImpl final : public aggpay::v1::RiskService::Service {
 public:
  explicit RiskServiceImpl(RiskOperations& ops) : ops_(ops) {}

  grpc::Status Evaluate(grpc::ServerContext* ctx, const aggpay::v1::EvaluateRequest* req,
                        aggpay::v1::EvaluateResponse* resp) override;
  grpc::Status ListEvents(grpc::ServerContext* ctx, const aggpay::v1::ListRiskEventsRequest* req,
                          aggpay::v1::ListRiskEventsResponse* resp) override;
  grpc::Status ListRules(grpc::ServerContext* ctx, const aggpay::v1::ListRulesRequest* req,
                         aggpay::v1::ListRulesResponse* resp) override;
  grpc::Status UpdateRule(grpc::ServerContext* ctx, const aggpay::v1::UpdateRuleRequest* req,
                          aggpay::v1::RiskRule* resp) override;
  grpc::Status ImportRegions(grpc::ServerContext* ctx, const aggpay::v1::ImportRegionsRequest* req,
                             aggpay::v1::ImportRegionsResponse* resp) override;
  grpc::Status FreezeMerchant(grpc::ServerContext* ctx, const aggpay::v1::RiskFreezeRequest* req,
                              aggpay::v1::RiskFreeze* resp) override;
  grpc::Status ListFreezes(grpc::ServerContext* ctx, const aggpay::v1::ListFreezesRequest* req,
                           aggpay::v1::ListFreezesResponse* resp) override;
  grpc::Status SubmitAppeal(grpc::ServerContext* ctx, const aggpay::v1::SubmitAppealRequest* req,
                            aggpay::v1::Appeal* resp) override;
  grpc::Status ListAppeals(grpc::ServerContext* ctx, const aggpay::v1::ListAppealsRequest* req,
                           aggpay::v1::ListAppealsResponse* resp) override;
  grpc::Status ReviewAppeal(grpc::ServerContext* ctx, const aggpay::v1::ReviewAppealRequest* req,
                            aggpay::v1::Appeal* resp) override;
  grpc::Status PassSecurityCheck(grpc::ServerContext* ctx,
                                 const aggpay::v1::PassSecurityCheckRequest* req,
                                 aggpay::v1::RiskFreeze* resp) override;
  grpc::Status GetThresholds(grpc::ServerContext* ctx, const aggpay::v1::GetThresholdsRequest* req,
                             aggpay::v1::AlertThresholds* resp) override;
  grpc::Status SetThresholds(grpc::ServerContext* ctx, const aggpay::v1::SetThresholdsRequest* req,
                             aggpay::v1::AlertThresholds* resp) override;
  grpc::Status ListAlerts(grpc::ServerContext* ctx, const aggpay::v1::ListRiskAlertsRequest* req,
                          aggpay::v1::ListRiskAlertsResponse* resp) override;

 private:
  RiskOperations& ops_;
};

}  // namespace aggpay::risk
