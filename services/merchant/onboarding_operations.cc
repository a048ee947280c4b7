#include "services/merchant/onboarding_operations.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/otp.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/merchant/domain/merchant.h"

namespace aggpay::merchant {
namespace {

using common::InvalidField;

// Sub-merchant ids that staff type in: digits, as WeChat and Alipay issue them.
absl::Status ValidateSubMerchantId(const std::string& id, absl::string_view field) {
  if (id.size() < 8 || id.size() > 32) return InvalidField(field, "must be 8 to 32 digits");
  for (char c : id) {
    if (c < '0' || c > '9') return InvalidField(field, "must be 8 to 32 digits");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time OnboardingOperations::Now() const {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
}

absl::Status OnboardingOperations::SealAccount(const SettlementAccount& account,
                                               OnboardingRecord& record) {
  ASSIGN_OR_RETURN(record.account_number_sealed, box_.Seal(account.account_number));
  record.account_last4 = account.account_number.substr(account.account_number.size() - 4);
  record.application.settlement_account = account;
  record.application.settlement_account.account_number = "****" + record.account_last4;
  return absl::OkStatus();
}

absl::Status OnboardingOperations::CheckAgent(const Application& application) {
  if (!application.agent_id) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool exists, repo_.AgentExists(*application.agent_id));
  if (!exists) return InvalidField("agent_id", "no such agent");
  return absl::OkStatus();
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::CreateApplication(Application application,
                                                                         const std::string& actor) {
  RETURN_IF_ERROR(ValidateApplication(application));
  RETURN_IF_ERROR(CheckAgent(application));
  const absl::Time now = Now();
  const std::string new_id = absl::StrCat("m_", common::RandomToken(12));
  return repo_.CreateOrReplace(
      application.business_code, new_id,
      [&](std::optional<MerchantStatus> existing,
          OnboardingRecord& record) -> absl::StatusOr<ReviewEntry> {
        RETURN_IF_ERROR(CheckResubmission(existing));
        const MerchantStatus from = existing.value_or(MerchantStatus::kDraft);
        if (existing) {
          ASSIGN_OR_RETURN(MerchantStatus to, Transition(from, OnboardingAction::kEdit));
          record.status = to;
        } else {
          record.status = MerchantStatus::kDraft;
          record.created_at = now;
        }
        const SettlementAccount account = application.settlement_account;
        record.application = application;
        RETURN_IF_ERROR(SealAccount(account, record));
        return ReviewEntry{OnboardingAction::kEdit,
                           from,
                           record.status,
                           actor,
                           existing ? "application replaced" : "application created",
                           now};
      });
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::UpdateApplication(
    const std::string& merchant_id, Application application, const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateApplication(application));
  RETURN_IF_ERROR(CheckAgent(application));
  const absl::Time now = Now();
  return repo_.Update(merchant_id, [&](OnboardingRecord& record) -> absl::StatusOr<ReviewEntry> {
    if (application.business_code != record.application.business_code) {
      return InvalidField("business_code", "cannot change; create a new application instead");
    }
    ASSIGN_OR_RETURN(MerchantStatus to, Transition(record.status, OnboardingAction::kEdit));
    const MerchantStatus from = record.status;
    record.status = to;
    const SettlementAccount account = application.settlement_account;
    record.application = application;
    RETURN_IF_ERROR(SealAccount(account, record));
    return ReviewEntry{OnboardingAction::kEdit, from, to, actor, "application edited", now};
  });
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::Act(const std::string& merchant_id,
                                                           OnboardingAction action,
                                                           const std::string& actor,
                                                           const std::string& reason) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (action == OnboardingAction::kReject || action == OnboardingAction::kFreeze ||
      action == OnboardingAction::kClose) {
    RETURN_IF_ERROR(ValidateDecisionReason(reason));
  }
  const bool blocks = action == OnboardingAction::kFreeze || action == OnboardingAction::kClose;
  if (blocks || action == OnboardingAction::kUnfreeze) {
    ASSIGN_OR_RETURN(OnboardingRecord current, Get(merchant_id));
    if (action == OnboardingAction::kUnfreeze && current.status == MerchantStatus::kActive) {
      // A retry after an unfreeze whose unblock did not get through.
      RETURN_IF_ERROR(collection_.SetCollection(merchant_id, "ACTIVE", reason));
      return current;
    }
    // The state machine's refusal comes before any service is called.
    RETURN_IF_ERROR(Transition(current.status, action).status());
    if (action == OnboardingAction::kUnfreeze && risk_holds_ != nullptr &&
        !absl::StartsWith(actor, "service:")) {
      ASSIGN_OR_RETURN(bool held, risk_holds_->TransactionFrozen(merchant_id));
      if (held) {
        return common::FailedPreconditionField(
            "merchant_id",
            "frozen by risk control: it is lifted by approving the merchant's appeal "
            "(aggpayctl risk appeals, aggpayctl risk review)");
      }
    }
    if (blocks) {
      // A freeze is a revocation of collection: effective on every code before it is recorded.
      // Should recording fail after this, the merchant stays blocked (safe) and a retry finishes.
      absl::Status blocked = collection_.SetCollection(
          merchant_id, action == OnboardingAction::kClose ? "CLOSED" : "FROZEN", reason);
      if (!blocked.ok()) {
        return absl::UnavailableError(absl::StrCat("collection could not be blocked (",
                                                   blocked.message(),
                                                   "); the merchant is unchanged, retry"));
      }
    }
  }
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(
      OnboardingRecord updated,
      repo_.Update(merchant_id, [&](OnboardingRecord& record) -> absl::StatusOr<ReviewEntry> {
        ASSIGN_OR_RETURN(MerchantStatus to, Transition(record.status, action));
        const MerchantStatus from = record.status;
        record.status = to;
        if (action == OnboardingAction::kReject) record.reject_reason = reason;
        if (action == OnboardingAction::kSubmit) record.reject_reason.clear();
        return ReviewEntry{action, from, to, actor, reason, now};
      }));
  if (action == OnboardingAction::kUnfreeze) {
    if (absl::Status s = collection_.SetCollection(merchant_id, "ACTIVE", reason); !s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("the merchant is ACTIVE but its codes are still blocked (", s.message(),
                       "); retry the unfreeze"));
    }
  }
  return updated;
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::Approve(const std::string& merchant_id,
                                                               const std::string& wechat_sub_mch_id,
                                                               const std::string& alipay_smid,
                                                               const std::string& actor,
                                                               const std::string& reason) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (!wechat_sub_mch_id.empty()) {
    RETURN_IF_ERROR(ValidateSubMerchantId(wechat_sub_mch_id, "wechat_sub_mch_id"));
  }
  if (!alipay_smid.empty()) RETURN_IF_ERROR(ValidateSubMerchantId(alipay_smid, "alipay_smid"));
  ASSIGN_OR_RETURN(OnboardingRecord record, Get(merchant_id));
  if (record.status != MerchantStatus::kApproved) {
    // Any state but IN_REVIEW gets the state machine's refusal before anything is written.
    RETURN_IF_ERROR(Transition(record.status, OnboardingAction::kApprove).status());
  }
  // Each step below is its own short transaction, and the channel adapter and the fee service
  // are called between them, never inside one. The ids are stored before the approval, so a
  // sub-merchant id that belongs to another merchant is refused (ALREADY_EXISTS naming
  // sub_merchant_ids.<channel>) while the merchant is still IN_REVIEW.
  // Sub-merchant ids: the ones staff entered, else the channel adapter's.
  std::vector<SubMerchantId> ids;
  for (const auto& [channel, given] :
       {std::pair<std::string, std::string>{"wechat", wechat_sub_mch_id},
        std::pair<std::string, std::string>{"alipay", alipay_smid},
        std::pair<std::string, std::string>{"unionpay", ""}}) {
    if (!given.empty()) {
      ids.push_back(SubMerchantId{channel, given, "STAFF"});
      continue;
    }
    ASSIGN_OR_RETURN(std::string id, channels_.RequestSubMerchantId(channel, merchant_id,
                                                                    record.application.legal_name));
    ids.push_back(SubMerchantId{channel, id, "SANDBOX"});
  }
  RETURN_IF_ERROR(repo_.SaveSubMerchantIds(merchant_id, ids, Now()));
  if (record.status != MerchantStatus::kApproved) {
    // IN_REVIEW -> APPROVED. From here a fee-service outage leaves the merchant APPROVED, and
    // the same call again finishes the activation.
    ASSIGN_OR_RETURN(record, Act(merchant_id, OnboardingAction::kApprove, actor, reason));
  }
  const std::string plan_id(FeePlanIdFor(record.application.plan_kind));
  RETURN_IF_ERROR(fees_.AssignPlan(merchant_id, plan_id));
  const absl::Time now = Now();
  return repo_.Update(merchant_id, [&](OnboardingRecord& r) -> absl::StatusOr<ReviewEntry> {
    RETURN_IF_ERROR(CheckActivationPrerequisites(plan_id, r.sub_merchants.size()));
    ASSIGN_OR_RETURN(MerchantStatus to, Transition(r.status, OnboardingAction::kActivate));
    const MerchantStatus from = r.status;
    r.status = to;
    return ReviewEntry{OnboardingAction::kActivate,
                       from,
                       to,
                       actor,
                       absl::StrCat("fee plan ", plan_id, ", ", r.sub_merchants.size(),
                                    " channel sub-merchant ids"),
                       now};
  });
}

absl::Status OnboardingOperations::ValidateAccountFields(const SettlementAccount& account) {
  RETURN_IF_ERROR(ValidateText(account.bank_name, "settlement_account.bank_name", 128));
  RETURN_IF_ERROR(ValidateAccountName(account.account_name));
  return ValidateBankAccountNumber(account.account_number);
}

namespace {
constexpr char kAccountPurpose[] = "settlement_account";
constexpr absl::Duration kStepUpLifetime = absl::Minutes(10);
constexpr absl::Duration kStepUpInterval = absl::Minutes(1);
constexpr int kStepUpAttempts = 5;
}  // namespace

absl::StatusOr<absl::Time> OnboardingOperations::RequestAccountChangeOtp(
    const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (sms_ == nullptr) {
    return common::FailedPreconditionField("otp", "no SMS sender is configured here");
  }
  ASSIGN_OR_RETURN(OnboardingRecord record, Get(merchant_id));
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(std::optional<StepUpCode> pending,
                   repo_.GetStepUp(merchant_id, kAccountPurpose));
  if (pending && now - pending->created_at < kStepUpInterval) {
    return common::ResourceExhaustedRetryAfter(
        "a one-time password was sent less than a minute ago",
        kStepUpInterval - (now - pending->created_at));
  }
  const std::string otp = common::NewOtp();
  StepUpCode code{merchant_id,
                  kAccountPurpose,
                  common::HashOtp(otp_key_, absl::StrCat(merchant_id, ":", kAccountPurpose), otp),
                  kStepUpAttempts,
                  now + kStepUpLifetime,
                  now};
  RETURN_IF_ERROR(repo_.SaveStepUp(code));
  RETURN_IF_ERROR(sms_->Send(record.application.contact_phone,
                             absl::StrCat("aggpay: ", otp,
                                          " confirms the change of your settlement account (valid "
                                          "10 minutes). If you did not ask for it, call us.")));
  return code.expires_at;
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::ChangeSettlementAccountWithOtp(
    const std::string& merchant_id, SettlementAccount account, const std::string& otp,
    const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateAccountFields(account));
  if (otp.empty()) {
    return InvalidField("otp",
                        "required: request one with POST /v1/merchant/settlement-account/otp");
  }
  if (!common::IsWellFormedOtp(otp)) return InvalidField("otp", "6 digits");
  const absl::Time now = Now();
  const std::string hash =
      common::HashOtp(otp_key_, absl::StrCat(merchant_id, ":", kAccountPurpose), otp);
  RETURN_IF_ERROR(repo_.UseStepUp(
      merchant_id, kAccountPurpose, [&](const std::optional<StepUpCode>& code) -> StepUpDecision {
        if (!code) {
          return {false, 0,
                  common::FailedPreconditionField("otp", "no one-time password is pending")};
        }
        if (now >= code->expires_at) {
          return {true, 0, common::FailedPreconditionField("otp", "expired: request a new one")};
        }
        if (common::ConstantTimeEquals(hash, code->otp_hash)) return {true, 0, absl::OkStatus()};
        const int left = code->attempts_left - 1;
        return {left <= 0, left,
                common::PermissionDeniedField(
                    "otp", left <= 0 ? "wrong, and that was the last attempt: request a new one"
                                     : absl::StrCat("wrong; ", left, " attempts left"))};
      }));
  return ChangeSettlementAccount(merchant_id, std::move(account), actor);
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::ChangeSettlementAccount(
    const std::string& merchant_id, SettlementAccount account, const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateAccountFields(account));
  const absl::Time now = Now();
  return repo_.Update(merchant_id, [&](OnboardingRecord& record) -> absl::StatusOr<ReviewEntry> {
    RETURN_IF_ERROR(CheckAccountForPlan(
        account.kind, PlanRequiresCorporateAccount(record.application.plan_kind)));
    ASSIGN_OR_RETURN(MerchantStatus to,
                     Transition(record.status, OnboardingAction::kChangeSettlementAccount));
    const MerchantStatus from = record.status;
    record.status = to;
    RETURN_IF_ERROR(SealAccount(account, record));
    return ReviewEntry{OnboardingAction::kChangeSettlementAccount,
                       from,
                       to,
                       actor,
                       absl::StrCat("new account ****", record.account_last4),
                       now};
  });
}

absl::StatusOr<OnboardingRecord> OnboardingOperations::Get(const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  ASSIGN_OR_RETURN(std::optional<OnboardingRecord> record, repo_.Get(merchant_id));
  if (!record) return absl::NotFoundError("merchant not found");
  return *record;
}

absl::StatusOr<std::vector<std::pair<std::string, SettlementAccount>>>
OnboardingOperations::PayoutAccounts(const std::vector<std::string>& merchant_ids) {
  if (merchant_ids.size() > 1000) return InvalidField("merchant_ids", "at most 1000");
  for (const std::string& id : merchant_ids)
    RETURN_IF_ERROR(common::ValidateId(id, "merchant_ids"));
  ASSIGN_OR_RETURN(std::vector<OnboardingRecord> records, repo_.GetMany(merchant_ids));
  std::vector<std::pair<std::string, SettlementAccount>> out;
  for (OnboardingRecord& r : records) {
    // Only an approved account is paid: one changed and back in review is left out.
    if (r.account_number_sealed.empty()) continue;
    if (r.status != MerchantStatus::kActive && r.status != MerchantStatus::kClosed) continue;
    SettlementAccount account = r.application.settlement_account;
    ASSIGN_OR_RETURN(account.account_number, box_.Open(r.account_number_sealed));
    out.emplace_back(r.merchant_id, std::move(account));
  }
  return out;
}

absl::StatusOr<std::vector<Merchant>> OnboardingOperations::List(const MerchantFilter& filter) {
  if (!filter.agent_id.empty()) RETURN_IF_ERROR(common::ValidateId(filter.agent_id, "agent_id"));
  if (!filter.store_id.empty()) RETURN_IF_ERROR(common::ValidateId(filter.store_id, "store_id"));
  if (filter.created_from && filter.created_to && *filter.created_to <= *filter.created_from) {
    return InvalidField("created_to", "must be after created_from");
  }
  return repo_.List(filter);
}

absl::StatusOr<StoreRecord> OnboardingOperations::CreateStore(const std::string& merchant_id,
                                                              std::string name,
                                                              std::string address) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateText(name, "name", 128));
  RETURN_IF_ERROR(ValidateText(address, "address", 512));
  ASSIGN_OR_RETURN(OnboardingRecord record, Get(merchant_id));
  if (record.status == MerchantStatus::kClosed) {
    return common::FailedPreconditionField("merchant_id", "the merchant is CLOSED");
  }
  ASSIGN_OR_RETURN(std::vector<StoreRecord> stores, repo_.ListStores(merchant_id));
  if (stores.size() >= kMaxStoresPerMerchant) {
    return common::FailedPreconditionField(
        "merchant_id",
        absl::StrCat("a merchant may have at most ", kMaxStoresPerMerchant, " stores"));
  }
  StoreRecord store{absl::StrCat("st_", common::RandomToken(9)), merchant_id, std::move(name),
                    std::move(address), Now()};
  RETURN_IF_ERROR(repo_.CreateStore(store));
  return store;
}

absl::StatusOr<std::vector<StoreRecord>> OnboardingOperations::ListStores(
    const std::string& merchant_id) {
  RETURN_IF_ERROR(Get(merchant_id).status());
  return repo_.ListStores(merchant_id);
}

absl::StatusOr<AgentRecord> OnboardingOperations::CreateAgent(const std::string& agent_id,
                                                              const std::string& parent_agent_id,
                                                              std::string name) {
  RETURN_IF_ERROR(ValidateAgentId(agent_id));
  if (!parent_agent_id.empty())
    RETURN_IF_ERROR(ValidateAgentId(parent_agent_id, "parent_agent_id"));
  RETURN_IF_ERROR(ValidateText(name, "name", 128));
  AgentRecord agent{
      agent_id,
      parent_agent_id.empty() ? std::nullopt : std::optional<std::string>(parent_agent_id),
      std::move(name), Now()};
  absl::Status s = repo_.CreateAgent(agent);
  if (absl::IsNotFound(s)) return InvalidField("parent_agent_id", "no such agent");
  RETURN_IF_ERROR(s);
  return agent;
}

}  // namespace aggpay::merchant
