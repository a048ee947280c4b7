#pragma once

#include "aggpay/v1/merchant.grpc.pb.h"
#include "services/common/grpc/principal.h"
#include "services/merchant/merchant_operations.h"
#include "services/merchant/onboarding_operations.h"
#include "services/merchant/portal_operations.h"

namespace aggpay::merchant {

// The merchant-visible profile (phone masked), shared by the profile and search handlers.
void ToProto(const Merchant& m, aggpay::v1::Merchant* out);

// API keys and portal users are managed by staff, or by a merchant's owner signed in to the
// portal (the gateway forwards the portal user and role); an API key alone is refused, so a stolen
// key cannot mint another or invite its thief (PERMISSION_DENIED).
absl::Status RequirePortalOwnerOrStaff(const common::Principal& principal);

// gRPC handlers of aggpay.v1.MerchantService: proto <-> domain mapping and status mapping only.
class MerchantServiceImpl final : public aggpay::v1::MerchantService::Service {
 public:
  MerchantServiceImpl(MerchantOperations& ops, OnboardingOperations& onboarding,
                      PortalOperations& portal)
      : ops_(ops), onboarding_(onboarding), portal_(portal) {}

  grpc::Status GetMerchant(grpc::ServerContext* ctx, const aggpay::v1::GetMerchantRequest* req,
                           aggpay::v1::Merchant* resp) override;
  grpc::Status CreateApiKey(grpc::ServerContext* ctx, const aggpay::v1::CreateApiKeyRequest* req,
                            aggpay::v1::CreateApiKeyResponse* resp) override;
  grpc::Status ListApiKeys(grpc::ServerContext* ctx, const aggpay::v1::ListApiKeysRequest* req,
                           aggpay::v1::ListApiKeysResponse* resp) override;
  grpc::Status ListAgedApiKeys(grpc::ServerContext* ctx,
                               const aggpay::v1::ListAgedApiKeysRequest* req,
                               aggpay::v1::ListApiKeysResponse* resp) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* ctx, const aggpay::v1::RevokeApiKeyRequest* req,
                            aggpay::v1::ApiKey* resp) override;
  grpc::Status AuthenticateRequest(grpc::ServerContext* ctx,
                                   const aggpay::v1::AuthenticateRequestRequest* req,
                                   aggpay::v1::AuthenticateRequestResponse* resp) override;

  grpc::Status CreateApplication(grpc::ServerContext* ctx,
                                 const aggpay::v1::CreateApplicationRequest* req,
                                 aggpay::v1::MerchantApplication* resp) override;
  grpc::Status UpdateApplication(grpc::ServerContext* ctx,
                                 const aggpay::v1::UpdateApplicationRequest* req,
                                 aggpay::v1::MerchantApplication* resp) override;
  grpc::Status SubmitApplication(grpc::ServerContext* ctx, const aggpay::v1::MerchantRef* req,
                                 aggpay::v1::MerchantApplication* resp) override;
  grpc::Status StartReview(grpc::ServerContext* ctx, const aggpay::v1::MerchantRef* req,
                           aggpay::v1::MerchantApplication* resp) override;
  grpc::Status ApproveApplication(grpc::ServerContext* ctx,
                                  const aggpay::v1::ApproveApplicationRequest* req,
                                  aggpay::v1::MerchantApplication* resp) override;
  grpc::Status RejectApplication(grpc::ServerContext* ctx,
                                 const aggpay::v1::RejectApplicationRequest* req,
                                 aggpay::v1::MerchantApplication* resp) override;
  grpc::Status FreezeMerchant(grpc::ServerContext* ctx, const aggpay::v1::ReasonRequest* req,
                              aggpay::v1::MerchantApplication* resp) override;
  grpc::Status UnfreezeMerchant(grpc::ServerContext* ctx, const aggpay::v1::ReasonRequest* req,
                                aggpay::v1::MerchantApplication* resp) override;
  grpc::Status CloseMerchant(grpc::ServerContext* ctx, const aggpay::v1::ReasonRequest* req,
                             aggpay::v1::MerchantApplication* resp) override;
  grpc::Status GetApplication(grpc::ServerContext* ctx, const aggpay::v1::MerchantRef* req,
                              aggpay::v1::MerchantApplication* resp) override;
  grpc::Status ListMerchants(grpc::ServerContext* ctx, const aggpay::v1::ListMerchantsRequest* req,
                             aggpay::v1::ListMerchantsResponse* resp) override;
  grpc::Status RequestSettlementAccountOtp(grpc::ServerContext* ctx,
                                           const aggpay::v1::MerchantRef* req,
                                           aggpay::v1::StepUpOtpResponse* resp) override;
  grpc::Status ListPayoutAccounts(grpc::ServerContext* ctx,
                                  const aggpay::v1::ListPayoutAccountsRequest* req,
                                  aggpay::v1::ListPayoutAccountsResponse* resp) override;
  grpc::Status CreateStore(grpc::ServerContext* ctx, const aggpay::v1::CreateStoreRequest* req,
                           aggpay::v1::Store* resp) override;
  grpc::Status ListStores(grpc::ServerContext* ctx, const aggpay::v1::MerchantRef* req,
                          aggpay::v1::ListStoresResponse* resp) override;
  grpc::Status UpdateSettlementAccount(grpc::ServerContext* ctx,
                                       const aggpay::v1::UpdateSettlementAccountRequest* req,
                                       aggpay::v1::MerchantApplication* resp) override;
  grpc::Status CreateAgent(grpc::ServerContext* ctx, const aggpay::v1::CreateAgentRequest* req,
                           aggpay::v1::Agent* resp) override;

  // The merchant portal (portal_service.cc).
  grpc::Status RequestPortalCode(grpc::ServerContext* ctx,
                                 const aggpay::v1::RequestPortalCodeRequest* req,
                                 aggpay::v1::RequestPortalCodeResponse* resp) override;
  grpc::Status VerifyPortalCode(grpc::ServerContext* ctx,
                                const aggpay::v1::VerifyPortalCodeRequest* req,
                                aggpay::v1::PortalSession* resp) override;
  grpc::Status CheckPortalSession(grpc::ServerContext* ctx, const aggpay::v1::PortalSessionRef* req,
                                  aggpay::v1::PortalPrincipal* resp) override;
  grpc::Status EndPortalSession(grpc::ServerContext* ctx, const aggpay::v1::PortalSessionRef* req,
                                aggpay::v1::EndPortalSessionResponse* resp) override;
  grpc::Status ListMerchantUsers(grpc::ServerContext* ctx, const aggpay::v1::MerchantRef* req,
                                 aggpay::v1::ListMerchantUsersResponse* resp) override;
  grpc::Status InviteMerchantUser(grpc::ServerContext* ctx,
                                  const aggpay::v1::InviteMerchantUserRequest* req,
                                  aggpay::v1::MerchantUser* resp) override;
  grpc::Status RemoveMerchantUser(grpc::ServerContext* ctx,
                                  const aggpay::v1::RemoveMerchantUserRequest* req,
                                  aggpay::v1::MerchantUser* resp) override;

 private:
  grpc::Status Step(grpc::ServerContext* ctx, const std::string& merchant_id,
                    OnboardingAction action, const std::string& reason,
                    aggpay::v1::MerchantApplication* resp);

  MerchantOperations& ops_;
  OnboardingOperations& onboarding_;
  PortalOperations& portal_;
};

}  // namespace aggpay::merchant
