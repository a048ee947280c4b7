#include "services/risk/risk_operations.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/log/log.h"
#include "services/common/money/money.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/common/text/utf8.h"

namespace aggpay::risk {
namespace {

using common::InvalidField;

constexpr size_t kMaxStatementChars = 2000;
constexpr size_t kMaxDocuments = 20;

bool IsHex64(absl::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string JsonObject(const std::map<std::string, std::string>& m) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : m) {
    parts.push_back(
        absl::StrCat("\"", common::JsonEscape(k), "\":\"", common::JsonEscape(v), "\""));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

}  // namespace

RiskOperations::RiskOperations(RiskRepository& repo, RiskCounters& counters, RiskEffects& effects,
                               common::Metrics& metrics, common::Clock& clock, RiskOptions options)
    : repo_(repo),
      counters_(counters),
      effects_(effects),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      snapshot_(std::make_shared<Snapshot>()) {}

RiskOperations::~RiskOperations() { Stop(); }

absl::Status RiskOperations::Start() {
  RETURN_IF_ERROR(Reload());
  loop_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void RiskOperations::Stop() {
  {
    std::lock_guard<std::mutex> l(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  Flush();
}

std::shared_ptr<const RiskOperations::Snapshot> RiskOperations::Current() const {
  std::lock_guard<std::mutex> l(snapshot_mu_);
  return snapshot_;
}

absl::Status RiskOperations::Reload() {
  ASSIGN_OR_RETURN(int64_t generation, repo_.Generation());
  if (generation == Current()->generation) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<StoredRule> stored, repo_.LoadRules());
  std::vector<RuleConfig> configs;
  for (const auto& s : stored) configs.push_back(s.config);
  ASSIGN_OR_RETURN(RuleSet rules, RuleSet::Build(std::move(configs)));
  ASSIGN_OR_RETURN(std::vector<RegionRange> ranges, repo_.LoadRegions());
  auto next = std::make_shared<Snapshot>();
  next->generation = generation;
  next->rules = std::move(rules);
  next->stored = std::move(stored);
  next->regions = RegionTable(std::move(ranges));
  {
    std::lock_guard<std::mutex> l(snapshot_mu_);
    snapshot_ = std::move(next);
  }
  return absl::OkStatus();
}

void RiskOperations::Loop() {
  absl::Time next_reload = absl::InfinitePast();
  absl::Time next_flush = absl::InfinitePast();
  absl::Time next_relay = absl::InfinitePast();
  while (true) {
    {
      std::unique_lock<std::mutex> l(stop_mu_);
      if (stop_cv_.wait_for(l, std::chrono::milliseconds(100), [this] { return stopping_; })) {
        return;
      }
    }
    absl::Time now = clock_.Now();
    if (now >= next_reload) {
      if (absl::Status s = Reload(); !s.ok()) {
        metrics_.Increment("aggpay_risk_reload_failures_total");
        spdlog::warn("risk: rules not reloaded: {}", std::string(s.message()));
      }
      next_reload = now + options_.reload_interval;
    }
    if (now >= next_flush) {
      Flush();
      next_flush = now + options_.flush_interval;
    }
    if (now >= next_relay) {
      RunActions("");
      next_relay = now + options_.relay_interval;
    }
  }
}

absl::StatusOr<EvaluateResult> RiskOperations::Evaluate(const EvaluateInput& in) {
  RETURN_IF_ERROR(common::ValidateId(in.merchant_id, "merchant_id"));
  auto currency = common::Currency::Find(in.currency, "amount.currency");
  if (!currency.ok()) return currency.status();
  if (in.amount_minor <= 0) return InvalidField("amount.amount_minor", "must be positive");
  PaymentFacts facts;
  if (!absl::LoadTimeZone(in.time_zone, &facts.zone)) {
    return InvalidField("time_zone", absl::StrCat("\"", in.time_zone, "\" is not an IANA zone"));
  }
  if (in.device_id.size() > 128 || !std::all_of(in.device_id.begin(), in.device_id.end(),
                                                [](char c) { return c > 0x20 && c < 0x7F; })) {
    return InvalidField("device_id", "at most 128 printable ASCII characters");
  }
  std::shared_ptr<const Snapshot> snap = Current();
  facts.merchant_id = in.merchant_id;
  facts.merchant_region = in.region;
  facts.amount_minor = in.amount_minor;
  facts.currency = in.currency;
  facts.device_id = in.device_id;
  facts.now = clock_.Now();
  if (!in.payer_ip.empty()) {
    ASSIGN_OR_RETURN(IpAddress ip, ParseIp(in.payer_ip, "payer_ip"));
    facts.payer_ip = in.payer_ip;
    facts.payer_region = snap->regions.Lookup(ip).value_or("");
    int prefix = 24;
    for (const auto& r : snap->stored) {
      if (r.config.rule_id == kForeignIp) {
        auto it = r.config.params.find("subnet_prefix");
        if (it != r.config.params.end()) prefix = std::stoi(it->second);
      }
    }
    facts.payer_subnet = SubnetOf(ip, prefix);
  }

  auto thresholds = ThresholdsOf(in.merchant_id);
  if (!thresholds.ok()) {
    spdlog::warn("risk: thresholds of {} unreadable: {}", in.merchant_id,
                 std::string(thresholds.status().message()));
    thresholds = std::optional<AlertThresholds>();
  }
  const bool alerts =
      thresholds->has_value() && (*thresholds)->any() && (*thresholds)->currency == in.currency;
  std::string hour_key = absl::FormatTime("%Y-%m-%dT%H", facts.now, facts.zone);

  CounterRequest req;
  req.plan = snap->rules.Plan(facts);
  req.merchant_id = in.merchant_id;
  req.currency = in.currency;
  req.amount_minor = in.amount_minor;
  req.now = facts.now;
  req.attempt_id = in.attempt_id;
  req.payer_region = facts.payer_region;
  req.payer_subnet = facts.payer_subnet;
  req.device_id = in.device_id;
  req.hourly = alerts && (*thresholds)->hourly_volume_minor > 0;
  req.hour_key = hour_key;
  req.seen_region = alerts && (*thresholds)->new_region && !facts.payer_region.empty() &&
                    facts.payer_region != in.region;
  std::optional<CounterAnswer> answer;
  if (auto a = counters_.Apply(req); a.ok()) {
    answer = *std::move(a);
  } else {
    metrics_.Increment("aggpay_risk_counters_unavailable_total");
    spdlog::warn("risk: counters unavailable, rules fail by their mode: {}",
                 std::string(a.status().message()));
  }

  History history;
  if (answer && snap->rules.NeedsHistory(facts)) {
    auto h = HistoryOf(in.merchant_id, in.currency, LocalDay(facts.now, facts.zone),
                       snap->rules.history_days());
    if (h.ok()) {
      history = *h;
    } else {
      // Without history the surge rule cannot fire; say so rather than guess.
      spdlog::warn("risk: history of {} unreadable: {}", in.merchant_id,
                   std::string(h.status().message()));
      metrics_.Increment("aggpay_risk_history_unavailable_total");
    }
  }

  std::optional<Counters> counters;
  if (answer) counters = answer->counters;
  Verdict verdict = snap->rules.Judge(facts, counters, history);
  EvaluateResult result;
  result.decision = verdict.decision;
  result.hits = verdict.hits;
  metrics_.Increment(absl::StrCat("aggpay_risk_decisions_total{decision=\"",
                                  DecisionName(verdict.decision), "\"}"));

  if (verdict.decision == Decision::kAllow || verdict.decision == Decision::kReview) {
    Accumulate(in.merchant_id, in.currency, req.plan.local_day, in.amount_minor);
  }
  if (verdict.decision != Decision::kAllow) {
    EventDraft e;
    e.merchant_id = in.merchant_id;
    e.decision = verdict.decision;
    e.hits = verdict.hits;
    e.amount_minor = in.amount_minor;
    e.currency = in.currency;
    e.payer_ip = in.payer_ip;
    e.device_id = in.device_id;
    e.terminal_sn = in.terminal_sn;
    e.attempt_id = std::string(common::TruncateUtf8(in.attempt_id, 128));
    ASSIGN_OR_RETURN(RecordedDecision recorded, repo_.RecordDecision(e, facts.now));
    result.event_id = recorded.event_id;
    // At once, after commit: the merchant's next scan must already be refused.
    for (const auto& m : recorded.merchants_with_actions) RunActions(m);
    std::vector<std::string> ids;
    for (const auto& h : verdict.hits) ids.push_back(h.rule_id);
    result.message = absl::StrCat("risk ", DecisionName(verdict.decision), " by ",
                                  absl::StrJoin(ids, ", "), " (event ", recorded.event_id, ")");
  }
  if (alerts && answer) RaiseAlerts(in, facts, **thresholds, *answer, hour_key);
  return result;
}

void RiskOperations::RaiseAlerts(const EvaluateInput& in, const PaymentFacts& facts,
                                 const AlertThresholds& thresholds, const CounterAnswer& answer,
                                 const std::string& hour_key) {
  AlertFacts af;
  af.attempt_id = in.attempt_id.empty() ? common::RandomToken(8) : in.attempt_id;
  af.amount_minor = in.amount_minor;
  af.currency = in.currency;
  af.hour_total_minor = answer.hour_total_minor;
  af.hour_key = hour_key;
  af.payer_region = facts.payer_region;
  af.region_is_new = answer.region_new;
  std::vector<AlertDraft> drafts = CrossedThresholds(thresholds, af);
  if (drafts.empty()) return;
  auto raised = repo_.RaiseAlerts(
      in.merchant_id, drafts,
      [](const AlertRecord& a) {
        return absl::StrCat(
            "{\"event\":\"risk.alert\",\"alert_id\":\"", a.alert_id, "\",\"merchant_id\":\"",
            common::JsonEscape(a.merchant_id), "\",\"kind\":\"", a.kind,
            "\",\"detail\":", JsonObject(a.detail), ",\"created_at\":\"",
            absl::FormatTime(absl::RFC3339_sec, a.created_at, absl::UTCTimeZone()), "\"}");
      },
      facts.now);
  if (!raised.ok()) {
    spdlog::warn("risk: alerts of {} not stored: {}", in.merchant_id,
                 std::string(raised.status().message()));
    return;
  }
  if (!raised->empty()) RunActions(in.merchant_id);
}

absl::StatusOr<History> RiskOperations::HistoryOf(const std::string& merchant_id,
                                                  const std::string& currency, absl::CivilDay today,
                                                  int window_days) {
  auto key = std::make_tuple(merchant_id, currency, DayKey(today));
  absl::Time now = clock_.Now();
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    auto it = history_.find(key);
    if (it != history_.end() && now - it->second.loaded < options_.history_ttl) {
      return it->second.history;
    }
  }
  ASSIGN_OR_RETURN(History h, repo_.LoadHistory(merchant_id, currency, today, window_days));
  std::lock_guard<std::mutex> l(cache_mu_);
  if (history_.size() > 200000) history_.clear();
  history_[key] = {h, now};
  return h;
}

absl::StatusOr<std::optional<AlertThresholds>> RiskOperations::ThresholdsOf(
    const std::string& merchant_id) {
  int64_t generation = Current()->generation;
  absl::Time now = clock_.Now();
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    auto it = thresholds_.find(merchant_id);
    if (it != thresholds_.end() && it->second.generation == generation &&
        now - it->second.loaded < options_.thresholds_ttl) {
      return it->second.thresholds;
    }
  }
  ASSIGN_OR_RETURN(std::optional<AlertThresholds> t, repo_.GetThresholds(merchant_id));
  std::lock_guard<std::mutex> l(cache_mu_);
  if (thresholds_.size() > 200000) thresholds_.clear();
  thresholds_[merchant_id] = {t, now, generation};
  return t;
}

void RiskOperations::Accumulate(const std::string& merchant_id, const std::string& currency,
                                const std::string& day, int64_t amount) {
  std::lock_guard<std::mutex> l(totals_mu_);
  auto& v = totals_[std::make_tuple(merchant_id, currency, day)];
  v.first += amount;
  v.second += 1;
}

void RiskOperations::Flush() {
  decltype(totals_) batch;
  {
    std::lock_guard<std::mutex> l(totals_mu_);
    batch.swap(totals_);
  }
  if (batch.empty()) return;
  std::vector<DailyDelta> deltas;
  for (const auto& [k, v] : batch) {
    deltas.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), v.first, v.second});
  }
  for (size_t i = 0; i < deltas.size(); i += 500) {
    std::vector<DailyDelta> chunk(deltas.begin() + i,
                                  deltas.begin() + std::min(deltas.size(), i + 500));
    if (absl::Status s = repo_.AddDailyTotals(chunk); !s.ok()) {
      // Kept for the next flush: a roll-up is added to, never lost to an outage.
      metrics_.Increment("aggpay_risk_rollup_failures_total");
      spdlog::warn("risk: daily totals not written, kept for the next flush: {}",
                   std::string(s.message()));
      std::lock_guard<std::mutex> l(totals_mu_);
      for (const DailyDelta& d : chunk) {
        auto& v = totals_[std::make_tuple(d.merchant_id, d.currency, d.day)];
        v.first += d.amount_minor;
        v.second += d.payments;
      }
    }
  }
}

