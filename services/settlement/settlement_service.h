#pragma once

#include "aggpay/v1/settlement.grpc.pb.h"
#include "services/settlement/settlement_operations.h"

namespace aggpay::settlement {

// gRPC handlers of aggpay.v1.SettlementService: proto <-> domain mapping and status mapping.
class SettlementServiceImpl final : public aggpay::v1::SettlementService::Service {
 public:
  explicit SettlementServiceImpl(SettlementOperations& ops) : ops_(ops) {}

  grpc::Status ListBatches(grpc::ServerContext* ctx, const aggpay::v1::ListBatchesRequest* req,
                           aggpay::v1::ListBatchesResponse* resp) override;
  grpc::Status ListLines(grpc::ServerContext* ctx, const aggpay::v1::ListLinesRequest* req,
                         aggpay::v1::ListLinesResponse* resp) override;
  grpc::Status GetNextPayout(grpc::ServerContext* ctx, const aggpay::v1::GetNextPayoutRequest* req,
                             aggpay::v1::NextPayout* resp) override;
  grpc::Status GetStatement(grpc::ServerContext* ctx, const aggpay::v1::GetStatementRequest* req,
                            aggpay::v1::Statement* resp) override;
  grpc::Status ReleaseHeld(grpc::ServerContext* ctx, const aggpay::v1::ReleaseHeldRequest* req,
                           aggpay::v1::ReleaseHeldResponse* resp) override;
  grpc::Status ImportCalendar(grpc::ServerContext* ctx,
                              const aggpay::v1::ImportCalendarRequest* req,
                              aggpay::v1::ImportCalendarResponse* resp) override;
  grpc::Status Reconcile(grpc::ServerContext* ctx, const aggpay::v1::ReconcileRequest* req,
                         aggpay::v1::Reconciliation* resp) override;
  grpc::Status ListReconciliations(grpc::ServerContext* ctx,
                                   const aggpay::v1::ListReconciliationsRequest* req,
                                   aggpay::v1::ListReconciliationsResponse* resp) override;

 private:
  SettlementOperations& ops_;
};

void ToProto(const Line& l, aggpay::v1::SettlementLine* out);
void ToProto(const Batch& b, aggpay::v1::SettlementBatch* out);
void ToProto(const StoredReconciliation& r, aggpay::v1::Reconciliation* out);

}  // namespace aggpay::settlement
