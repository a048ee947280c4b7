#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/audit/audit_chain.h"
#include "services/common/audit/audit_sink.h"

namespace aggpay::admin {

struct AuditFilter {
  int64_t after_seq = 0;
  int limit = 100;
  std::string actor;
  std::string action;
};

// The append-only, hash-chained audit log.
class AuditRepository : public common::AuditSink {
 public:
  // Assigns the next sequence number and links the entry to the chain head, atomically.
  absl::Status Append(const common::AuditRecord& record) override = 0;
  virtual absl::StatusOr<std::vector<common::ChainedAuditEntry>> List(
      const AuditFilter& filter) = 0;
  // Streams the whole log through the chain verifier, a page at a time.
  virtual absl::StatusOr<common::AuditVerifyResult> Verify() = 0;
};

}  // namespace aggpay::admin
