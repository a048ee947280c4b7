#include "services/common/grpc/request_authenticator.h"

#include <grpcpp/grpcpp.h>

#include "aggpay/v1/merchant.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc/principal.h"
#include "services/common/log/logging.h"
#include "services/common/status/field_errors.h"

namespace aggpay::common {

GrpcRequestAuthenticator::GrpcRequestAuthenticator(std::shared_ptr<grpc::Channel> merchant,
                                                   std::string internal_secret,
                                                   absl::Duration timeout)
    : merchant_(std::move(merchant)),
      internal_secret_(std::move(internal_secret)),
      timeout_(timeout) {}

absl::StatusOr<std::string> GrpcRequestAuthenticator::Authenticate(
    const aggpay::v1::AuthenticateRequestRequest& request) {
  auto stub = aggpay::v1::MerchantService::NewStub(merchant_);
  auto ctx = InternalContext(internal_secret_, timeout_);
  aggpay::v1::AuthenticateRequestResponse resp;
  const grpc::Status status = stub->AuthenticateRequest(ctx.get(), request, &resp);
  if (status.ok()) {
    if (resp.merchant_id().empty())
      return absl::InternalError("AuthenticateRequest named no merchant");
    return resp.merchant_id();
  }
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::PERMISSION_DENIED:
      spdlog::error("the merchant service refused this process's call of AuthenticateRequest: {}",
                    message);
      return absl::InternalError("the merchant service refused AuthenticateRequest");
    case grpc::StatusCode::UNAUTHENTICATED:
      if (message == "invalid internal credential") {
        spdlog::error("the merchant service refused this process's internal credential");
        return absl::InternalError("the merchant service refused AuthenticateRequest");
      }
      return absl::UnauthenticatedError(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED: {
      // The wait travels as google.rpc.RetryInfo; the client's Retry-After depends on it.
      absl::Duration wait = absl::Seconds(1);
      google::rpc::Status rich;
      if (rich.ParseFromString(status.error_details())) {
        for (const auto& any : rich.details()) {
          google::rpc::RetryInfo retry;
          if (any.UnpackTo(&retry)) {
            wait = absl::Seconds(retry.retry_delay().seconds()) +
                   absl::Nanoseconds(retry.retry_delay().nanos());
          }
        }
      }
      return ResourceExhaustedRetryAfter(message, wait);
    }
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError("the merchant service did not answer in time");
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
  }
}

}  // namespace aggpay::common
