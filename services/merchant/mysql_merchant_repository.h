#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/merchant/merchant_repository.h"

namespace aggpay::merchant {

class MysqlMerchantRepository final : public MerchantRepository {
 public:
  explicit MysqlMerchantRepository(common::MysqlPool& pool) : pool_(pool) {}
  absl::StatusOr<std::optional<Merchant>> GetMerchant(const std::string& merchant_id) override;
  absl::Status CreateApiKey(const ApiKey& key) override;
  absl::StatusOr<std::optional<ApiKey>> GetApiKey(const std::string& key_id) override;
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys(const std::string& merchant_id) override;
  absl::StatusOr<std::vector<ApiKey>> ListAgedApiKeys(absl::Time created_before,
                                                      int limit) override;
  absl::StatusOr<ApiKey> RevokeApiKey(const std::string& key_id, absl::Time now) override;

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::merchant
