#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/admin/staff_repository.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/staff_authenticator.h"

namespace aggpay::admin {

struct IssuedToken {
  std::string token_id;
  std::string token;  // the secret bearer token, returned once
  absl::Time expires_at;
};

using common::kSessionTokenPrefix;

struct SignInOptions {
  // Seals TOTP secrets (AGGPAY_SECRET_KEY). Without it, no TOTP secret can be set or checked, so
  // no one can sign in to the console; tokens still work.
  std::optional<common::SecretBox> box;
  SessionPolicy sessions;
  // The issuer named in otpauth:// URIs, which authenticator apps show.
  std::string totp_issuer = "aggpay";
};

struct SignedIn {
  Staff staff;
  std::string session_id;
  std::string session_token;  // secret; the gateway keeps it in an HttpOnly cookie
  absl::Time expires_at;      // the absolute end; idleness ends it sooner
};

struct FirstCredentials {
  std::string password;  // printed once
  std::string totp_uri;  // printed once
};

// Staff accounts, tokens and console sessions: the use cases behind AdminService and
// `aggpayd bootstrap-admin`.
class StaffDirectory final : public common::StaffAuthenticator {
 public:
  StaffDirectory(StaffRepository& repo, const common::Clock& clock, absl::Duration default_ttl,
                 SignInOptions sign_in = {})
      : repo_(repo), clock_(clock), default_ttl_(default_ttl), sign_in_(std::move(sign_in)) {}

  absl::StatusOr<Staff> CreateStaff(std::string username, std::string display_name,
                                    std::string role);
  // ttl of zero takes the default.
  absl::StatusOr<IssuedToken> IssueToken(const std::string& staff_id, absl::Duration ttl);
  absl::Status RevokeToken(const std::string& token_id);
  absl::StatusOr<Staff> DisableStaff(const std::string& staff_id);
  // Creates the admin account if missing (or finds it) and issues a fresh token. With a secret
  // box, it also sets a fresh random password and TOTP secret, returned in `credentials`.
  struct Bootstrapped {
    Staff staff;
    IssuedToken token;
    std::optional<FirstCredentials> credentials;
  };
  absl::StatusOr<Bootstrapped> BootstrapAdmin(const std::string& username);

  // Sets an account's password; with `new_totp`, also a new TOTP secret, whose otpauth:// URI is
  // returned (empty otherwise). INVALID_ARGUMENT naming `password`; NOT_FOUND; FAILED_PRECONDITION
  // when no secret key is configured.
  absl::StatusOr<std::string> SetCredentials(const std::string& staff_id,
                                             absl::string_view password, bool new_totp);
  // Username + password + TOTP code -> a new session. Every wrong answer is the same
  // UNAUTHENTICATED, counted against the account, which is locked for a while after too many;
  // INVALID_ARGUMENT naming an empty field.
  absl::StatusOr<SignedIn> SignIn(const std::string& username, absl::string_view password,
                                  absl::string_view totp_code);
  // Ends the session now, for every instance. NOT_FOUND for an unknown token.
  absl::Status SignOut(absl::string_view session_token);

  absl::StatusOr<common::Principal> Authenticate(absl::string_view token) override;

  StaffRepository& repository() { return repo_; }
  const SessionPolicy& session_policy() const { return sign_in_.sessions; }

 private:
  StaffRepository& repo_;
  const common::Clock& clock_;
  absl::StatusOr<common::Principal> AuthenticateSession(absl::string_view token);
  absl::StatusOr<std::string> NewTotp(const Staff& staff, std::string* sealed);

  absl::Duration default_ttl_;
  SignInOptions sign_in_;
};

}  // namespace aggpay::admin
