#include "services/admin/staff_directory.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/admin/sign_in_crypto.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::admin {
namespace {

constexpr absl::string_view kWrongCredentials = "wrong username, password or code";

// Checking a password against this when the username is unknown costs the same time as a real
// check, so response times do not reveal which usernames exist.
const std::string& DummyHash() {
  static const std::string hash = HashPassword("aggpay: no such account").value_or("");
  return hash;
}

absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

}  // namespace

absl::StatusOr<Staff> StaffDirectory::CreateStaff(std::string username, std::string display_name,
                                                  std::string role) {
  Staff s;
  s.staff_id = absl::StrCat("stf_", common::RandomToken(12));
  s.username = std::move(username);
  s.display_name = std::move(display_name);
  s.role = std::move(role);
  s.status = StaffStatus::kActive;
  s.created_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  RETURN_IF_ERROR(ValidateNewStaff(s));
  RETURN_IF_ERROR(repo_.CreateStaff(s));
  return s;
}

absl::StatusOr<IssuedToken> StaffDirectory::IssueToken(const std::string& staff_id,
                                                       absl::Duration ttl) {
  if (ttl == absl::ZeroDuration()) ttl = default_ttl_;
  RETURN_IF_ERROR(ValidateTokenTtl(ttl));
  ASSIGN_OR_RETURN(std::optional<Staff> staff, repo_.FindStaff(staff_id));
  if (!staff.has_value())
    return absl::NotFoundError(absl::StrCat("staff ", staff_id, " not found"));
  if (staff->status != StaffStatus::kActive) {
    return absl::FailedPreconditionError(absl::StrCat("staff ", staff_id, " is disabled"));
  }
  StaffToken t;
  t.token_id = absl::StrCat("tok_", common::RandomToken(9));
  const std::string secret = absl::StrCat("agst_", common::RandomToken(32));
  t.token_hash = common::Sha256Hex(secret);
  t.staff_id = staff_id;
  t.created_at = clock_.Now();
  t.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(t.created_at + ttl));
  RETURN_IF_ERROR(repo_.CreateToken(t));
  return IssuedToken{t.token_id, secret, t.expires_at};
}

absl::Status StaffDirectory::RevokeToken(const std::string& token_id) {
  return repo_.RevokeToken(token_id, clock_.Now());
}

absl::StatusOr<Staff> StaffDirectory::DisableStaff(const std::string& staff_id) {
  return repo_.DisableStaff(staff_id, clock_.Now());
}

absl::StatusOr<StaffDirectory::Bootstrapped> StaffDirectory::BootstrapAdmin(
    const std::string& username) {
  ASSIGN_OR_RETURN(std::optional<Staff> existing, repo_.FindStaffByUsername(username));
  Staff admin;
  if (existing.has_value()) {
    if (existing->role != "admin") {
      return absl::FailedPreconditionError(
          absl::StrCat("staff \"", username, "\" exists and is not an admin"));
    }
    admin = *existing;
  } else {
    ASSIGN_OR_RETURN(admin, CreateStaff(username, "Administrator", "admin"));
  }
  ASSIGN_OR_RETURN(IssuedToken token, IssueToken(admin.staff_id, absl::ZeroDuration()));
  Bootstrapped out{admin, token, std::nullopt};
  if (sign_in_.box.has_value()) {
    FirstCredentials first;
    first.password = common::RandomToken(18);
    ASSIGN_OR_RETURN(first.totp_uri, SetCredentials(admin.staff_id, first.password, true));
    out.credentials = std::move(first);
  }
  return out;
}

absl::StatusOr<std::string> StaffDirectory::NewTotp(const Staff& staff, std::string* sealed) {
  if (!sign_in_.box.has_value()) {
    return absl::FailedPreconditionError(
        "no secret key is configured (AGGPAY_SECRET_KEY), so no TOTP secret can be kept");
  }
  const std::string secret = NewTotpSecret();
  ASSIGN_OR_RETURN(*sealed, sign_in_.box->Seal(secret));
  return TotpUri(sign_in_.totp_issuer, staff.username, secret);
}

absl::StatusOr<std::string> StaffDirectory::SetCredentials(const std::string& staff_id,
                                                           absl::string_view password,
                                                           bool new_totp) {
  RETURN_IF_ERROR(ValidateNewPassword(password));
  ASSIGN_OR_RETURN(std::optional<Staff> staff, repo_.FindStaff(staff_id));
  if (!staff.has_value()) {
    return absl::NotFoundError(absl::StrCat("staff ", staff_id, " not found"));
  }
  std::string sealed;
  std::string uri;
  if (new_totp) {
    ASSIGN_OR_RETURN(uri, NewTotp(*staff, &sealed));
  }
  ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  RETURN_IF_ERROR(repo_.SetCredentials(staff_id, hash, sealed, clock_.Now()));
  return uri;
}

