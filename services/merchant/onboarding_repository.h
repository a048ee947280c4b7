#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/merchant/domain/merchant.h"
#include "services/merchant/domain/onboarding.h"
#include "services/merchant/domain/qualification.h"

namespace aggpay::merchant {

struct ReviewEntry {
  OnboardingAction action = OnboardingAction::kEdit;
  MerchantStatus from = MerchantStatus::kDraft;
  MerchantStatus to = MerchantStatus::kDraft;
  std::string actor;
  std::string reason;
  absl::Time at;
};

struct SubMerchantId {
  std::string channel;
  std::string sub_merchant_id;
  std::string source;  // SANDBOX or STAFF
};

// A merchant's onboarding state as stored. The settlement account number is kept sealed;
// `application.settlement_account.account_number` reads back as "****" + the last four digits.
struct OnboardingRecord {
  std::string merchant_id;
  MerchantStatus status = MerchantStatus::kDraft;
  Application application{.home_currency = *common::Currency::Find("CNY")};
  std::string account_number_sealed;
  std::string account_last4;
  std::string reject_reason;
  absl::Time created_at;
  // Read-only: filled on reads.
  std::vector<ReviewEntry> reviews;
  std::vector<SubMerchantId> sub_merchants;
};

struct StoreRecord {
  std::string store_id;
  std::string merchant_id;
  std::string name;
  std::string address;
  absl::Time created_at;
};

struct AgentRecord {
  std::string agent_id;
  std::optional<std::string> parent_agent_id;
  std::string name;
  absl::Time created_at;
};

struct MerchantFilter {
  std::optional<MerchantStatus> status;
  std::string agent_id;
  std::string store_id;
  std::optional<absl::Time> created_from;
  std::optional<absl::Time> created_to;
  // Keyset: strictly older than this (created_at, merchant_id).
  std::optional<std::pair<absl::Time, std::string>> before;
  int limit = 50;
};

// Storage of onboarding. Changes go through a mutation run inside one transaction on the
// locked current record: the mutation applies the domain rules and returns the review entry to
// append, or an error, in which case nothing is written.
// A one-time password that confirms a change the merchant makes itself (a new settlement
// account), sent to its registered phone. Only its HMAC is stored.
struct StepUpCode {
  std::string merchant_id;
  std::string purpose;  // "settlement_account"
  std::string otp_hash;
  int attempts_left = 0;
  absl::Time expires_at;
  absl::Time created_at;
};

// What a check of a step-up code decided: keep it with fewer attempts, or delete it (used,
// expired or exhausted), and the answer to give.
struct StepUpDecision {
  bool remove = false;
  int attempts_left = 0;
  absl::Status answer;
};

class OnboardingRepository {
 public:
  virtual ~OnboardingRepository() = default;

  virtual absl::StatusOr<std::optional<StepUpCode>> GetStepUp(const std::string& merchant_id,
                                                              const std::string& purpose) = 0;
  // Stores the code, replacing the merchant's pending one for the purpose.
  virtual absl::Status SaveStepUp(const StepUpCode& code) = 0;
  // Locks the pending code (nullopt when there is none), applies `decide` and stores its
  // decision, in one transaction; answers the decision's answer.
  using StepUpCheck = std::function<StepUpDecision(const std::optional<StepUpCode>& code)>;
  virtual absl::Status UseStepUp(const std::string& merchant_id, const std::string& purpose,
                                 const StepUpCheck& decide) = 0;

  // `mutation(existing_status, record)`: existing_status is the status of the application that
  // already holds the business code (then `record` is that application), or nullopt (then
  // `record` is new, with `new_merchant_id`).
  using CreateMutation = std::function<absl::StatusOr<ReviewEntry>(
      std::optional<MerchantStatus> existing_status, OnboardingRecord& record)>;
  virtual absl::StatusOr<OnboardingRecord> CreateOrReplace(const std::string& business_code,
                                                           const std::string& new_merchant_id,
                                                           const CreateMutation& mutation) = 0;

  using Mutation = std::function<absl::StatusOr<ReviewEntry>(OnboardingRecord& record)>;
  // NOT_FOUND when there is no such merchant.
  virtual absl::StatusOr<OnboardingRecord> Update(const std::string& merchant_id,
                                                  const Mutation& mutation) = 0;

  virtual absl::StatusOr<std::optional<OnboardingRecord>> Get(const std::string& merchant_id) = 0;
  // The records of these merchants, without reviews, documents or sub-merchant ids; unknown ids
  // are left out. One query.
  virtual absl::StatusOr<std::vector<OnboardingRecord>> GetMany(
      const std::vector<std::string>& merchant_ids) = 0;
  virtual absl::StatusOr<std::vector<Merchant>> List(const MerchantFilter& filter) = 0;

  // Keeps an id already stored for the channel (a channel issues one id per merchant).
  // ALREADY_EXISTS naming "sub_merchant_ids.<channel>" when an id belongs to another
  // merchant; nothing is stored then.
  virtual absl::Status SaveSubMerchantIds(const std::string& merchant_id,
                                          const std::vector<SubMerchantId>& ids,
                                          absl::Time now) = 0;

  // NOT_FOUND when the merchant does not exist.
  virtual absl::Status CreateStore(const StoreRecord& store) = 0;
  virtual absl::StatusOr<std::vector<StoreRecord>> ListStores(const std::string& merchant_id) = 0;

  // NOT_FOUND naming the parent when it does not exist; ALREADY_EXISTS for a taken id.
  virtual absl::Status CreateAgent(const AgentRecord& agent) = 0;
  virtual absl::StatusOr<bool> AgentExists(const std::string& agent_id) = 0;
};

}  // namespace aggpay::merchant
