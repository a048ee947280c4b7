#pragma once

#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/terminal/terminal_operations.h"

namespace aggpay::terminal {

// gRPC handlers of aggpay.v1.TerminalService: proto <-> domain mapping and status mapping only.
class TerminalServiceImpl final : public aggpay::v1::TerminalService::Service {
 public:
  explicit TerminalServiceImpl(TerminalOperations& ops) : ops_(ops) {}

  grpc::Status RegisterTerminal(grpc::ServerContext* ctx,
                                const aggpay::v1::RegisterTerminalRequest* req,
                                aggpay::v1::Terminal* resp) override;
  grpc::Status IssueActivationCode(grpc::ServerContext* ctx,
                                   const aggpay::v1::IssueActivationCodeRequest* req,
                                   aggpay::v1::ActivationCode* resp) override;
  grpc::Status Activate(grpc::ServerContext* ctx, const aggpay::v1::ActivateRequest* req,
                        aggpay::v1::ActivateResponse* resp) override;
  grpc::Status VerifyTerminalRequest(grpc::ServerContext* ctx,
                                     const aggpay::v1::VerifyTerminalRequestRequest* req,
                                     aggpay::v1::Terminal* resp) override;
  grpc::Status CheckIn(grpc::ServerContext* ctx, const aggpay::v1::CheckInRequest* req,
                       aggpay::v1::CheckInResponse* resp) override;
  grpc::Status GetTerminal(grpc::ServerContext* ctx, const aggpay::v1::GetTerminalRequest* req,
                           aggpay::v1::Terminal* resp) override;
  grpc::Status ListTerminals(grpc::ServerContext* ctx, const aggpay::v1::ListTerminalsRequest* req,
                             aggpay::v1::ListTerminalsResponse* resp) override;
  grpc::Status ListMyTerminals(grpc::ServerContext* ctx,
                               const aggpay::v1::ListMyTerminalsRequest* req,
                               aggpay::v1::ListTerminalsResponse* resp) override;
  grpc::Status SetChannelConfig(grpc::ServerContext* ctx,
                                const aggpay::v1::SetChannelConfigRequest* req,
                                aggpay::v1::ChannelConfig* resp) override;
  grpc::Status ReleaseMerchantHold(grpc::ServerContext* ctx,
                                   const aggpay::v1::ReleaseMerchantHoldRequest* req,
                                   aggpay::v1::ReleaseMerchantHoldResponse* resp) override;
  grpc::Status ForceOffline(grpc::ServerContext* ctx, const aggpay::v1::ForceOfflineRequest* req,
                            aggpay::v1::ForceOfflineResponse* resp) override;
  grpc::Status FreezeTerminal(grpc::ServerContext* ctx, const aggpay::v1::TerminalRef* req,
                              aggpay::v1::Terminal* resp) override;
  grpc::Status UnfreezeTerminal(grpc::ServerContext* ctx, const aggpay::v1::TerminalRef* req,
                                aggpay::v1::Terminal* resp) override;
  grpc::Status ClearTerminal(grpc::ServerContext* ctx, const aggpay::v1::TerminalRef* req,
                             aggpay::v1::Terminal* resp) override;
  grpc::Status RetireTerminal(grpc::ServerContext* ctx, const aggpay::v1::TerminalRef* req,
                              aggpay::v1::Terminal* resp) override;

 private:
  grpc::Status StatusStep(grpc::ServerContext* ctx, const aggpay::v1::TerminalRef* req,
                          TerminalAction action, aggpay::v1::Terminal* resp);
  grpc::Status ListPage(TerminalFilter filter, int page_size, const std::string& page_token,
                        aggpay::v1::ListTerminalsResponse* resp);
  TerminalOperations& ops_;
};

}  // namespace aggpay::terminal
