#pragma once

// Risk rules: one implementation per trigger of shared/DOMAIN.md ("Risk control"), each judged
// from the payment's facts, the counters Redis answered in one round trip and the merchant's
// daily history. Pure: no I/O, no clock (the time is a fact), no logging.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace aggpay::risk {

enum class Decision { kAllow, kReview, kBlock, kFreeze };
enum class Action { kReview, kBlock, kFreeze, kForceOffline };
// What a rule does when its counters cannot be read: OPEN lets the payment through flagged
// REVIEW, CLOSED refuses it (BLOCK). Never a freeze: an outage must not freeze merchants.
enum class FailMode { kOpen, kClosed };

absl::string_view DecisionName(Decision d);
absl::string_view ActionName(Action a);
absl::StatusOr<Action> ParseAction(absl::string_view name, absl::string_view field);
absl::string_view FailModeName(FailMode m);
absl::StatusOr<FailMode> ParseFailMode(absl::string_view name, absl::string_view field);

inline constexpr absl::string_view kAmountSurge = "amount_surge";
inline constexpr absl::string_view kNightSmall = "night_small";
inline constexpr absl::string_view kForeignIp = "foreign_ip";
inline constexpr absl::string_view kDeviceHopping = "device_hopping";

using Params = std::map<std::string, std::string>;

// "a=1,b=2" <-> {a:1, b:2}; keys sorted on output.
absl::StatusOr<Params> ParseParams(absl::string_view text);
std::string FormatParams(const Params& params);

// A rule as stored: what staff change at run time.
struct RuleConfig {
  std::string rule_id;
  bool enabled = true;
  Action action = Action::kReview;
  FailMode fail_mode = FailMode::kOpen;
  Params params;
  int64_t version = 0;
};

// What the payment brings. `now` is the evaluation's time; the zone is the merchant's.
struct PaymentFacts {
  std::string merchant_id;
  absl::TimeZone zone;
  std::string merchant_region;
  int64_t amount_minor = 0;
  std::string currency;
  std::string payer_ip;      // empty when unknown
  std::string payer_region;  // from the CIDR table; empty when unknown
  std::string payer_subnet;  // the payer's /N network, e.g. "203.0.113.0/24"; empty when unknown
  std::string device_id;     // empty when unknown
  absl::Time now;
};

// The merchant's history from the daily roll-ups: the first day it had any, and the sum over
// the rule's window of days before today.
struct History {
  std::optional<absl::CivilDay> first_day;
  int64_t window_sum_minor = 0;
};

// What the counting step must do for this payment (built from the enabled rules in scope).
struct CounterPlan {
  std::string local_day;  // YYYYMMDD in the merchant's zone
  bool amount = false;
  bool night = false;
  absl::Duration night_window;
  bool ip = false;
  absl::Duration ip_window;
  int ip_buckets = 6;
  bool device = false;
  absl::Duration device_window;
};

// What Redis answered; counts include this payment.
struct Counters {
  int64_t today_minor = 0;
  int64_t night_count = 0;
  int64_t ip_total = 0;
  int64_t ip_region = 0;
  int64_t ip_subnet = 0;
  std::vector<std::string> device_merchants;
};

struct Hit {
  std::string rule_id;
  Action action = Action::kReview;
  std::map<std::string, std::string> evidence;
  // FORCE_OFFLINE: every merchant whose terminals go offline.
  std::vector<std::string> merchants;
};

class Rule {
 public:
  virtual ~Rule() = default;
  const RuleConfig& config() const { return config_; }
  // Whether this payment is one the rule watches (the night rule: small payments at night).
  virtual bool InScope(const PaymentFacts& facts) const = 0;
  // Adds what the rule needs counted to the plan.
  virtual void Plan(const PaymentFacts& facts, CounterPlan& plan) const = 0;
  virtual std::optional<Hit> Judge(const PaymentFacts& facts, const Counters& counters,
                                   const History& history) const = 0;

 protected:
  explicit Rule(RuleConfig config) : config_(std::move(config)) {}
  Hit MakeHit(std::map<std::string, std::string> evidence) const;

 private:
  RuleConfig config_;
};

// Builds the rule a config names, checking every parameter (INVALID_ARGUMENT naming
// "params.<key>") and that the action suits the rule.
absl::StatusOr<std::unique_ptr<Rule>> MakeRule(RuleConfig config);

// The defaults shipped in migration 0012, for tests and documentation.
std::vector<RuleConfig> DefaultRules();

struct Verdict {
  Decision decision = Decision::kAllow;
  std::vector<Hit> hits;
};

// The enabled rules, judged together: FREEZE beats BLOCK (and FORCE_OFFLINE) beats REVIEW.
class RuleSet {
 public:
  static absl::StatusOr<RuleSet> Build(std::vector<RuleConfig> configs);
  RuleSet() = default;

  CounterPlan Plan(const PaymentFacts& facts) const;
  bool NeedsHistory(const PaymentFacts& facts) const;
  int history_days() const;
  // `counters` empty: Redis was unavailable, and each rule in scope fails by its mode.
  Verdict Judge(const PaymentFacts& facts, const std::optional<Counters>& counters,
                const History& history) const;
  const std::vector<std::shared_ptr<const Rule>>& rules() const { return rules_; }

 private:
  std::vector<std::shared_ptr<const Rule>> rules_;
};

// The local day of `t` in `zone`.
absl::CivilDay LocalDay(absl::Time t, absl::TimeZone zone);
std::string DayKey(absl::CivilDay day);

}  // namespace aggpay::risk
