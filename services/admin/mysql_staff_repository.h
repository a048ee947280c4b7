#pragma once

#include "services/admin/staff_repository.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::admin {

class MysqlStaffRepository final : public StaffRepository {
 public:
  explicit MysqlStaffRepository(common::MysqlPool& pool) : pool_(pool) {}

  absl::Status CreateStaff(const Staff& staff) override;
  absl::StatusOr<std::optional<Staff>> FindStaff(const std::string& staff_id) override;
  absl::StatusOr<std::optional<Staff>> FindStaffByUsername(const std::string& username) override;
  absl::StatusOr<std::vector<Staff>> ListStaff(const std::string& after_staff_id,
                                               int limit) override;
  absl::StatusOr<Staff> DisableStaff(const std::string& staff_id, absl::Time now) override;
  absl::Status CreateToken(const StaffToken& token) override;
  absl::StatusOr<std::optional<std::pair<StaffToken, Staff>>> FindToken(
      const std::string& token_hash) override;
  absl::Status RevokeToken(const std::string& token_id, absl::Time now) override;

 private:
  absl::StatusOr<std::optional<Staff>> FindOne(const char* where, const std::string& value);
  common::MysqlPool& pool_;
};

}  // namespace aggpay::admin