void RiskOperations::RunActions(const std::string& merchant_id) {
  for (int round = 0; round < 10; ++round) {
    auto claimed = repo_.ClaimActions(merchant_id, options_.action_lease, 20);
    if (!claimed.ok()) {
      spdlog::warn("risk: actions not claimed: {}", std::string(claimed.status().message()));
      return;
    }
    if (claimed->empty()) return;
    bool progress = false;
    for (const ActionRecord& a : *claimed) {
      absl::Status s = Execute(a);
      if (s.ok()) {
        progress = true;
        if (absl::Status c = repo_.CompleteAction(a.action_id); !c.ok()) {
          spdlog::warn("risk: action {} done but not marked: {}", a.action_id,
                       std::string(c.message()));
        }
        metrics_.Increment(absl::StrCat("aggpay_risk_actions_total{kind=\"", a.kind, "\"}"));
      } else {
        metrics_.Increment(
            absl::StrCat("aggpay_risk_action_failures_total{kind=\"", a.kind, "\"}"));
        spdlog::warn("risk: action {} {} of {} failed (attempt {}): {}", a.action_id, a.kind,
                     a.merchant_id, a.attempts + 1, std::string(s.message()));
        (void)repo_.FailAction(a.action_id, std::string(s.message()), options_.action_retry);
      }
    }
    if (!progress) return;
  }
}

