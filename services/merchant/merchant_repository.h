#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/merchant/domain/merchant.h"

namespace aggpay::merchant {

// Storage of merchants and their API keys.
class MerchantRepository {
 public:
  virtual ~MerchantRepository() = default;
  virtual absl::StatusOr<std::optional<Merchant>> GetMerchant(const std::string& merchant_id) = 0;

  virtual absl::Status CreateApiKey(const ApiKey& key) = 0;
  virtual absl::StatusOr<std::optional<ApiKey>> GetApiKey(const std::string& key_id) = 0;
  virtual absl::StatusOr<std::vector<ApiKey>> ListApiKeys(const std::string& merchant_id) = 0;
  // Active keys of every merchant created before `created_before`, oldest first.
  virtual absl::StatusOr<std::vector<ApiKey>> ListAgedApiKeys(absl::Time created_before,
                                                              int limit) = 0;
  // NOT_FOUND when there is no such key; revoking twice keeps the first time.
  virtual absl::StatusOr<ApiKey> RevokeApiKey(const std::string& key_id, absl::Time now) = 0;
};

}  // namespace aggpay::merchant
