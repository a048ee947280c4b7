#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/binding/domain/code.h"
#include "services/binding/domain/reset.h"

namespace aggpay::binding {

struct CodeRecord {
  std::string code_id;
  CodeKind kind = CodeKind::kStatic;
  CodeStatus status = CodeStatus::kActive;
  std::string merchant_id;
  std::string store_id;
  std::string terminal_sn;  // empty: a store code
  std::string display_name;
  std::vector<std::pair<std::string, std::string>> channel_params;
  std::optional<int64_t> amount_minor;
  std::string currency;
  std::optional<absl::Time> valid_until;
  std::string replaced_by;
  absl::Time created_at;
  // Read, not stored with the code: "FROZEN" or "CLOSED" while the merchant's collection is
  // blocked (merchant_collection_blocks).
  std::string merchant_block;
};

struct HistoryEntry {
  std::string code_id;
  std::string merchant_id;
  std::string terminal_sn;
  std::string event;  // ISSUED, REVOKED, UNBOUND, RESET, GRACE_STARTED, GRACE_ENDED
  std::string reason;
  std::string actor;
  absl::Time at;
};

struct AlertRecord {
  int64_t alert_id = 0;
  std::string merchant_id;
  std::string code_id;
  std::string terminal_sn;
  std::string client;
  absl::Time at;
};

struct RequestRecord {
  ResetRequest request;
  std::string new_code_id;
  std::string decided_by;
};

struct CodeFilter {
  std::string merchant_id;
  std::string terminal_sn;
  std::optional<CodeStatus> status;
  std::string after_code_id;
  int limit = 50;
};

// What a change to an existing code writes: the code's new state, optionally a new code, and
// history entries. Decided by the caller on the locked row.
struct CodeChange {
  CodeRecord old_code;
  std::optional<CodeRecord> new_code;
  std::vector<HistoryEntry> history;
  // Set by the repository: the invalidation-log entry written with the change.
  int64_t invalidation_seq = 0;
};

// A merchant's collection block as the merchant service set it.
struct MerchantBlockChange {
  int64_t invalidation_seq = 0;
  int64_t codes_unbound = 0;
};

// Storage of collection codes, their history, alerts and reset requests.
class CodeRepository {
 public:
  virtual ~CodeRepository() = default;

  virtual absl::Status Create(const CodeRecord& code, const HistoryEntry& history) = 0;
  virtual absl::StatusOr<std::optional<CodeRecord>> Get(const std::string& code_id) = 0;
  virtual absl::StatusOr<std::vector<CodeRecord>> List(const CodeFilter& filter) = 0;
  // The id of the terminal's newest ACTIVE static code (asked at every check-in, so only the id;
  // concurrent callers may share one read, each from a read that began after its call).
  virtual absl::StatusOr<std::optional<std::string>> ActiveCodeIdForTerminal(
      const std::string& terminal_sn) = 0;

  using ChangeDecision = std::function<absl::StatusOr<CodeChange>(const CodeRecord& current)>;
  // Locks the code, applies the decision in one transaction. NOT_FOUND for no such code.
  virtual absl::StatusOr<CodeChange> Change(const std::string& code_id,
                                            const ChangeDecision& decide, absl::Time now) = 0;

  virtual absl::Status RecordDelivery(const std::string& terminal_sn, const std::string& code_id,
                                      absl::Time now) = 0;
  // Terminals whose last fetched code is `code_id`.
  virtual absl::StatusOr<std::vector<std::string>> TerminalsHolding(const std::string& code_id) = 0;
  virtual absl::StatusOr<std::vector<HistoryEntry>> History(const std::string& terminal_sn,
                                                            const std::string& code_id) = 0;

  virtual absl::Status AddAlert(const AlertRecord& alert) = 0;
  virtual absl::StatusOr<std::vector<AlertRecord>> ListAlerts(const std::string& merchant_id,
                                                              int limit) = 0;
  virtual absl::StatusOr<int64_t> CountAlerts(const std::string& merchant_id) = 0;

  virtual absl::Status CreateRequest(const RequestRecord& request) = 0;
  virtual absl::StatusOr<std::optional<RequestRecord>> GetRequest(const std::string& id) = 0;
  // Locks the request and stores what `decide` returns.
  using RequestDecision = std::function<absl::StatusOr<RequestRecord>(const RequestRecord&)>;
  virtual absl::StatusOr<RequestRecord> UpdateRequest(const std::string& id,
                                                      const RequestDecision& decide,
                                                      absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<RequestRecord>> ListRequests(
      std::optional<RequestStatus> status, const std::string& merchant_id, int limit) = 0;

  // The code in GRACE that `code_id` replaced, if any.
  virtual absl::StatusOr<std::optional<std::string>> GraceCodeReplacedBy(
      const std::string& code_id) = 0;

  // Reset requests created for the code, and for the merchant, since `since`.
  virtual absl::StatusOr<std::pair<int64_t, int64_t>> CountRequestsSince(
      const std::string& code_id, const std::string& merchant_id, absl::Time since) = 0;

  // Blocks ("FROZEN", "CLOSED") or unblocks ("ACTIVE") a merchant's collection in one
  // transaction with its invalidation-log entry. CLOSED also unbinds every ACTIVE or GRACE code
  // of the merchant, with history.
  virtual absl::StatusOr<MerchantBlockChange> SetMerchantBlock(const std::string& merchant_id,
                                                               const std::string& status,
                                                               const std::string& reason,
                                                               const std::string& actor,
                                                               absl::Time now) = 0;
};

}  // namespace aggpay::binding