absl::Status RiskOperations::Execute(const ActionRecord& a) {
  if (a.kind == kFreezeCollection) return effects_.FreezeCollection(a.merchant_id, a.payload);
  if (a.kind == kUnfreezeCollection) return effects_.UnfreezeCollection(a.merchant_id, a.payload);
  if (a.kind == kForceOffline) return effects_.ForceTerminalsOffline(a.merchant_id, a.payload);
  if (a.kind == kReleaseTerminals) return effects_.ReleaseTerminals(a.merchant_id, a.payload);
  if (a.kind == kNotify) {
    size_t nl = a.payload.find('\n');
    if (nl == std::string::npos) return absl::InternalError("notify action without a body");
    return effects_.Notify(a.merchant_id, a.payload.substr(0, nl), a.payload.substr(nl + 1));
  }
  return absl::InternalError(absl::StrCat("unknown risk action ", a.kind));
}

absl::StatusOr<std::vector<EventRecord>> RiskOperations::ListEvents(const EventFilter& filter) {
  EventFilter f = filter;
  if (!f.merchant_id.empty()) RETURN_IF_ERROR(common::ValidateId(f.merchant_id, "merchant_id"));
  if (!f.rule_id.empty()) {
    bool known = false;
    for (const auto& r : Current()->stored) known |= r.config.rule_id == f.rule_id;
    if (!known) return InvalidField("rule_id", absl::StrCat("no rule \"", f.rule_id, "\""));
  }
  f.limit = std::clamp(f.limit <= 0 ? 50 : f.limit, 1, 500);
  return repo_.ListEvents(f);
}

