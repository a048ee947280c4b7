#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/clock/clock.h"
#include "services/common/sms/otp_sender.h"
#include "services/merchant/portal_repository.h"

namespace aggpay::merchant {

// The merchant portal's sign-in, sessions and users (docs/portal.md). Who may do what in the
// portal is the gateway's per-route role table; this class trusts its callers (the gateway with
// the internal credential, or a merchant principal for its own users).
class PortalOperations {
 public:
  // `sms` may be null (no sender configured): then no one can sign in.
  PortalOperations(PortalRepository& repo, common::OtpSender* sms, std::string otp_key,
                   const common::Clock& clock, SignInLimits sign_in = {},
                   SessionLimits sessions = {})
      : repo_(repo),
        sms_(sms),
        otp_key_(std::move(otp_key)),
        clock_(clock),
        sign_in_(sign_in),
        sessions_(sessions) {}

  struct CodeSent {
    absl::Time expires_at;
    absl::Duration resend_after;
  };
  absl::StatusOr<CodeSent> RequestCode(const std::string& mobile);

  struct Session {
    std::string token;
    MerchantUserRecord user;
    absl::Time expires_at;
  };
  absl::StatusOr<Session> VerifyCode(const std::string& mobile, const std::string& code);
  // UNAUTHENTICATED "the session has ended: sign in again" when it is not alive.
  absl::StatusOr<MerchantUserRecord> CheckSession(const std::string& token);
  absl::Status EndSession(const std::string& token);

  absl::StatusOr<std::vector<MerchantUserRecord>> ListUsers(const std::string& merchant_id);
  absl::StatusOr<MerchantUserRecord> InviteUser(const std::string& merchant_id,
                                                const std::string& mobile, const std::string& role,
                                                const std::string& actor);
  absl::StatusOr<MerchantUserRecord> RemoveUser(const std::string& merchant_id,
                                                const std::string& user_id);

  const SessionLimits& session_limits() const { return sessions_; }

 private:
  std::string Hash(const std::string& mobile, const std::string& code) const;

  PortalRepository& repo_;
  common::OtpSender* sms_;
  std::string otp_key_;
  const common::Clock& clock_;
  SignInLimits sign_in_;
  SessionLimits sessions_;
};

}  // namespace aggpay::merchant
