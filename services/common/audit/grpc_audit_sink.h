#pragma once

#include <memory>
#include <string>

#include "services/common/audit/audit_sink.h"

namespace grpc {
class Channel;
}

namespace aggpay::common {

// Appends to the audit log through its owner, the admin service (AdminService.AppendAudit).
class GrpcAuditSink final : public AuditSink {
 public:
  GrpcAuditSink(std::shared_ptr<grpc::Channel> admin, std::string internal_secret);
  absl::Status Append(const AuditRecord& record) override;
  absl::Status AppendBatch(const std::vector<AuditRecord>& records) override;

 private:
  std::shared_ptr<grpc::Channel> admin_;
  std::string internal_secret_;
};

}  // namespace aggpay::common
