#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/merchant/domain/request_signature.h"
#include "services/merchant/merchant_repository.h"
#include "services/merchant/request_guard.h"

namespace aggpay::merchant {

struct CreatedApiKey {
  ApiKey key;
  std::string secret;
};

// The merchant service's use cases.
class MerchantOperations {
 public:
  MerchantOperations(MerchantRepository& repo, RequestGuard& guard, common::SecretBox box,
                     const common::Clock& clock, absl::Duration timestamp_window)
      : repo_(repo),
        guard_(guard),
        box_(std::move(box)),
        clock_(clock),
        timestamp_window_(timestamp_window) {}

  // NOT_FOUND when there is no such merchant.
  absl::StatusOr<Merchant> GetMerchant(const std::string& merchant_id);
  absl::StatusOr<CreatedApiKey> CreateApiKey(const std::string& merchant_id);
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys(const std::string& merchant_id);
  // Active keys created before `created_before`, oldest first (the expiry watch).
  absl::StatusOr<std::vector<ApiKey>> ListAgedApiKeys(absl::Time created_before, int limit) {
    return repo_.ListAgedApiKeys(created_before, limit);
  }
  // `merchant_scope`, when set, is the only merchant whose key may be revoked (NOT_FOUND for
  // another's, as for an unknown key).
  absl::StatusOr<ApiKey> RevokeApiKey(const std::string& key_id,
                                      const std::string& merchant_scope = "");
  // The merchant a signed request comes from; see MerchantService.AuthenticateRequest.
  absl::StatusOr<ApiKey> AuthenticateRequest(const SignedRequest& request);

 private:
  MerchantRepository& repo_;
  RequestGuard& guard_;
  common::SecretBox box_;
  const common::Clock& clock_;
  absl::Duration timestamp_window_;
};

}  // namespace aggpay::merchant
