#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aggpay/v1/merchant.pb.h"

namespace aggpay::common {

// A merchant's signed REST request, forwarded by the gateway with the route's own call so that
// the auth interceptor authenticates the merchant in the same hop: the serialized
// aggpay.v1.AuthenticateRequestRequest (binary metadata, exactly what
// MerchantService.AuthenticateRequest receives). Only the gateway may present it; the
// interceptor erases it before the handler runs.
inline constexpr absl::string_view kSignedRequestKey = "x-aggpay-signed-request-bin";
// Trailing metadata of a call that carried kSignedRequestKey, for the gateway: "refused" names a
// call refused because its signed request was not accepted (the gateway answers as for a failed
// AuthenticateRequest, not as for the route); "merchant" names the merchant that signed it.
inline constexpr absl::string_view kSignedRefusedKey = "x-aggpay-signed-refused";
inline constexpr absl::string_view kSignedMerchantKey = "x-aggpay-signed-merchant";

// Verifies one signed merchant request (HMAC, key, timestamp window, nonce, rate limit) and names
// the merchant. Fails as MerchantService.AuthenticateRequest does: UNAUTHENTICATED for a bad
// credential, RESOURCE_EXHAUSTED with a retry-after, UNAVAILABLE when Redis is down and the
// guard fails closed.
class RequestAuthenticator {
 public:
  virtual ~RequestAuthenticator() = default;
  virtual absl::StatusOr<std::string> Authenticate(
      const aggpay::v1::AuthenticateRequestRequest& request) = 0;
};

}  // namespace aggpay::common
