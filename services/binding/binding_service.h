#pragma once

#include "aggpay/v1/binding.grpc.pb.h"
#include "services/binding/binding_operations.h"
#include "services/common/grpc/blocking_pool.h"

namespace aggpay::binding {

// A resolve's answer as ResolveCode gives it: merchant details only when payable, the merchant
// id only to a service caller. The in-process path of the payment service uses it too, so that
// both give the same answer.
void ResolutionToProto(const Resolution& r, bool to_service, aggpay::v1::ResolvedCode* out);

// gRPC handlers of aggpay.v1.BindingService: proto <-> domain mapping and status mapping only.
// ResolveCode, the payers' hot path, is on gRPC's callback API: a resolve that this process's
// cache answers is answered inline on gRPC's threads, with no thread hand-off; one that needs
// Redis or MySQL goes to `blocking`, so that a slow store never holds gRPC's threads. Every other
// method is synchronous.
class BindingServiceImpl final : public aggpay::v1::BindingService::WithCallbackMethod_ResolveCode<
                                     aggpay::v1::BindingService::Service> {
 public:
  BindingServiceImpl(BindingOperations& ops, common::BlockingPool& blocking)
      : ops_(ops), blocking_(blocking) {}

  grpc::Status IssueCode(grpc::ServerContext* ctx, const aggpay::v1::IssueCodeRequest* req,
                         aggpay::v1::CollectionCode* resp) override;
  grpc::ServerUnaryReactor* ResolveCode(grpc::CallbackServerContext* ctx,
                                        const aggpay::v1::ResolveCodeRequest* req,
                                        aggpay::v1::ResolvedCode* resp) override;
  grpc::Status GetCode(grpc::ServerContext* ctx, const aggpay::v1::GetCodeRequest* req,
                       aggpay::v1::CollectionCode* resp) override;
  grpc::Status ListCodes(grpc::ServerContext* ctx, const aggpay::v1::ListCodesRequest* req,
                         aggpay::v1::ListCodesResponse* resp) override;
  grpc::Status RenderCode(grpc::ServerContext* ctx, const aggpay::v1::RenderCodeRequest* req,
                          aggpay::v1::CodeImage* resp) override;
  grpc::Status BackupCodes(grpc::ServerContext* ctx, const aggpay::v1::BackupCodesRequest* req,
                           aggpay::v1::BackupCodesResponse* resp) override;
  grpc::Status UnbindCode(grpc::ServerContext* ctx, const aggpay::v1::UnbindCodeRequest* req,
                          aggpay::v1::CollectionCode* resp) override;
  grpc::Status ResetCode(grpc::ServerContext* ctx, const aggpay::v1::ResetCodeRequest* req,
                         aggpay::v1::ResetCodeResponse* resp) override;
  grpc::Status EndGrace(grpc::ServerContext* ctx, const aggpay::v1::EndGraceRequest* req,
                        aggpay::v1::CollectionCode* resp) override;
  grpc::Status RequestReset(grpc::ServerContext* ctx, const aggpay::v1::RequestResetRequest* req,
                            aggpay::v1::ResetRequestView* resp) override;
  grpc::Status VerifyReset(grpc::ServerContext* ctx, const aggpay::v1::VerifyResetRequest* req,
                           aggpay::v1::ResetCodeResponse* resp) override;
  grpc::Status ListResetRequests(grpc::ServerContext* ctx,
                                 const aggpay::v1::ListResetRequestsRequest* req,
                                 aggpay::v1::ListResetRequestsResponse* resp) override;
  grpc::Status ReviewReset(grpc::ServerContext* ctx, const aggpay::v1::ReviewResetRequest* req,
                           aggpay::v1::ResetRequestView* resp) override;
  grpc::Status ListAlerts(grpc::ServerContext* ctx, const aggpay::v1::ListAlertsRequest* req,
                          aggpay::v1::ListAlertsResponse* resp) override;
  grpc::Status CodeHistory(grpc::ServerContext* ctx, const aggpay::v1::CodeHistoryRequest* req,
                           aggpay::v1::CodeHistoryResponse* resp) override;
  grpc::Status TerminalCode(grpc::ServerContext* ctx, const aggpay::v1::TerminalCodeRequest* req,
                            aggpay::v1::TerminalCodeResponse* resp) override;
  grpc::Status CodePaid(grpc::ServerContext* ctx, const aggpay::v1::CodePaidRequest* req,
                        aggpay::v1::CodePaidResponse* resp) override;
  grpc::Status SetMerchantCollection(grpc::ServerContext* ctx,
                                     const aggpay::v1::SetMerchantCollectionRequest* req,
                                     aggpay::v1::SetMerchantCollectionResponse* resp) override;

 private:
  void ToProto(const CodeRecord& c, aggpay::v1::CollectionCode* out) const;
  void ToProto(const ResetOutcome& r, aggpay::v1::ResetCodeResponse* out) const;
  BindingOperations& ops_;
  common::BlockingPool& blocking_;
};

}  // namespace aggpay::binding
