#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/common/audit/audit_sink.h"

namespace aggpay::common {

// A stored, chained audit entry.
struct ChainedAuditEntry {
  int64_t seq = 0;
  AuditRecord record;
  std::string prev_hash;
  std::string hash;
};

// The hash of the chain's start, before any entry.
inline constexpr absl::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 over the previous hash and every field of the entry, length-prefixed so that no two
// different entries can serialize the same.
std::string AuditEntryHash(int64_t seq, const AuditRecord& record, absl::string_view prev_hash);

struct AuditVerifyResult {
  bool ok = true;
  int64_t entries_checked = 0;
  int64_t first_broken_seq = 0;
  std::string problem;
};

// Walks entries in seq order and checks that sequence numbers have no gap, each entry links to
// its predecessor's hash, each hash matches its content, and the chain ends where the recorded
// head says it does (which catches deletion of the newest entries).
class AuditChainVerifier {
 public:
  explicit AuditChainVerifier(int64_t first_seq = 1,
                              std::string prev_hash = std::string(kAuditGenesisHash));
  // Returns false once the chain is broken; later entries are ignored.
  bool Add(const ChainedAuditEntry& entry);
  AuditVerifyResult Finish(int64_t head_seq, absl::string_view head_hash);

 private:
  int64_t next_seq_;
  std::string prev_hash_;
  AuditVerifyResult result_;
};

}  // namespace aggpay::common
