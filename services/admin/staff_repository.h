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
  // Disables the account and revokes its tokens in one transaction. NOT_FOUND if absent.
  virtual absl::StatusOr<Staff> DisableStaff(const std::string& staff_id, absl::Time now) = 0;

  virtual absl::Status CreateToken(const StaffToken& token) = 0;
  // The token with this hash and its staff account, if any.
  virtual absl::StatusOr<std::optional<std::pair<StaffToken, Staff>>> FindToken(
      const std::string& token_hash) = 0;
  // NOT_FOUND if there is no such token.
  virtual absl::Status RevokeToken(const std::string& token_id, absl::Time now) = 0;
};

}  // namespace aggpay::admin
