#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/sms/otp_sender.h"
#include "services/merchant/channel_onboarding.h"
#include "services/merchant/onboarding_repository.h"

namespace aggpay::merchant {

// Onboarding use cases: validation and the state machine from domain/, storage, the channel
// adapter and the fee service.
class OnboardingOperations {
 public:
  // Staff unfreezes then check risk control's holds (nullptr: no risk service).
  void set_risk_holds(RiskHolds* holds) { risk_holds_ = holds; }

  OnboardingOperations(OnboardingRepository& repo, ChannelOnboarding& channels,
                       FeePlanAssigner& fees, CollectionControl& collection, common::SecretBox box,
                       const common::Clock& clock)
      : repo_(repo),
        channels_(channels),
        fees_(fees),
        collection_(collection),
        box_(std::move(box)),
        clock_(clock) {}

  absl::StatusOr<OnboardingRecord> CreateApplication(Application application,
                                                     const std::string& actor);
  absl::StatusOr<OnboardingRecord> UpdateApplication(const std::string& merchant_id,
                                                     Application application,
                                                     const std::string& actor);
  // Submit, start review, reject, freeze, unfreeze, close: one state-machine step. Freeze and
  // close block collection on every code first (nothing changes if that fails); unfreeze
  // unblocks after the step, and repeated on an ACTIVE merchant it only unblocks again.
  absl::StatusOr<OnboardingRecord> Act(const std::string& merchant_id, OnboardingAction action,
                                       const std::string& actor, const std::string& reason);
  // Approve (IN_REVIEW) or finish a half-done activation (APPROVED); see the proto.
  absl::StatusOr<OnboardingRecord> Approve(const std::string& merchant_id,
                                           const std::string& wechat_sub_mch_id,
                                           const std::string& alipay_smid, const std::string& actor,
                                           const std::string& reason);
  absl::StatusOr<OnboardingRecord> ChangeSettlementAccount(const std::string& merchant_id,
                                                           SettlementAccount account,
                                                           const std::string& actor);

  // Step-up for the merchant's own settlement account change (a stolen API key alone must not
  // redirect payouts): a one-time password to the registered phone, one a minute at most
  // (RESOURCE_EXHAUSTED with the wait), valid 10 minutes, 5 attempts. Answers its expiry.
  // FAILED_PRECONDITION when this instance has no SMS sender.
  absl::StatusOr<absl::Time> RequestAccountChangeOtp(const std::string& merchant_id);
  // The change, confirmed with that password: INVALID_ARGUMENT naming "otp" when it is missing
  // or malformed, FAILED_PRECONDITION naming "otp" when none is pending or it expired,
  // PERMISSION_DENIED naming "otp" when wrong (the fifth wrong one ends it). The account is
  // checked before the password is spent.
  absl::StatusOr<OnboardingRecord> ChangeSettlementAccountWithOtp(const std::string& merchant_id,
                                                                  SettlementAccount account,
                                                                  const std::string& otp,
                                                                  const std::string& actor);
  void set_step_up(common::OtpSender* sms, std::string otp_key) {
    sms_ = sms;
    otp_key_ = std::move(otp_key);
  }

  absl::StatusOr<OnboardingRecord> Get(const std::string& merchant_id);
  absl::StatusOr<std::vector<Merchant>> List(const MerchantFilter& filter);
  // Merchant id -> its settlement account with the number in full (for payout files). At most
  // 1000 ids (INVALID_ARGUMENT naming "merchant_ids"). Only ACTIVE and CLOSED merchants' accounts
  // are answered: a frozen one's or one back in review (a changed account) is left out.
  absl::StatusOr<std::vector<std::pair<std::string, SettlementAccount>>> PayoutAccounts(
      const std::vector<std::string>& merchant_ids);
  absl::StatusOr<StoreRecord> CreateStore(const std::string& merchant_id, std::string name,
                                          std::string address);
  absl::StatusOr<std::vector<StoreRecord>> ListStores(const std::string& merchant_id);
  absl::StatusOr<AgentRecord> CreateAgent(const std::string& agent_id,
                                          const std::string& parent_agent_id, std::string name);

 private:
  absl::Time Now() const;
  absl::Status SealAccount(const SettlementAccount& account, OnboardingRecord& record);
  static absl::Status ValidateAccountFields(const SettlementAccount& account);
  absl::Status CheckAgent(const Application& application);

  common::OtpSender* sms_ = nullptr;
  std::string otp_key_;
  OnboardingRepository& repo_;
  ChannelOnboarding& channels_;
  FeePlanAssigner& fees_;
  CollectionControl& collection_;
  RiskHolds* risk_holds_ = nullptr;
  common::SecretBox box_;
  const common::Clock& clock_;
};

}  // namespace aggpay::merchant
