#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/admin/domain/staff.h"

namespace aggpay::admin {

// Storage of staff accounts and their tokens.
class StaffRepository {
 public:
  virtual ~StaffRepository() = default;
  // ALREADY_EXISTS when the username is taken.
  virtual absl::Status CreateStaff(const Staff& staff) = 0;
  virtual absl::StatusOr<std::optional<Staff>> FindStaff(const std::string& staff_id) = 0;
  virtual absl::StatusOr<std::optional<Staff>> FindStaffByUsername(const std::string& username) = 0;
  // Ordered by staff_id, those after `after_staff_id`.
  virtual absl::StatusOr<std::vector<Staff>> ListStaff(const std::string& after_staff_id,
                                                       int limit) = 0;
  // Disables the account, revokes its tokens and ends its sessions in one transaction. NOT_FOUND if
  // absent.
  virtual absl::StatusOr<Staff> DisableStaff(const std::string& staff_id, absl::Time now) = 0;

  virtual absl::Status CreateToken(const StaffToken& token) = 0;
  // The token with this hash and its staff account, if any.
  virtual absl::StatusOr<std::optional<std::pair<StaffToken, Staff>>> FindToken(
      const std::string& token_hash) = 0;
  // NOT_FOUND if there is no such token.
  virtual absl::Status RevokeToken(const std::string& token_id, absl::Time now) = 0;

  // The console sign-in's view of the account with this username, if any.
  virtual absl::StatusOr<std::optional<StaffCredentials>> FindCredentials(
      const std::string& username) = 0;
  // Sets the password hash and, when `totp_secret_sealed` is not empty, a new TOTP secret (its
  // last used step starts again at 0); clears failures and the lock. NOT_FOUND if absent.
  virtual absl::Status SetCredentials(const std::string& staff_id, const std::string& password_hash,
                                      const std::string& totp_secret_sealed, absl::Time now) = 0;
  // Marks TOTP step `step` used and clears failures, only if it is later than the last used one:
  // false when it is not (the same code was used, possibly by a concurrent sign-in).
  virtual absl::StatusOr<bool> ConsumeTotpStep(const std::string& staff_id, int64_t step) = 0;
  // Counts a failed sign-in; at `lock_after` failures the account is locked until `lock_until`.
  virtual absl::Status RecordSignInFailure(const std::string& staff_id, int lock_after,
                                           absl::Time lock_until) = 0;

  virtual absl::Status CreateSession(const StaffSession& session) = 0;
  // The session with this hash and its staff account, if any.
  virtual absl::StatusOr<std::optional<std::pair<StaffSession, Staff>>> FindSession(
      const std::string& session_hash) = 0;
  virtual absl::Status TouchSession(const std::string& session_id, absl::Time now) = 0;
  // Ends the session with this hash (a no-op if it already ended). NOT_FOUND if there is none.
  virtual absl::Status EndSession(const std::string& session_hash, absl::Time now) = 0;
};

}  // namespace aggpay::admin
