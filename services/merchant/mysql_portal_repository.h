#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/merchant/portal_repository.h"

namespace aggpay::merchant {

class MysqlPortalRepository final : public PortalRepository {
 public:
  explicit MysqlPortalRepository(common::MysqlPool& pool) : pool_(pool) {}

  absl::StatusOr<std::optional<MerchantUserRecord>> FindOrAdoptUser(const std::string& mobile,
                                                                    const std::string& new_user_id,
                                                                    absl::Time now) override;
  absl::Status UpdateSignInCode(const std::string& mobile, const SignInCheck& decide) override;
  absl::Status CreateSession(const PortalSessionRecord& session) override;
  absl::StatusOr<std::optional<std::pair<PortalSessionRecord, MerchantUserRecord>>> GetSession(
      const std::string& token_hash) override;
  absl::Status TouchSession(const std::string& token_hash, absl::Time now) override;
  absl::Status EndSession(const std::string& token_hash, absl::Time now) override;
  absl::StatusOr<std::vector<MerchantUserRecord>> ListUsers(
      const std::string& merchant_id) override;
  absl::Status AddUser(const MerchantUserRecord& user) override;
  absl::StatusOr<MerchantUserRecord> RemoveUser(
      const std::string& merchant_id, const std::string& user_id, absl::Time now,
      const std::function<absl::Status(const MerchantUserRecord&)>& allowed) override;

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::merchant
