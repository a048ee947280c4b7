#include "services/merchant/local_request_authenticator.h"

namespace aggpay::merchant {

absl::StatusOr<std::string> LocalRequestAuthenticator::Authenticate(
    const aggpay::v1::AuthenticateRequestRequest& request) {
  const SignedRequest r{request.key_id(),     request.timestamp(), request.nonce(),
                        request.signature(),  request.method(),    request.path_and_query(),
                        request.body_sha256()};
  absl::StatusOr<ApiKey> key = ops_.AuthenticateRequest(r);
  if (!key.ok()) return key.status();
  return key->merchant_id;
}

}  // namespace aggpay::merchant
