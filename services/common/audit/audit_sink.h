#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace aggpay::common {

// One audited action, before it is chained. The audit log's owner (the admin service) assigns
// the sequence number and hashes.
struct AuditRecord {
  absl::Time at;
  std::string actor;   // "staff:alice", "merchant:m_1", "anonymous"
  std::string role;    // staff role, or the principal kind
  std::string action;  // the full RPC name, e.g. "/aggpay.v1.AdminService/CreateStaff"
  std::string target;  // what it acted on, as the handler named it
  std::string request_id;
  std::string outcome;  // "OK" or the status code name
  std::string details;
  // Set for an entry delivered from the audit outbox ("outbox:<id>"): the chain holds at most one
  // entry per key, so a repeated delivery is not chained twice.
  std::string source_key;
};

// Where audited actions go. Append blocks until the entry is durable.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual absl::Status Append(const AuditRecord& record) = 0;
  // All of `records` in order, atomically; records whose source_key is already chained are
  // skipped.
  virtual absl::Status AppendBatch(const std::vector<AuditRecord>& records) = 0;
};

}  // namespace aggpay::common