absl::StatusOr<std::vector<StoredRule>> RiskOperations::ListRules() {
  RETURN_IF_ERROR(Reload());
  return Current()->stored;
}

absl::StatusOr<StoredRule> RiskOperations::UpdateRule(const RuleChange& change,
                                                      const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateFreeText(change.reason, "reason", common::kMaxReasonChars));
  if (change.params.empty() && change.action.empty() && change.fail_mode.empty() &&
      change.enabled.empty()) {
    return InvalidField("params", "nothing to change");
  }
  if (!change.enabled.empty() && change.enabled != "true" && change.enabled != "false") {
    return InvalidField("enabled", "true or false");
  }
  auto apply = [&](RuleConfig c) -> absl::StatusOr<RuleConfig> {
    for (const auto& [k, v] : change.params) c.params[k] = v;
    if (!change.action.empty()) {
      ASSIGN_OR_RETURN(c.action, ParseAction(change.action, "action"));
    }
    if (!change.fail_mode.empty()) {
      ASSIGN_OR_RETURN(c.fail_mode, ParseFailMode(change.fail_mode, "fail_mode"));
    }
    if (!change.enabled.empty()) c.enabled = change.enabled == "true";
    RETURN_IF_ERROR(MakeRule(c).status());  // every parameter checked before anything changes
    return c;
  };
  ASSIGN_OR_RETURN(StoredRule stored,
                   repo_.UpdateRule(change.rule_id, apply, actor, change.reason, clock_.Now()));
  (void)Reload();
  return stored;
}

