#pragma once

#include "services/admin/audit_repository.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::admin {

class MysqlAuditRepository final : public AuditRepository {
 public:
  explicit MysqlAuditRepository(common::MysqlPool& pool) : pool_(pool) {}
  absl::Status Append(const common::AuditRecord& record) override;
  absl::Status AppendBatch(const std::vector<common::AuditRecord>& records) override;
  absl::StatusOr<std::vector<common::ChainedAuditEntry>> List(const AuditFilter& filter) override;
  absl::StatusOr<common::AuditVerifyResult> Verify() override;

 private:
  common::MysqlPool& pool_;
};

}  // namespace aggpay::admin
