#pragma once

#include "services/common/mysql/mysql_pool.h"
#include "services/merchant/onboarding_repository.h"

namespace aggpay::merchant {

class MysqlOnboardingRepository final : public OnboardingRepository {
 public:
  explicit MysqlOnboardingRepository(common::MysqlPool& pool) : pool_(pool) {}

  absl::StatusOr<OnboardingRecord> CreateOrReplace(const std::string& business_code,
                                                   const std::string& new_merchant_id,
                                                   const CreateMutation& mutation) override;
  absl::StatusOr<OnboardingRecord> Update(const std::string& merchant_id,
                                          const Mutation& mutation) override;
  absl::StatusOr<std::optional<OnboardingRecord>> Get(const std::string& merchant_id) override;
  absl::StatusOr<std::optional<StepUpCode>> GetStepUp(const std::string& merchant_id,
                                                      const std::string& purpose) override;
  absl::Status SaveStepUp(const StepUpCode& code) override;
  absl::Status UseStepUp(const std::string& merchant_id, const std::string& purpose,
                         const StepUpCheck& decide) override;
  absl::StatusOr<std::vector<OnboardingRecord>> GetMany(
      const std::vector<std::string>& merchant_ids) override;
  absl::StatusOr<std::vector<Merchant>> List(const MerchantFilter& filter) override;
  absl::Status SaveSubMerchantIds(const std::string& merchant_id,
                                  const std::vector<SubMerchantId>& ids, absl::Time now) override;
  absl::Status CreateStore(const StoreRecord& store) override;
  absl::StatusOr<std::vector<StoreRecord>> ListStores(const std::string& merchant_id) override;
  absl::Status CreateAgent(const AgentRecord& agent) override;
  absl::StatusOr<bool> AgentExists(const std::string& agent_id) override;

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::merchant
