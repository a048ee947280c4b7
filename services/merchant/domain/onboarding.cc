#include "services/merchant/domain/onboarding.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/merchant/domain/qualification.h"

namespace aggpay::merchant {
namespace {

// How an action reads in "cannot <verb> a merchant in <STATE>".
absl::string_view ActionVerb(OnboardingAction action) {
  switch (action) {
    case OnboardingAction::kEdit:
      return "edit";
    case OnboardingAction::kSubmit:
      return "submit";
    case OnboardingAction::kStartReview:
      return "start review of";
    case OnboardingAction::kApprove:
      return "approve";
    case OnboardingAction::kReject:
      return "reject";
    case OnboardingAction::kActivate:
      return "activate";
    case OnboardingAction::kFreeze:
      return "freeze";
    case OnboardingAction::kUnfreeze:
      return "unfreeze";
    case OnboardingAction::kClose:
      return "close";
    case OnboardingAction::kChangeSettlementAccount:
      return "change the settlement account of";
  }
  return "act on";
}

bool IsOpenApplication(MerchantStatus status) {
  return status == MerchantStatus::kDraft || status == MerchantStatus::kRejected;
}

absl::Status AlreadyExistsField(absl::string_view field, absl::string_view message) {
  absl::Status status(absl::StatusCode::kAlreadyExists, absl::StrCat(field, ": ", message));
  status.SetPayload(common::kFieldPayloadKey, absl::Cord(field));
  return status;
}

}  // namespace

absl::string_view MerchantStatusName(MerchantStatus status) {
  switch (status) {
    case MerchantStatus::kDraft:
      return "DRAFT";
    case MerchantStatus::kSubmitted:
      return "SUBMITTED";
    case MerchantStatus::kInReview:
      return "IN_REVIEW";
    case MerchantStatus::kRejected:
      return "REJECTED";
    case MerchantStatus::kApproved:
      return "APPROVED";
    case MerchantStatus::kActive:
      return "ACTIVE";
    case MerchantStatus::kFrozen:
      return "FROZEN";
    case MerchantStatus::kClosed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

absl::StatusOr<MerchantStatus> ParseMerchantStatus(absl::string_view name,
                                                   absl::string_view field) {
  for (MerchantStatus status : kAllMerchantStatuses) {
    if (MerchantStatusName(status) == name) return status;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown merchant status \"", name,
                          "\" (want DRAFT, SUBMITTED, IN_REVIEW, REJECTED, APPROVED, ACTIVE, "
                          "FROZEN or CLOSED)"));
}

absl::string_view OnboardingActionName(OnboardingAction action) {
  switch (action) {
    case OnboardingAction::kEdit:
      return "EDIT";
    case OnboardingAction::kSubmit:
      return "SUBMIT";
    case OnboardingAction::kStartReview:
      return "START_REVIEW";
    case OnboardingAction::kApprove:
      return "APPROVE";
    case OnboardingAction::kReject:
      return "REJECT";
    case OnboardingAction::kActivate:
      return "ACTIVATE";
    case OnboardingAction::kFreeze:
      return "FREEZE";
    case OnboardingAction::kUnfreeze:
      return "UNFREEZE";
    case OnboardingAction::kClose:
      return "CLOSE";
    case OnboardingAction::kChangeSettlementAccount:
      return "CHANGE_SETTLEMENT_ACCOUNT";
  }
  return "UNKNOWN";
}

absl::StatusOr<MerchantStatus> Transition(MerchantStatus from, OnboardingAction action) {
  switch (action) {
    case OnboardingAction::kEdit:
      if (IsOpenApplication(from)) return from;
      break;
    case OnboardingAction::kSubmit:
      if (IsOpenApplication(from)) return MerchantStatus::kSubmitted;
      break;
    case OnboardingAction::kStartReview:
      if (from == MerchantStatus::kSubmitted) return MerchantStatus::kInReview;
      break;
    case OnboardingAction::kApprove:
      if (from == MerchantStatus::kInReview) return MerchantStatus::kApproved;
      break;
    case OnboardingAction::kReject:
      if (from == MerchantStatus::kInReview) return MerchantStatus::kRejected;
      break;
    case OnboardingAction::kActivate:
      if (from == MerchantStatus::kApproved) return MerchantStatus::kActive;
      break;
    case OnboardingAction::kFreeze:
      if (from == MerchantStatus::kActive) return MerchantStatus::kFrozen;
      break;
    case OnboardingAction::kUnfreeze:
      if (from == MerchantStatus::kFrozen) return MerchantStatus::kActive;
      break;
    case OnboardingAction::kClose:
      if (from != MerchantStatus::kClosed) return MerchantStatus::kClosed;
      break;
    case OnboardingAction::kChangeSettlementAccount:
      // Before approval the account is part of the application and is reviewed with it. After
      // activation a new payee is exactly what account takeover looks like, so the merchant goes
      // back to review. FROZEN is refused: settlement is held, and changing the payee of held
      // funds is the move risk control freezes for.
      if (IsOpenApplication(from)) return from;
      if (from == MerchantStatus::kActive) return MerchantStatus::kInReview;
      break;
  }
  return common::FailedPreconditionField(
      "status",
      absl::StrCat("cannot ", ActionVerb(action), " a merchant in ", MerchantStatusName(from)));
}

absl::string_view RequiredRole(OnboardingAction action) {
  switch (action) {
    case OnboardingAction::kStartReview:
    case OnboardingAction::kApprove:
    case OnboardingAction::kReject:
    case OnboardingAction::kFreeze:
    case OnboardingAction::kUnfreeze:
      return kRoleReviewer;
    case OnboardingAction::kEdit:
    case OnboardingAction::kSubmit:
    case OnboardingAction::kActivate:
    case OnboardingAction::kChangeSettlementAccount:
      return kRoleOperator;
    case OnboardingAction::kClose:
      return kRoleAdmin;
  }
  return kRoleAdmin;
}

absl::Status ValidateDecisionReason(absl::string_view reason, absl::string_view field) {
  return ValidateText(reason, field, kMaxDecisionReasonChars, /*allow_newlines=*/true);
}

absl::Status CheckActivationPrerequisites(absl::string_view fee_plan_id,
                                          size_t sub_merchant_id_count) {
  if (fee_plan_id.empty()) {
    return common::FailedPreconditionField("fee_plan_id",
                                           "a fee plan must be assigned before activation");
  }
  if (sub_merchant_id_count == 0) {
    return common::FailedPreconditionField(
        "sub_merchant_ids", "at least one channel sub-merchant id is needed before activation");
  }
  return absl::OkStatus();
}

absl::Status CheckResubmission(std::optional<MerchantStatus> existing) {
  if (!existing.has_value()) return absl::OkStatus();
  switch (*existing) {
    case MerchantStatus::kDraft:
    case MerchantStatus::kRejected:
      return absl::OkStatus();
    case MerchantStatus::kSubmitted:
    case MerchantStatus::kInReview:
      return common::FailedPreconditionField("business_code",
                                             "an application with this business code is in review");
    case MerchantStatus::kApproved:
    case MerchantStatus::kActive:
    case MerchantStatus::kFrozen:
      return AlreadyExistsField(
          "business_code",
          absl::StrCat("an application with this business code was already approved (merchant is ",
                       MerchantStatusName(*existing), ")"));
    case MerchantStatus::kClosed:
      return AlreadyExistsField(
          "business_code",
          "this business code belongs to a closed merchant; re-onboard under a new business code");
  }
  return absl::InternalError("unknown merchant status");
}

}  // namespace aggpay::merchant
