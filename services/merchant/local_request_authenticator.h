#pragma once

#include <string>

#include "services/common/grpc/request_authenticator.h"
#include "services/merchant/merchant_operations.h"

namespace aggpay::merchant {

// The auth interceptor's signed-request check when this process hosts the merchant service: the
// merchant domain's AuthenticateRequest, called directly instead of over loopback gRPC.
class LocalRequestAuthenticator final : public common::RequestAuthenticator {
 public:
  explicit LocalRequestAuthenticator(MerchantOperations& ops) : ops_(ops) {}
  absl::StatusOr<std::string> Authenticate(
      const aggpay::v1::AuthenticateRequestRequest& request) override;

 private:
  MerchantOperations& ops_;
};

}  // namespace aggpay::merchant
