#include "services/common/audit/audit_chain.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::common {
namespace {

void AppendField(std::string* out, absl::string_view field) {
  absl::StrAppend(out, field.size(), ":", field, ";");
}

}  // namespace

std::string AuditEntryHash(int64_t seq, const AuditRecord& r, absl::string_view prev_hash) {
  std::string data;
  AppendField(&data, prev_hash);
  AppendField(&data, std::to_string(seq));
  AppendField(&data, std::to_string(absl::ToUnixMicros(r.at)));
  AppendField(&data, r.actor);
  AppendField(&data, r.role);
  AppendField(&data, r.action);
  AppendField(&data, r.target);
  AppendField(&data, r.request_id);
  AppendField(&data, r.outcome);
  AppendField(&data, r.details);
  return Sha256Hex(data);
}

AuditChainVerifier::AuditChainVerifier(int64_t first_seq, std::string prev_hash)
    : next_seq_(first_seq), prev_hash_(std::move(prev_hash)) {}

bool AuditChainVerifier::Add(const ChainedAuditEntry& e) {
  if (!result_.ok) return false;
  const auto broken = [&](int64_t seq, std::string problem) {
    result_.ok = false;
    result_.first_broken_seq = seq;
    result_.problem = std::move(problem);
    return false;
  };
  if (e.seq != next_seq_) {
    return broken(next_seq_,
                  absl::StrCat("entry ", next_seq_, " is missing (next present is ", e.seq, ")"));
  }
  if (e.prev_hash != prev_hash_) {
    return broken(e.seq, absl::StrCat("entry ", e.seq, " does not link to entry ", e.seq - 1));
  }
  if (AuditEntryHash(e.seq, e.record, e.prev_hash) != e.hash) {
    return broken(e.seq, absl::StrCat("entry ", e.seq, " was altered: its hash does not match"));
  }
  ++result_.entries_checked;
  prev_hash_ = e.hash;
  ++next_seq_;
  return true;
}

AuditVerifyResult AuditChainVerifier::Finish(int64_t head_seq, absl::string_view head_hash) {
  if (result_.ok && (next_seq_ - 1 != head_seq || prev_hash_ != head_hash)) {
    result_.ok = false;
    result_.first_broken_seq = next_seq_;
    result_.problem = absl::StrCat("the log ends at entry ", next_seq_ - 1,
                                   " but the chain head records entry ", head_seq);
  }
  return result_;
}

}  // namespace aggpay::common
