#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock/clock.h"
#include "services/common/metrics/metrics.h"
#include "services/risk/risk_counters.h"
#include "services/risk/risk_effects.h"
#include "services/risk/risk_repository.h"

namespace aggpay::risk {

struct RiskOptions {
  // How often an instance looks for changed rules, regions and thresholds.
  absl::Duration reload_interval = absl::Seconds(1);
  // How often allowed amounts are added to the daily roll-ups.
  absl::Duration flush_interval = absl::Seconds(1);
  // How often the action relay retries what did not reach another service at once.
  absl::Duration relay_interval = absl::Seconds(1);
  absl::Duration action_lease = absl::Seconds(30);
  absl::Duration action_retry = absl::Seconds(2);
  // Past days' roll-ups change only by the last flush after midnight.
  absl::Duration history_ttl = absl::Minutes(5);
  absl::Duration thresholds_ttl = absl::Seconds(10);
};

struct EvaluateInput {
  std::string merchant_id;
  std::string time_zone;
  std::string region;
  int64_t amount_minor = 0;
  std::string currency;
  std::string terminal_sn;
  std::string payer_ip;
  std::string device_id;
  std::string attempt_id;
};

struct EvaluateResult {
  Decision decision = Decision::kAllow;
  std::vector<Hit> hits;
  int64_t event_id = 0;
  std::string message;
};

struct RuleChange {
  std::string rule_id;
  std::map<std::string, std::string> params;
  std::string action;     // empty: unchanged
  std::string fail_mode;  // empty: unchanged
  std::string enabled;    // "true", "false" or empty
  std::string reason;
};

struct RegionImport {
  int64_t ranges = 0;
  int64_t version = 0;
  std::string sha256;
};

class RiskOperations {
 public:
  RiskOperations(RiskRepository& repo, RiskCounters& counters, RiskEffects& effects,
                 common::Metrics& metrics, common::Clock& clock, RiskOptions options = {});
  ~RiskOperations();

  // Loads rules and regions (failing start-up if they cannot be read) and starts the jobs.
  absl::Status Start();
  void Stop();

  absl::StatusOr<EvaluateResult> Evaluate(const EvaluateInput& in);

  absl::StatusOr<std::vector<EventRecord>> ListEvents(const EventFilter& filter);
  absl::StatusOr<std::vector<StoredRule>> ListRules();
  absl::StatusOr<StoredRule> UpdateRule(const RuleChange& change, const std::string& actor);
  absl::StatusOr<RegionImport> ImportRegions(const std::string& csv, const std::string& actor);

  absl::StatusOr<FreezeRecord> Freeze(const std::string& merchant_id, const std::string& reason,
                                      const std::string& actor);
  absl::StatusOr<std::vector<FreezeRecord>> ListFreezes(const std::string& merchant_id,
                                                        const std::string& status);
  absl::StatusOr<AppealRecord> SubmitAppeal(const std::string& merchant_id,
                                            const std::string& statement,
                                            const std::vector<AppealDocumentRef>& docs);
  absl::StatusOr<std::vector<AppealRecord>> ListAppeals(const std::string& merchant_id,
                                                        const std::string& status);
  absl::StatusOr<AppealRecord> ReviewAppeal(int64_t appeal_id, const std::string& verdict,
                                            const std::string& note, const std::string& actor);
  absl::StatusOr<FreezeRecord> PassSecurityCheck(const std::string& merchant_id,
                                                 const std::string& note, const std::string& actor);

  absl::StatusOr<AlertThresholds> GetThresholds(const std::string& merchant_id);
  absl::StatusOr<AlertThresholds> SetThresholds(AlertThresholds t);
  absl::StatusOr<std::vector<AlertRecord>> ListAlerts(const std::string& merchant_id, int limit);

  // Runs the merchant's pending actions now (all merchants' when empty); what fails stays for
  // the relay.
  void RunActions(const std::string& merchant_id);

 private:
  struct Snapshot {
    int64_t generation = 0;
    RuleSet rules;
    std::vector<StoredRule> stored;
    RegionTable regions;
  };
  std::shared_ptr<const Snapshot> Current() const;
  absl::Status Reload();
  absl::StatusOr<History> HistoryOf(const std::string& merchant_id, const std::string& currency,
                                    absl::CivilDay today, int window_days);
  absl::StatusOr<std::optional<AlertThresholds>> ThresholdsOf(const std::string& merchant_id);
  void Accumulate(const std::string& merchant_id, const std::string& currency,
                  const std::string& day, int64_t amount);
  void Flush();
  absl::Status Execute(const ActionRecord& action);
  void RaiseAlerts(const EvaluateInput& in, const PaymentFacts& facts,
                   const AlertThresholds& thresholds, const CounterAnswer& answer,
                   const std::string& hour_key);
  void Loop();

  RiskRepository& repo_;
  RiskCounters& counters_;
  RiskEffects& effects_;
  common::Metrics& metrics_;
  common::Clock& clock_;
  RiskOptions options_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_;

  std::mutex cache_mu_;
  struct CachedHistory {
    History history;
    absl::Time loaded;
  };
  std::map<std::tuple<std::string, std::string, std::string>, CachedHistory> history_;
  struct CachedThresholds {
    std::optional<AlertThresholds> thresholds;
    absl::Time loaded;
    int64_t generation = 0;
  };
  std::map<std::string, CachedThresholds> thresholds_;

  std::mutex totals_mu_;
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, int64_t>> totals_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace aggpay::risk
