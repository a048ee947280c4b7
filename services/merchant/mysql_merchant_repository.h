#pragma once

#include <map>

#include "services/common/mysql/batched_read.h"
#include "services/common/mysql/mysql_pool.h"
#include "services/merchant/merchant_repository.h"

namespace aggpay::merchant {

class MysqlMerchantRepository final : public MerchantRepository {
 public:
  explicit MysqlMerchantRepository(common::MysqlPool& pool);
  // GetMerchant and GetApiKey (on every payment and signed REST call): concurrent callers share
  // one IN-list read (common::BatchedRead), each answered by a read that began after its call,
  // so a freeze or a revoke committed before a call is always seen by it.
  absl::StatusOr<std::optional<Merchant>> GetMerchant(const std::string& merchant_id) override;
  absl::Status CreateApiKey(const ApiKey& key) override;
  absl::StatusOr<std::optional<ApiKey>> GetApiKey(const std::string& key_id) override;
  absl::StatusOr<std::vector<ApiKey>> ListApiKeys(const std::string& merchant_id) override;
  absl::StatusOr<std::vector<ApiKey>> ListAgedApiKeys(absl::Time created_before,
                                                      int limit) override;
  absl::StatusOr<ApiKey> RevokeApiKey(const std::string& key_id, absl::Time now) override;

  const common::BatchedRead<std::string, Merchant>& merchant_reads() const { return merchants_; }
  const common::BatchedRead<std::string, ApiKey>& key_reads() const { return keys_; }

 private:
  absl::StatusOr<std::map<std::string, Merchant>> ReadMerchants(absl::Span<const std::string> ids);
  absl::StatusOr<std::map<std::string, ApiKey>> ReadKeys(absl::Span<const std::string> key_ids);

  common::MysqlPool& pool_;
  common::BatchedRead<std::string, Merchant> merchants_;
  common::BatchedRead<std::string, ApiKey> keys_;
};

}  // namespace aggpay::merchant
