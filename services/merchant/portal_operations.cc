#include "services/merchant/portal_operations.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/crypto/otp.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/merchant/domain/merchant.h"
#include "services/merchant/domain/qualification.h"

namespace aggpay::merchant {
namespace {

constexpr char kSessionPrefix[] = "agps_";
constexpr size_t kMaxTokenBytes = 128;

std::string NewUserId() { return absl::StrCat("mu_", common::RandomToken(12)); }

absl::Status SessionEnded() {
  return absl::UnauthenticatedError("the session has ended: sign in again");
}

}  // namespace

std::string PortalOperations::Hash(const std::string& mobile, const std::string& code) const {
  return common::HashOtp(otp_key_, absl::StrCat("portal:", mobile), code);
}

absl::StatusOr<PortalOperations::CodeSent> PortalOperations::RequestCode(
    const std::string& mobile) {
  RETURN_IF_ERROR(ValidateMainlandMobile(mobile, "mobile"));
  if (sms_ == nullptr) {
    return common::FailedPreconditionField("mobile", "no SMS sender is configured here");
  }
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(std::optional<MerchantUserRecord> user,
                   repo_.FindOrAdoptUser(mobile, NewUserId(), now));
  const std::string otp = common::NewOtp();
  // A number that is no user's is limited and answered the same, but gets no code.
  const std::string hash = user ? Hash(mobile, otp) : std::string();
  RETURN_IF_ERROR(repo_.UpdateSignInCode(mobile, [&](const std::optional<SignInCodeState>& c) {
    return DecideSend(c, now, sign_in_, hash);
  }));
  if (user) {
    RETURN_IF_ERROR(sms_->Send(
        mobile, absl::StrCat("aggpay: ", otp,
                             " signs you in to the merchant portal (valid 5 minutes). Never "
                             "tell it to anyone; we never ask for it.")));
  }
  return CodeSent{now + sign_in_.code_lifetime, sign_in_.resend_interval};
}

absl::StatusOr<PortalOperations::Session> PortalOperations::VerifyCode(const std::string& mobile,
                                                                       const std::string& code) {
  RETURN_IF_ERROR(ValidateMainlandMobile(mobile, "mobile"));
  if (code.empty()) return common::InvalidField("code", "is required");
  if (!common::IsWellFormedOtp(code)) return common::InvalidField("code", "must be 6 digits");
  const absl::Time now = clock_.Now();
  const std::string hash = Hash(mobile, code);
  RETURN_IF_ERROR(repo_.UpdateSignInCode(mobile, [&](const std::optional<SignInCodeState>& c) {
    return DecideVerify(c, now, sign_in_, hash);
  }));
  ASSIGN_OR_RETURN(std::optional<MerchantUserRecord> user,
                   repo_.FindOrAdoptUser(mobile, NewUserId(), now));
  if (!user) return absl::UnauthenticatedError("wrong mobile or code");
  Session out{absl::StrCat(kSessionPrefix, common::RandomToken(32)), *user,
              now + sessions_.lifetime};
  RETURN_IF_ERROR(repo_.CreateSession(PortalSessionRecord{common::Sha256Hex(out.token),
                                                          user->user_id, user->merchant_id, now,
                                                          now, out.expires_at, std::nullopt}));
  return out;
}

absl::StatusOr<MerchantUserRecord> PortalOperations::CheckSession(const std::string& token) {
  if (!absl::StartsWith(token, kSessionPrefix) || token.size() > kMaxTokenBytes) {
    return SessionEnded();
  }
  const std::string hash = common::Sha256Hex(token);
  ASSIGN_OR_RETURN(auto found, repo_.GetSession(hash));
  if (!found) return SessionEnded();
  const absl::Time now = clock_.Now();
  const PortalSessionRecord& s = found->first;
  if (!SessionAlive(s.last_seen_at, s.expires_at, s.ended_at, now, sessions_)) {
    return SessionEnded();
  }
  if (now - s.last_seen_at >= sessions_.touch_interval) {
    RETURN_IF_ERROR(repo_.TouchSession(hash, now));
  }
  return found->second;
}

absl::Status PortalOperations::EndSession(const std::string& token) {
  if (!absl::StartsWith(token, kSessionPrefix) || token.size() > kMaxTokenBytes) {
    return absl::NotFoundError("no such session");
  }
  return repo_.EndSession(common::Sha256Hex(token), clock_.Now());
}

absl::StatusOr<std::vector<MerchantUserRecord>> PortalOperations::ListUsers(
    const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  return repo_.ListUsers(merchant_id);
}

absl::StatusOr<MerchantUserRecord> PortalOperations::InviteUser(const std::string& merchant_id,
                                                                const std::string& mobile,
                                                                const std::string& role,
                                                                const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateMainlandMobile(mobile, "mobile"));
  if (role.empty()) return common::InvalidField("role", "is required: owner, cashier or viewer");
  const std::optional<PortalRole> parsed = ParsePortalRole(role);
  if (!parsed) return common::InvalidField("role", "must be owner, cashier or viewer");
  ASSIGN_OR_RETURN(std::vector<MerchantUserRecord> users, repo_.ListUsers(merchant_id));
  if (users.size() >= kMaxPortalUsersPerMerchant) {
    return common::FailedPreconditionField(
        "merchant_id", absl::StrCat("a merchant may have at most ", kMaxPortalUsersPerMerchant,
                                    " portal users: remove one first"));
  }
  MerchantUserRecord user{NewUserId(), merchant_id, mobile, *parsed, actor, clock_.Now(), ""};
  RETURN_IF_ERROR(repo_.AddUser(user));
  return user;
}

absl::StatusOr<MerchantUserRecord> PortalOperations::RemoveUser(const std::string& merchant_id,
                                                                const std::string& user_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateId(user_id, "user_id"));
  return repo_.RemoveUser(merchant_id, user_id, clock_.Now(), [](const MerchantUserRecord& u) {
    if (u.invited_by == kRegisteredOwner) {
      return common::FailedPreconditionField(
          "user_id",
          "the merchant's registered mobile stays an owner; to change it, ask the "
          "service provider to update the registration");
    }
    return absl::OkStatus();
  });
}

}  // namespace aggpay::merchant