absl::StatusOr<SignedIn> StaffDirectory::SignIn(const std::string& username,
                                                absl::string_view password,
                                                absl::string_view totp_code) {
  if (username.empty()) return common::InvalidField("username", "is required");
  if (password.empty()) return common::InvalidField("password", "is required");
  if (totp_code.empty()) return common::InvalidField("totp_code", "is required");
  if (username.size() > 64 || password.size() > 128) {
    return absl::UnauthenticatedError(kWrongCredentials);
  }
  ASSIGN_OR_RETURN(std::optional<StaffCredentials> found, repo_.FindCredentials(username));
  if (!found.has_value() || found->password_hash.empty()) {
    VerifyPassword(password, DummyHash());
    return absl::UnauthenticatedError(kWrongCredentials);
  }
  const StaffCredentials& cred = *found;
  const absl::Time now = clock_.Now();
  if (cred.locked_until.has_value() && *cred.locked_until > now) {
    return absl::UnauthenticatedError("too many failed sign-ins; try again later");
  }
  const auto fail = [&]() -> absl::Status {
    RETURN_IF_ERROR(repo_.RecordSignInFailure(cred.staff.staff_id,
                                              sign_in_.sessions.lock_after_failures,
                                              now + sign_in_.sessions.lock_for));
    return absl::UnauthenticatedError(kWrongCredentials);
  };
  if (!VerifyPassword(password, cred.password_hash)) return fail();
  if (cred.totp_secret_sealed.empty() || !sign_in_.box.has_value()) return fail();
  ASSIGN_OR_RETURN(std::string secret, sign_in_.box->Open(cred.totp_secret_sealed));
  std::optional<int64_t> step = MatchTotp(secret, totp_code, now, cred.totp_last_step);
  if (!step.has_value()) return fail();
  if (cred.staff.status != StaffStatus::kActive) {
    return absl::UnauthenticatedError("staff account disabled");
  }
  ASSIGN_OR_RETURN(bool fresh, repo_.ConsumeTotpStep(cred.staff.staff_id, *step));
  if (!fresh) return fail();

  SignedIn out;
  out.staff = cred.staff;
  out.session_id = absl::StrCat("ses_", common::RandomToken(9));
  out.session_token = absl::StrCat(kSessionTokenPrefix, common::RandomToken(32));
  StaffSession session;
  session.session_id = out.session_id;
  session.session_hash = common::Sha256Hex(out.session_token);
  session.staff_id = cred.staff.staff_id;
  session.created_at = Micros(now);
  session.last_seen_at = session.created_at;
  session.expires_at = Micros(now + sign_in_.sessions.max_lifetime);
  out.expires_at = session.expires_at;
  RETURN_IF_ERROR(repo_.CreateSession(session));
  return out;
}

absl::Status StaffDirectory::SignOut(absl::string_view session_token) {
  if (!absl::StartsWith(session_token, kSessionTokenPrefix) || session_token.size() > 256) {
    return absl::NotFoundError("no such session");
  }
  return repo_.EndSession(common::Sha256Hex(session_token), clock_.Now());
}

absl::StatusOr<common::Principal> StaffDirectory::AuthenticateSession(absl::string_view token) {
  ASSIGN_OR_RETURN(auto found, repo_.FindSession(common::Sha256Hex(token)));
  if (!found.has_value()) return absl::UnauthenticatedError("invalid session");
  const auto& [session, staff] = *found;
  const absl::Time now = clock_.Now();
  RETURN_IF_ERROR(CheckSessionUsable(session, staff, sign_in_.sessions, now));
  // Activity moves the idle deadline. Written at most every few seconds per session, so a page
  // that makes ten calls at once costs one write.
  if (now - session.last_seen_at > absl::Seconds(5)) {
    RETURN_IF_ERROR(repo_.TouchSession(session.session_id, Micros(now)));
  }
  common::Principal p;
  p.kind = common::Principal::Kind::kStaff;
  p.id = staff.staff_id;
  p.role = staff.role;
  p.username = staff.username;
  return p;
}

absl::StatusOr<common::Principal> StaffDirectory::Authenticate(absl::string_view token) {
  if (token.empty() || token.size() > 256) return absl::UnauthenticatedError("invalid token");
  if (absl::StartsWith(token, kSessionTokenPrefix)) return AuthenticateSession(token);
  ASSIGN_OR_RETURN(auto found, repo_.FindToken(common::Sha256Hex(token)));
  if (!found.has_value()) return absl::UnauthenticatedError("invalid token");
  const auto& [t, staff] = *found;
  RETURN_IF_ERROR(CheckTokenUsable(t, staff, clock_.Now()));
  common::Principal p;
  p.kind = common::Principal::Kind::kStaff;
  p.id = staff.staff_id;
  p.role = staff.role;
  p.username = staff.username;
  return p;
}

}  // namespace aggpay::admin
