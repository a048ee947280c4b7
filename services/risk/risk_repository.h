#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/risk/domain/alerts.h"
#include "services/risk/domain/regions.h"
#include "services/risk/domain/rules.h"

namespace aggpay::risk {

struct StoredRule {
  RuleConfig config;
  std::string updated_by;
  absl::Time updated_at;
};

struct EventDraft {
  std::string merchant_id;
  Decision decision = Decision::kAllow;
  std::vector<Hit> hits;
  int64_t amount_minor = 0;
  std::string currency;
  std::string payer_ip;
  std::string device_id;
  std::string terminal_sn;
  std::string attempt_id;
};

struct EventRecord : EventDraft {
  int64_t event_id = 0;
  absl::Time created_at;
};

struct EventFilter {
  std::string merchant_id;
  std::string rule_id;
  std::optional<absl::Time> since;
  int64_t before_event_id = 0;  // keyset: events older than this (0: from the newest)
  int limit = 50;
};

inline constexpr absl::string_view kTransactionFreeze = "TRANSACTION";
inline constexpr absl::string_view kDeviceFreeze = "DEVICE";

struct FreezeRecord {
  int64_t freeze_id = 0;
  std::string merchant_id;
  std::string kind;    // TRANSACTION, DEVICE
  std::string status;  // ACTIVE, LIFTED
  std::string rule_id;
  int64_t event_id = 0;
  std::string reason;
  absl::Time created_at;
  std::optional<absl::Time> lifted_at;
  std::string lifted_by;
};

struct AppealDocumentRef {
  std::string name;
  std::string sha256;
};

struct AppealRecord {
  int64_t appeal_id = 0;
  std::string merchant_id;
  int64_t freeze_id = 0;
  std::string status;  // PENDING, APPROVED, REJECTED
  std::string statement;
  std::vector<AppealDocumentRef> documents;
  std::string review_note;
  std::string reviewed_by;
  absl::Time submitted_at;
  std::optional<absl::Time> reviewed_at;
};

// What must reach another service after commit (risk_actions).
inline constexpr absl::string_view kFreezeCollection = "FREEZE_COLLECTION";
inline constexpr absl::string_view kUnfreezeCollection = "UNFREEZE_COLLECTION";
inline constexpr absl::string_view kForceOffline = "FORCE_OFFLINE";
inline constexpr absl::string_view kReleaseTerminals = "RELEASE_TERMINALS";
inline constexpr absl::string_view kNotify = "NOTIFY";

struct ActionRecord {
  int64_t action_id = 0;
  std::string merchant_id;
  std::string kind;
  std::string payload;  // the reason, or a notification's "alert_id\nbody"
  int attempts = 0;
};

struct AlertRecord {
  std::string alert_id;
  std::string merchant_id;
  std::string kind;
  std::map<std::string, std::string> detail;
  absl::Time created_at;
};

struct DailyDelta {
  std::string merchant_id;
  std::string currency;
  std::string day;  // YYYY-MM-DD
  int64_t amount_minor = 0;
  int64_t payments = 0;
};

// What a recorded decision left to do: the merchants whose actions should run now.
struct RecordedDecision {
  int64_t event_id = 0;
  std::vector<std::string> merchants_with_actions;
};

class RiskRepository {
 public:
  virtual ~RiskRepository() = default;

  // Bumped by every change of rules, regions or thresholds.
  virtual absl::StatusOr<int64_t> Generation() = 0;
  virtual absl::StatusOr<std::vector<StoredRule>> LoadRules() = 0;
  // Applies `change` to the current rule under a row lock; `change` validates. A new version.
  virtual absl::StatusOr<StoredRule> UpdateRule(
      const std::string& rule_id,
      const std::function<absl::StatusOr<RuleConfig>(RuleConfig)>& change, const std::string& actor,
      const std::string& reason, absl::Time now) = 0;

  virtual absl::StatusOr<std::vector<RegionRange>> LoadRegions() = 0;
  // Replaces the whole table in one transaction; returns the import's version.
  virtual absl::StatusOr<int64_t> ReplaceRegions(const std::vector<RegionRange>& ranges,
                                                 const std::string& sha256,
                                                 const std::string& actor, absl::Time now) = 0;

  virtual absl::StatusOr<History> LoadHistory(const std::string& merchant_id,
                                              const std::string& currency, absl::CivilDay today,
                                              int window_days) = 0;
  // One multi-row upsert.
  virtual absl::Status AddDailyTotals(const std::vector<DailyDelta>& deltas) = 0;

  // The event, its FREEZE / FORCE_OFFLINE freezes and their actions, in one transaction.
  virtual absl::StatusOr<RecordedDecision> RecordDecision(const EventDraft& event,
                                                          absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<EventRecord>> ListEvents(const EventFilter& filter) = 0;

  // A staff freeze: ALREADY_EXISTS when one is active.
  virtual absl::StatusOr<FreezeRecord> CreateFreeze(const std::string& merchant_id,
                                                    const std::string& reason,
                                                    const std::string& actor, absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<FreezeRecord>> ListFreezes(const std::string& merchant_id,
                                                                bool active_only) = 0;
  // FAILED_PRECONDITION when the merchant has no active transaction freeze, ALREADY_EXISTS when
  // an appeal of it is pending.
  virtual absl::StatusOr<AppealRecord> SubmitAppeal(const std::string& merchant_id,
                                                    const std::string& statement,
                                                    const std::vector<AppealDocumentRef>& docs,
                                                    absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<AppealRecord>> ListAppeals(const std::string& merchant_id,
                                                                bool pending_only) = 0;
  // PENDING -> APPROVED (the freeze lifted, collection unfrozen) or REJECTED.
  virtual absl::StatusOr<AppealRecord> ReviewAppeal(int64_t appeal_id, bool approve,
                                                    const std::string& note,
                                                    const std::string& actor, absl::Time now) = 0;
  // The active device freeze lifted, the terminals released. FAILED_PRECONDITION without one.
  virtual absl::StatusOr<FreezeRecord> PassSecurityCheck(const std::string& merchant_id,
                                                         const std::string& note,
                                                         const std::string& actor,
                                                         absl::Time now) = 0;

  virtual absl::StatusOr<std::optional<AlertThresholds>> GetThresholds(
      const std::string& merchant_id) = 0;
  virtual absl::Status SetThresholds(const AlertThresholds& t, absl::Time now) = 0;
  // Stores the drafts not already raised (by dedupe key), each with a NOTIFY action whose body
  // `body_of` writes. Returns the alerts stored.
  virtual absl::StatusOr<std::vector<AlertRecord>> RaiseAlerts(
      const std::string& merchant_id, const std::vector<AlertDraft>& drafts,
      const std::function<std::string(const AlertRecord&)>& body_of, absl::Time now) = 0;
  virtual absl::StatusOr<std::vector<AlertRecord>> ListAlerts(const std::string& merchant_id,
                                                              int limit) = 0;

  // The oldest pending action of each merchant (of `merchant_id` only, when given), leased.
  virtual absl::StatusOr<std::vector<ActionRecord>> ClaimActions(const std::string& merchant_id,
                                                                 absl::Duration lease,
                                                                 int limit) = 0;
  virtual absl::Status CompleteAction(int64_t action_id) = 0;
  virtual absl::Status FailAction(int64_t action_id, const std::string& error,
                                  absl::Duration retry_after) = 0;
};

}  // namespace aggpay::risk