absl::StatusOr<RegionImport> RiskOperations::ImportRegions(const std::string& csv,
                                                           const std::string& actor) {
  if (csv.size() > 64 * 1024 * 1024) return InvalidField("csv", "larger than 64 MiB");
  ASSIGN_OR_RETURN(std::vector<RegionRange> ranges, ParseRegionCsv(csv));
  if (ranges.empty()) return InvalidField("csv", "no ranges: an empty table is refused");
  RegionImport out;
  out.sha256 = common::Sha256Hex(csv);
  out.ranges = static_cast<int64_t>(ranges.size());
  ASSIGN_OR_RETURN(out.version, repo_.ReplaceRegions(ranges, out.sha256, actor, clock_.Now()));
  (void)Reload();
  return out;
}

absl::StatusOr<FreezeRecord> RiskOperations::Freeze(const std::string& merchant_id,
                                                    const std::string& reason,
                                                    const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateFreeText(reason, "reason", common::kMaxReasonChars));
  if (reason.empty()) return InvalidField("reason", "say why the merchant is frozen");
  // A freeze of a merchant that exists nowhere would be a row nothing can lift or appeal.
  RETURN_IF_ERROR(effects_.MerchantExists(merchant_id));
  ASSIGN_OR_RETURN(FreezeRecord f, repo_.CreateFreeze(merchant_id, reason, actor, clock_.Now()));
  RunActions(merchant_id);
  return f;
}

absl::StatusOr<std::vector<FreezeRecord>> RiskOperations::ListFreezes(
    const std::string& merchant_id, const std::string& status) {
  if (!merchant_id.empty()) RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (!status.empty() && status != "ACTIVE" && status != "ALL") {
    return InvalidField("status", "ACTIVE or ALL");
  }
  return repo_.ListFreezes(merchant_id, status != "ALL");
}

