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
  absl::StatusOr<std::optional<StaffCredentials>> FindCredentials(
      const std::string& username) override;
  absl::Status SetCredentials(const std::string& staff_id, const std::string& password_hash,
                              const std::string& totp_secret_sealed, absl::Time now) override;
  absl::StatusOr<bool> ConsumeTotpStep(const std::string& staff_id, int64_t step) override;
  absl::Status RecordSignInFailure(const std::string& staff_id, int lock_after,
                                   absl::Time lock_until) override;
  absl::Status CreateSession(const StaffSession& session) override;
  absl::StatusOr<std::optional<std::pair<StaffSession, Staff>>> FindSession(
      const std::string& session_hash) override;
  absl::Status TouchSession(const std::string& session_id, absl::Time now) override;
  absl::Status EndSession(const std::string& session_hash, absl::Time now) override;

 private:
  absl::StatusOr<std::optional<Staff>> FindOne(const char* where, const std::string& value);
  common::MysqlPool& pool_;
};

}  // namespace aggpay::admin
