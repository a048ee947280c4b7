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
  absl::Status AppendBatch(const std::vector<common::AuditRecord>& records) override = 0;
  virtual absl::StatusOr<std::vector<common::ChainedAuditEntry>> List(
      const AuditFilter& filter) = 0;
  // Streams the log through the chain verifier, a page at a time, up to the head read at the
  // start: entries appended meanwhile are left for the next run.
  virtual absl::StatusOr<common::AuditVerifyResult> Verify() = 0;
};

}  // namespace aggpay::admin
