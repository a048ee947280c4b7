#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::merchant {

// Where a merchant stands in onboarding, after WeChat's applyment flow:
//   DRAFT -> SUBMITTED -> IN_REVIEW -> APPROVED -> ACTIVE <-> FROZEN
//                            \-> REJECTED -> SUBMITTED (after edits)
// and CLOSED from anywhere. ONBOARDING.md has the full table.
enum class MerchantStatus : uint8_t {
  kDraft,
  kSubmitted,
  kInReview,
  kRejected,
  kApproved,
  kActive,
  kFrozen,
  kClosed,
};
inline constexpr std::array<MerchantStatus, 8> kAllMerchantStatuses = {
    MerchantStatus::kDraft,    MerchantStatus::kSubmitted, MerchantStatus::kInReview,
    MerchantStatus::kRejected, MerchantStatus::kApproved,  MerchantStatus::kActive,
    MerchantStatus::kFrozen,   MerchantStatus::kClosed};

// "DRAFT", "SUBMITTED", "IN_REVIEW", "REJECTED", "APPROVED", "ACTIVE", "FROZEN", "CLOSED": the
// names stored in `merchants.status` and sent in the API.
absl::string_view MerchantStatusName(MerchantStatus status);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<MerchantStatus> ParseMerchantStatus(absl::string_view name,
                                                   absl::string_view field = "status");

enum class OnboardingAction : uint8_t {
  kEdit,         // change the application's fields
  kSubmit,       // hand the application in for review
  kStartReview,  // a reviewer picks it up
  kApprove,      // qualification accepted
  kReject,       // qualification refused, with a reason (ValidateDecisionReason)
  kActivate,     // sub-merchant ids and fee plan in place (CheckActivationPrerequisites)
  kFreeze,       // risk control stops collection
  kUnfreeze,     // the freeze is lifted
  kClose,        // the merchant leaves for good
  kChangeSettlementAccount,  // a new bank account for payouts
};
inline constexpr std::array<OnboardingAction, 10> kAllOnboardingActions = {
    OnboardingAction::kEdit,        OnboardingAction::kSubmit,
    OnboardingAction::kStartReview, OnboardingAction::kApprove,
    OnboardingAction::kReject,      OnboardingAction::kActivate,
    OnboardingAction::kFreeze,      OnboardingAction::kUnfreeze,
    OnboardingAction::kClose,       OnboardingAction::kChangeSettlementAccount};

// "EDIT", "SUBMIT", "START_REVIEW", "APPROVE", "REJECT", "ACTIVATE", "FREEZE", "UNFREEZE",
// "CLOSE", "CHANGE_SETTLEMENT_ACCOUNT": for the audit log.
absl::string_view OnboardingActionName(OnboardingAction action);

// The state `action` leads to from `from`. Edits, and a settlement account change before the
// merchant is approved, leave the state as it is (DRAFT or REJECTED). A settlement account
// change on an ACTIVE merchant sends it back to IN_REVIEW. Any other pair is
// FAILED_PRECONDITION naming "status", e.g. "cannot approve a merchant in DRAFT".
absl::StatusOr<MerchantStatus> Transition(MerchantStatus from, OnboardingAction action);

// Staff roles (proto/aggpay/v1/options.proto). The access policy lets "admin" do everything.
inline constexpr absl::string_view kRoleOperator = "operator";
inline constexpr absl::string_view kRoleReviewer = "reviewer";
inline constexpr absl::string_view kRoleAdmin = "admin";

// The staff role that may perform `action`: reviewer for start-review, approve, reject, freeze
// and unfreeze (risk review); operator for edit, submit, activate and settlement account
// changes; admin for close.
absl::string_view RequiredRole(OnboardingAction action);

// A reviewer's reason (required to reject): not blank, at most kMaxDecisionReasonChars of UTF-8
// without control characters other than newline. INVALID_ARGUMENT naming `field` otherwise.
inline constexpr size_t kMaxDecisionReasonChars = 512;  // the reason columns are VARCHAR(512)
absl::Status ValidateDecisionReason(absl::string_view reason, absl::string_view field = "reason");

// ACTIVATE needs the fee plan assigned and at least one channel sub-merchant id. The state
// check stays with Transition; this is the rest. FAILED_PRECONDITION naming "fee_plan_id" or
// "sub_merchant_ids".
absl::Status CheckActivationPrerequisites(absl::string_view fee_plan_id,
                                          size_t sub_merchant_id_count);

// Whether a submission may be stored under a `business_code` that `existing` (the status of the
// application already holding that code, if any) holds:
//   none, DRAFT, REJECTED          -> OK (create, or overwrite the draft / rejected one)
//   SUBMITTED, IN_REVIEW           -> FAILED_PRECONDITION naming "business_code"
//   APPROVED, ACTIVE, FROZEN       -> ALREADY_EXISTS naming "business_code"
//   CLOSED                         -> ALREADY_EXISTS naming "business_code": a closed merchant
//                                     keeps its code and history; re-onboarding takes a new code
absl::Status CheckResubmission(std::optional<MerchantStatus> existing);

}  // namespace aggpay::merchant
