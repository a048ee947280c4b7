#pragma once

#include "aggpay/v1/merchant.grpc.pb.h"
#include "services/merchant/merchant_operations.h"

namespace aggpay::merchant {

// gRPC handlers of aggpay.v1.MerchantService: proto <-> domain mapping and status mapping only.
class MerchantServiceImpl final : public aggpay::v1::MerchantService::Service {
 public:
  explicit MerchantServiceImpl(MerchantOperations& ops) : ops_(ops) {}

  grpc::Status GetMerchant(grpc::ServerContext* ctx, const aggpay::v1::GetMerchantRequest* req,
                           aggpay::v1::Merchant* resp) override;
  grpc::Status CreateApiKey(grpc::ServerContext* ctx, const aggpay::v1::CreateApiKeyRequest* req,
                            aggpay::v1::CreateApiKeyResponse* resp) override;
  grpc::Status ListApiKeys(grpc::ServerContext* ctx, const aggpay::v1::ListApiKeysRequest* req,
                           aggpay::v1::ListApiKeysResponse* resp) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* ctx, const aggpay::v1::RevokeApiKeyRequest* req,
                            aggpay::v1::ApiKey* resp) override;
  grpc::Status AuthenticateRequest(grpc::ServerContext* ctx,
                                   const aggpay::v1::AuthenticateRequestRequest* req,
                                   aggpay::v1::AuthenticateRequestResponse* resp) override;

 private:
  MerchantOperations& ops_;
};

}  // namespace aggpay::merchant