absl::StatusOr<AppealRecord> RiskOperations::SubmitAppeal(
    const std::string& merchant_id, const std::string& statement,
    const std::vector<AppealDocumentRef>& docs) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateFreeText(statement, "statement", kMaxStatementChars));
  if (absl::StripAsciiWhitespace(statement).empty()) {
    return InvalidField("statement", "explain the payments that were flagged");
  }
  if (docs.size() > kMaxDocuments) {
    return InvalidField("documents", absl::StrCat("at most ", kMaxDocuments));
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string field = absl::StrCat("documents[", i, "]");
    RETURN_IF_ERROR(common::ValidateFreeText(docs[i].name, absl::StrCat(field, ".name"), 128));
    if (docs[i].name.empty()) return InvalidField(absl::StrCat(field, ".name"), "required");
    if (!IsHex64(docs[i].sha256)) {
      return InvalidField(absl::StrCat(field, ".sha256"), "64 lowercase hex digits");
    }
  }
  return repo_.SubmitAppeal(merchant_id, statement, docs, clock_.Now());
}

absl::StatusOr<std::vector<AppealRecord>> RiskOperations::ListAppeals(
    const std::string& merchant_id, const std::string& status) {
  if (!merchant_id.empty()) RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (!status.empty() && status != "PENDING" && status != "ALL") {
    return InvalidField("status", "PENDING or ALL");
  }
  return repo_.ListAppeals(merchant_id, status != "ALL");
}

absl::StatusOr<AppealRecord> RiskOperations::ReviewAppeal(int64_t appeal_id,
                                                          const std::string& verdict,
                                                          const std::string& note,
                                                          const std::string& actor) {
  if (appeal_id <= 0) return InvalidField("appeal_id", "required");
  if (verdict != "APPROVE" && verdict != "REJECT") {
    return InvalidField("verdict", "APPROVE or REJECT");
  }
  RETURN_IF_ERROR(common::ValidateFreeText(note, "note", common::kMaxReasonChars));
  if (note.empty()) return InvalidField("note", "say what the review found");
  ASSIGN_OR_RETURN(AppealRecord a,
                   repo_.ReviewAppeal(appeal_id, verdict == "APPROVE", note, actor, clock_.Now()));
  if (a.status == "APPROVED") {
    // Before collection resumes: the burst the reviewer cleared must not freeze it again.
    if (absl::Status s = counters_.Reset(a.merchant_id); !s.ok()) {
      metrics_.Increment("aggpay_risk_counter_resets_failed_total");
      spdlog::warn("risk: counters of {} not reset after appeal {}: {}", a.merchant_id, appeal_id,
                   std::string(s.message()));
    }
  }
  RunActions(a.merchant_id);
  return a;
}

absl::StatusOr<FreezeRecord> RiskOperations::PassSecurityCheck(const std::string& merchant_id,
                                                               const std::string& note,
                                                               const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateFreeText(note, "note", common::kMaxReasonChars));
  if (note.empty()) return InvalidField("note", "say what the security check found");
  ASSIGN_OR_RETURN(FreezeRecord f, repo_.PassSecurityCheck(merchant_id, note, actor, clock_.Now()));
  RunActions(merchant_id);
  return f;
}

absl::StatusOr<AlertThresholds> RiskOperations::GetThresholds(const std::string& merchant_id) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  ASSIGN_OR_RETURN(std::optional<AlertThresholds> t, repo_.GetThresholds(merchant_id));
  if (t) return *t;
  AlertThresholds none;
  none.merchant_id = merchant_id;
  none.currency = "CNY";
  return none;
}

absl::StatusOr<AlertThresholds> RiskOperations::SetThresholds(AlertThresholds t) {
  RETURN_IF_ERROR(common::ValidateId(t.merchant_id, "merchant_id"));
  RETURN_IF_ERROR(ValidateThresholds(t));
  RETURN_IF_ERROR(repo_.SetThresholds(t, clock_.Now()));
  (void)Reload();
  return t;
}

absl::StatusOr<std::vector<AlertRecord>> RiskOperations::ListAlerts(const std::string& merchant_id,
                                                                    int limit) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  return repo_.ListAlerts(merchant_id, std::clamp(limit <= 0 ? 50 : limit, 1, 500));
}

}  // namespace aggpay::risk
