#include "services/binding/binding_operations.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/log/logging.h"
#include "services/common/money/money.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::binding {
namespace {

using common::InvalidField;

bool HasCapability(const TerminalSnapshot& t, absl::string_view capability) {
  return std::find(t.capabilities.begin(), t.capabilities.end(), capability) !=
         t.capabilities.end();
}

absl::Status NotFoundCode() { return absl::NotFoundError("code not found"); }

// The binding service's own record of a freeze or close (merchant_collection_blocks) is set before
// the merchant service records the new status, and stays if that recording fails: a blocked
// merchant is not ACTIVE whatever the directory says.
absl::Status CheckNotBlocked(const CodeRecord& code, absl::string_view field) {
  if (code.merchant_block.empty()) return absl::OkStatus();
  return common::FailedPreconditionField(
      field, absl::StrCat("the merchant is ", code.merchant_block, ", not ACTIVE"));
}

// `counts`: reset requests in the last 24 hours for the code and for the merchant, this one
// included.
absl::Status CheckResetRequestLimits(const BindingOptions& options,
                                     std::pair<int64_t, int64_t> counts) {
  if (counts.first > options.reset_requests_per_code_per_day) {
    return common::ResourceExhaustedRetryAfter(
        absl::StrCat("code_id: at most ", options.reset_requests_per_code_per_day,
                     " reset requests per code in 24 hours"),
        absl::Hours(1));
  }
  if (counts.second > options.reset_requests_per_merchant_per_day) {
    return common::ResourceExhaustedRetryAfter(
        absl::StrCat("merchant: at most ", options.reset_requests_per_merchant_per_day,
                     " reset requests per merchant in 24 hours"),
        absl::Hours(1));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Time BindingOperations::Now() const {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
}

std::string BindingOperations::Url(const std::string& code_id) const {
  return CodeUrl(options_.public_base_url, code_id);
}

CodeView BindingOperations::ViewOf(const CodeRecord& c) const {
  CodeView v;
  v.code_id = c.code_id;
  v.kind = c.kind;
  v.status = c.status;
  v.merchant_id = c.merchant_id;
  v.merchant_display_name = c.display_name;
  v.store_id = c.store_id;
  v.terminal_sn = c.terminal_sn;
  v.channel_params = c.channel_params;
  v.amount_minor = c.amount_minor;
  v.currency = c.currency;
  v.valid_until = c.valid_until;
  v.replaced_by = c.replaced_by;
  v.merchant_block = c.merchant_block;
  return v;
}

absl::StatusOr<CodeRecord> BindingOperations::IssueCode(
    const std::string& merchant_id, const std::string& store_id, const std::string& terminal_sn,
    const std::string& kind_name, std::optional<std::pair<int64_t, std::string>> amount,
    absl::Duration ttl, const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  RETURN_IF_ERROR(common::ValidateId(store_id, "store_id"));
  ASSIGN_OR_RETURN(CodeKind kind, ParseCodeKind(kind_name.empty() ? "STATIC" : kind_name));
  ASSIGN_OR_RETURN(MerchantSnapshot merchant, directory_.Merchant(merchant_id));
  RETURN_IF_ERROR(CheckMerchantCollects(merchant, "merchant_id"));
  if (terminal_sn.empty()) {
    // A store code: the store must be the merchant's own.
    if (auto s = directory_.CheckStore(merchant_id, store_id); !s.ok()) {
      if (absl::IsNotFound(s)) return InvalidField("store_id", "no such store for this merchant");
      return s;
    }
  }
  const absl::Time now = Now();
  CodeRecord c;
  c.code_id = NewCodeId();
  c.kind = kind;
  c.status = CodeStatus::kActive;
  c.merchant_id = merchant_id;
  c.store_id = store_id;
  c.terminal_sn = terminal_sn;
  c.display_name = merchant.display_name;
  c.channel_params = merchant.sub_merchant_ids;
  c.created_at = now;
  if (!terminal_sn.empty()) {
    ASSIGN_OR_RETURN(TerminalSnapshot t, directory_.Terminal(terminal_sn));
    if (t.merchant_id != merchant_id || t.store_id != store_id) {
      return InvalidField("terminal_sn", "belongs to another merchant or store");
    }
    if (t.status == "RETIRED")
      return common::FailedPreconditionField("terminal_sn", "terminal is RETIRED");
    if (kind == CodeKind::kDynamic && !HasCapability(t, "DYNAMIC_CODE")) {
      return common::FailedPreconditionField(
          "kind", "this terminal's client version cannot show dynamic codes");
    }
  }
  if (kind == CodeKind::kDynamic) {
    if (!amount) return InvalidField("amount", "a dynamic code needs an amount");
    ASSIGN_OR_RETURN(common::Currency currency,
                     common::Currency::Find(amount->second, "amount.currency"));
    if (amount->first <= 0) return InvalidField("amount", "must be positive");
    if (ttl == absl::ZeroDuration()) ttl = kDefaultDynamicCodeLifetime;
    RETURN_IF_ERROR(ValidateDynamicLifetime(ttl));
    c.amount_minor = amount->first;
    c.currency = std::string(currency.code());
    c.valid_until = now + ttl;
  } else if (amount) {
    return InvalidField("amount", "a static code has no amount: the payer enters it");
  }
  RETURN_IF_ERROR(repo_.Create(c, HistoryEntry{c.code_id, merchant_id, terminal_sn, "ISSUED",
                                               std::string(CodeKindName(kind)), actor, now}));
  return c;
}

absl::Status BindingOperations::AllowResolve(const std::string& client) {
  std::lock_guard lock(limiter_mu_);
  const absl::Time now = clock_.Now();
  if (buckets_.size() > 100000) buckets_.clear();
  auto [it, inserted] =
      buckets_.try_emplace(client, Bucket{static_cast<double>(options_.resolve_burst), now});
  Bucket& b = it->second;
  b.tokens =
      std::min<double>(options_.resolve_burst, b.tokens + absl::ToDoubleSeconds(now - b.at) *
                                                              options_.resolve_rate_per_second);
  b.at = now;
  if (b.tokens < 1) {
    return common::ResourceExhaustedRetryAfter(
        "too many scans from this address",
        absl::Milliseconds(1000.0 * (1 - b.tokens) / options_.resolve_rate_per_second) +
            absl::Milliseconds(1));
  }
  b.tokens -= 1;
  return absl::OkStatus();
}

void BindingOperations::RaiseAlert(const CodeView& view, const std::string& client) {
  metrics_.Increment("replaced_code_scans_total");
  {
    // One stored alert per code per minute per instance: enough to warn, not a write per scan.
    std::lock_guard lock(alert_mu_);
    const absl::Time now = clock_.Now();
    if (last_alert_.size() > 100000) last_alert_.clear();
    auto [it, inserted] = last_alert_.try_emplace(view.code_id, now);
    if (!inserted && now - it->second < absl::Minutes(1)) return;
    it->second = now;
  }
  absl::Status s = repo_.AddAlert(
      AlertRecord{0, view.merchant_id, view.code_id, view.terminal_sn, client, Now()});
  if (!s.ok()) spdlog::warn("replaced code scan alert not stored: {}", s.message());
}

absl::StatusOr<Resolution> BindingOperations::Resolve(const std::string& scanned,
                                                      const ResolveCaller& caller) {
  ASSIGN_OR_RETURN(ResolveStep step, BeginResolve(scanned, caller));
  if (auto* done = std::get_if<Resolution>(&step)) return *std::move(done);
  return ContinueResolve(std::get<PendingResolve>(step), caller);
}

absl::StatusOr<ResolveStep> BindingOperations::BeginResolve(const std::string& scanned,
                                                            const ResolveCaller& caller) {
  ASSIGN_OR_RETURN(std::string code_id, ParseScannedCode(scanned));
  if (!caller.service) RETURN_IF_ERROR(AllowResolve(caller.address));
  if (std::optional<CodeView> view = cache_.LookupLocal(code_id)) {
    const ResolveOutcome outcome = Evaluate(*view, clock_.Now());
    if (outcome != ResolveOutcome::kReplaced) {
      return Resolution{outcome, PublicView(*view, outcome)};
    }
  }
  return PendingResolve{std::move(code_id)};
}

absl::StatusOr<Resolution> BindingOperations::ContinueResolve(const PendingResolve& pending,
                                                              const ResolveCaller& caller) {
  const std::string& code_id = pending.code_id;
  std::optional<CodeView> view = cache_.Lookup(code_id);
  if (!view) {
    // Stamped before the read: every invalidation up to the stamp is reflected in what is read.
    const int64_t stamp = cache_.Applied();
    ASSIGN_OR_RETURN(std::optional<CodeRecord> record, repo_.Get(code_id));
    if (!record) return NotFoundCode();
    view = ViewOf(*record);
    view->stamp = stamp;
    cache_.Store(code_id, *view);
  }
  const ResolveOutcome outcome = Evaluate(*view, clock_.Now());
  if (outcome == ResolveOutcome::kReplaced) RaiseAlert(*view, caller.address);
  return Resolution{outcome, PublicView(*view, outcome)};
}

absl::StatusOr<CodeRecord> BindingOperations::Get(const std::string& code_id,
                                                  const std::string& merchant_scope) {
  RETURN_IF_ERROR(ValidateCodeId(code_id));
  ASSIGN_OR_RETURN(std::optional<CodeRecord> c, repo_.Get(code_id));
  if (!c || (!merchant_scope.empty() && c->merchant_id != merchant_scope)) return NotFoundCode();
  return *c;
}

absl::StatusOr<std::vector<CodeRecord>> BindingOperations::List(CodeFilter filter) {
  RETURN_IF_ERROR(common::ValidateId(filter.merchant_id, "merchant_id"));
  return repo_.List(filter);
}

absl::StatusOr<std::string> BindingOperations::Render(const std::string& code_id,
                                                      const std::string& merchant_scope,
                                                      const RenderOptions& options) {
  ASSIGN_OR_RETURN(CodeRecord c, Get(code_id, merchant_scope));
  if (options.skin) {
    if (c.terminal_sn.empty()) {
      return common::FailedPreconditionField("skin", "skins are for terminal codes");
    }
    ASSIGN_OR_RETURN(TerminalSnapshot t, directory_.Terminal(c.terminal_sn));
    if (!HasCapability(t, "CODE_SKINS")) {
      return common::FailedPreconditionField(
          "skin", "this terminal's client version cannot show code skins");
    }
  }
  return RenderQr(Url(c.code_id), options);
}

absl::StatusOr<std::vector<std::pair<CodeRecord, std::string>>> BindingOperations::Backup(
    const std::string& merchant_id, ImageFormat format) {
  CodeFilter f;
  f.merchant_id = merchant_id;
  f.status = CodeStatus::kActive;
  f.limit = 500;
  ASSIGN_OR_RETURN(std::vector<CodeRecord> codes, List(f));
  std::vector<std::pair<CodeRecord, std::string>> out;
  for (const CodeRecord& c : codes) {
    if (c.kind != CodeKind::kStatic) continue;
    RenderOptions o;
    o.format = format;
    ASSIGN_OR_RETURN(std::string image, RenderQr(Url(c.code_id), o));
    out.emplace_back(c, std::move(image));
  }
  return out;
}

void BindingOperations::Propagate(const CodeChange& change) {
  cache_.AwaitPropagation(change.invalidation_seq);
}

absl::Status BindingOperations::CheckMerchantCollects(const MerchantSnapshot& merchant,
                                                      absl::string_view field) {
  if (merchant.status != "ACTIVE") {
    return common::FailedPreconditionField(
        field, absl::StrCat("the merchant is ", merchant.status, ", not ACTIVE"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CodeRecord> BindingOperations::Unbind(const std::string& scanned,
                                                     const std::string& reason,
                                                     const std::string& actor) {
  ASSIGN_OR_RETURN(std::string code_id, ParseScannedCode(scanned, "scanned"));
  RETURN_IF_ERROR(common::ValidateFreeText(reason, "reason", common::kMaxReasonChars));
  const absl::Time now = Now();
  auto change = repo_.Change(
      code_id,
      [&](const CodeRecord& c) -> absl::StatusOr<CodeChange> {
        if (c.status != CodeStatus::kActive && c.status != CodeStatus::kGrace) {
          return common::FailedPreconditionField(
              "scanned", absl::StrCat("the code is ", CodeStatusName(c.status)));
        }
        CodeChange ch{c, std::nullopt, {}};
        ch.old_code.status = CodeStatus::kUnbound;
        ch.old_code.valid_until.reset();
        ch.history.push_back(
            HistoryEntry{c.code_id, c.merchant_id, c.terminal_sn, "UNBOUND", reason, actor, now});
        return ch;
      },
      now);
  if (absl::IsNotFound(change.status())) return InvalidField("scanned", "no such code");
  RETURN_IF_ERROR(change.status());
  Propagate(*change);
  return change->old_code;
}

absl::StatusOr<ResetOutcome> BindingOperations::DoReset(const std::string& code_id,
                                                        ResetReason reason, ResetMode mode,
                                                        absl::Duration grace,
                                                        const std::string& actor) {
  RETURN_IF_ERROR(CheckModeForReason(reason, mode));
  if (mode == ResetMode::kGraceful) {
    if (grace == absl::ZeroDuration()) grace = kDefaultGracePeriod;
    RETURN_IF_ERROR(ValidateGracePeriod(grace));
  }
  ASSIGN_OR_RETURN(std::optional<CodeRecord> current, repo_.Get(code_id));
  if (!current) return NotFoundCode();
  // The new code carries the merchant's current name and channel ids (a channel change is a
  // reason to reset). Checks of the terminal happen before anything is written.
  ASSIGN_OR_RETURN(MerchantSnapshot merchant, directory_.Merchant(current->merchant_id));
  // A frozen or closed merchant may not get a new payable code.
  RETURN_IF_ERROR(CheckMerchantCollects(merchant, "code"));
  RETURN_IF_ERROR(CheckNotBlocked(*current, "code"));
  if (!current->terminal_sn.empty()) {
    ASSIGN_OR_RETURN(TerminalSnapshot t, directory_.Terminal(current->terminal_sn));
    if (t.status == "RETIRED") {
      return common::FailedPreconditionField("code", "the code's terminal is RETIRED");
    }
  }
  const absl::Time now = Now();
  auto change = repo_.Change(
      code_id,
      [&](const CodeRecord& c) -> absl::StatusOr<CodeChange> {
        if (c.status != CodeStatus::kActive) {
          return common::FailedPreconditionField(
              "code", absl::StrCat("the code is ", CodeStatusName(c.status),
                                   ": only an ACTIVE code "
                                   "can be reset"));
        }
        if (c.kind != CodeKind::kStatic) {
          return common::FailedPreconditionField("code", "dynamic codes expire by themselves");
        }
        CodeChange ch{c, std::nullopt, {}};
        CodeRecord fresh = c;
        fresh.code_id = NewCodeId();
        fresh.status = CodeStatus::kActive;
        fresh.display_name = merchant.display_name;
        fresh.channel_params = merchant.sub_merchant_ids;
        fresh.valid_until.reset();
        fresh.replaced_by.clear();
        fresh.created_at = now;
        ch.old_code.replaced_by = fresh.code_id;
        const std::string why = std::string(ResetReasonName(reason));
        if (mode == ResetMode::kImmediate) {
          ch.old_code.status = CodeStatus::kRevoked;
          ch.old_code.valid_until.reset();
          ch.history.push_back(
              HistoryEntry{c.code_id, c.merchant_id, c.terminal_sn, "REVOKED", why, actor, now});
        } else {
          ch.old_code.status = CodeStatus::kGrace;
          ch.old_code.valid_until = now + grace;
          ch.history.push_back(HistoryEntry{c.code_id, c.merchant_id, c.terminal_sn,
                                            "GRACE_STARTED", why, actor, now});
        }
        ch.history.push_back(
            HistoryEntry{fresh.code_id, c.merchant_id, c.terminal_sn, "RESET", why, actor, now});
        ch.new_code = fresh;
        return ch;
      },
      now);
  RETURN_IF_ERROR(change.status());
  // Before returning: no instance may resolve the old code as it was.
  Propagate(*change);
  ResetOutcome out{change->old_code, *change->new_code, {}};
  ASSIGN_OR_RETURN(out.terminals_holding_old_code, repo_.TerminalsHolding(code_id));
  return out;
}

absl::StatusOr<ResetOutcome> BindingOperations::Reset(
    const std::string& scanned, const std::string& reason_name, const std::string& mode_name,
    absl::Duration grace, const std::string& actor, const std::string& merchant_scope) {
  ASSIGN_OR_RETURN(std::string code_id, ParseScannedCode(scanned));
  ASSIGN_OR_RETURN(ResetReason reason, ParseResetReason(reason_name));
  ASSIGN_OR_RETURN(ResetMode mode, ParseResetMode(mode_name));
  RETURN_IF_ERROR(Get(code_id, merchant_scope).status());
  return DoReset(code_id, reason, mode, grace, actor);
}

absl::StatusOr<CodeRecord> BindingOperations::EndGrace(const std::string& code_id,
                                                       const std::string& actor,
                                                       const std::string& merchant_scope) {
  RETURN_IF_ERROR(Get(code_id, merchant_scope).status());
  const absl::Time now = Now();
  auto change = repo_.Change(
      code_id,
      [&](const CodeRecord& c) -> absl::StatusOr<CodeChange> {
        if (c.status != CodeStatus::kGrace) {
          return common::FailedPreconditionField(
              "code_id", absl::StrCat("the code is ", CodeStatusName(c.status), ", not in GRACE"));
        }
        CodeChange ch{c, std::nullopt, {}};
        ch.old_code.status = CodeStatus::kRevoked;
        ch.old_code.valid_until.reset();
        ch.history.push_back(HistoryEntry{c.code_id, c.merchant_id, c.terminal_sn, "GRACE_ENDED",
                                          "ended early", actor, now});
        return ch;
      },
      now);
  RETURN_IF_ERROR(change.status());
  Propagate(*change);
  return change->old_code;
}

absl::StatusOr<std::optional<std::string>> BindingOperations::CodePaid(const std::string& code_id,
                                                                       const std::string& actor) {
  RETURN_IF_ERROR(ValidateCodeId(code_id));
  // A payment on a code that exists nowhere is an error, not "no grace to end".
  ASSIGN_OR_RETURN(std::optional<CodeRecord> code, repo_.Get(code_id));
  if (!code) return absl::NotFoundError(absl::StrCat("code_id: no code \"", code_id, "\""));
  ASSIGN_OR_RETURN(std::optional<std::string> old, repo_.GraceCodeReplacedBy(code_id));
  if (!old) return std::optional<std::string>();
  auto ended = EndGrace(*old, actor, "");
  // Another payment may have ended it a moment ago: that is the same outcome.
  if (!ended.ok() && !absl::IsFailedPrecondition(ended.status())) return ended.status();
  return old;
}

absl::StatusOr<RequestRecord> BindingOperations::RequestReset(const std::string& code_id,
                                                              const std::string& reason_name,
                                                              const std::string& mode_name,
                                                              bool staff_review,
                                                              const std::string& merchant_scope) {
  ASSIGN_OR_RETURN(CodeRecord code, Get(code_id, merchant_scope));
  ASSIGN_OR_RETURN(ResetReason reason, ParseResetReason(reason_name));
  ASSIGN_OR_RETURN(ResetMode mode, ParseResetMode(mode_name));
  RETURN_IF_ERROR(CheckModeForReason(reason, mode));
  if (code.status != CodeStatus::kActive) {
    return common::FailedPreconditionField(
        "code_id", absl::StrCat("the code is ", CodeStatusName(code.status)));
  }
  ASSIGN_OR_RETURN(MerchantSnapshot merchant, directory_.Merchant(code.merchant_id));
  RETURN_IF_ERROR(CheckMerchantCollects(merchant, "code_id"));
  RETURN_IF_ERROR(CheckNotBlocked(code, "code_id"));
  const absl::Time now = Now();
  const absl::Time window_start = now - absl::Hours(24);
  // Each request brings fresh guesses at a 6-digit password: bound how many a day.
  ASSIGN_OR_RETURN(auto counts, repo_.CountRequestsSince(code_id, code.merchant_id, window_start));
  RETURN_IF_ERROR(CheckResetRequestLimits(options_, {counts.first + 1, counts.second + 1}));
  RequestRecord rec;
  ResetRequest& r = rec.request;
  r.request_id = absl::StrCat("rr_", common::RandomToken(12));
  r.merchant_id = code.merchant_id;
  r.code_id = code_id;
  r.reason = reason;
  r.mode = mode;
  r.created_at = now;
  r.otp_expires_at = now + kOtpLifetime;
  r.attempts = 0;
  std::string otp;
  if (staff_review) {
    r.status = RequestStatus::kPendingReview;
    r.otp_hash = std::string(64, '0');
  } else {
    r.status = RequestStatus::kPendingOtp;
    otp = NewOtp();
    r.otp_hash = HashOtp(options_.otp_key, r.request_id, otp);
  }
  RETURN_IF_ERROR(repo_.CreateRequest(rec));
  // The count above and the insert are separate statements, so requests made at the same time
  // (on any instance) can all pass the count. Counted again now that this one is stored, a
  // request over the limit backs out before any password is sent: however many race, at most the
  // limit stay usable (a close race may refuse them all, erring on the safe side).
  ASSIGN_OR_RETURN(counts, repo_.CountRequestsSince(code_id, code.merchant_id, window_start));
  if (absl::Status over = CheckResetRequestLimits(options_, counts); !over.ok()) {
    auto backed_out = repo_.UpdateRequest(
        r.request_id,
        [&](const RequestRecord& current) -> absl::StatusOr<RequestRecord> {
          RequestRecord next = current;
          next.request.status = RequestStatus::kRejected;
          next.decided_by = "reset request limit";
          return next;
        },
        Now());
    if (!backed_out.ok()) {
      spdlog::error("reset request {} over the limit could not be rejected: {}", r.request_id,
                    backed_out.status().message());
    }
    return over;
  }
  if (!staff_review) {
    RETURN_IF_ERROR(otp_.Send(merchant.contact_phone,
                              absl::StrCat("[aggpay] code reset ", r.request_id,
                                           " one-time password ", otp, " (valid 5 minutes)")));
  }
  return rec;
}

absl::StatusOr<ResetOutcome> BindingOperations::VerifyReset(const std::string& request_id,
                                                            const std::string& otp,
                                                            const std::string& merchant_scope,
                                                            const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(request_id, "request_id"));
  ASSIGN_OR_RETURN(std::optional<RequestRecord> existing, repo_.GetRequest(request_id));
  if (!existing || (!merchant_scope.empty() && existing->request.merchant_id != merchant_scope)) {
    return absl::NotFoundError("reset request not found");
  }
  const absl::Time now = Now();
  OtpCheck check{};
  // A right password leaves the request pending: it is completed only together with a reset
  // that succeeded, so a failed reset (frozen merchant, database down) can be retried with the
  // same password while it is valid.
  auto updated = repo_.UpdateRequest(
      request_id,
      [&](const RequestRecord& current) -> absl::StatusOr<RequestRecord> {
        ASSIGN_OR_RETURN(check, CheckOtp(current.request, otp, options_.otp_key, now));
        RequestRecord next = current;
        if (!check.accepted) {
          next.request.status = check.new_status;
          next.request.attempts = check.attempts;
        }
        return next;
      },
      now);
  RETURN_IF_ERROR(updated.status());
  RETURN_IF_ERROR(OtpCheckStatus(check));
  const ResetRequest& r = updated->request;
  ASSIGN_OR_RETURN(ResetOutcome out,
                   DoReset(r.code_id, r.reason, r.mode, absl::ZeroDuration(), actor));
  auto completed = repo_.UpdateRequest(
      request_id,
      [&](const RequestRecord& current) -> absl::StatusOr<RequestRecord> {
        RequestRecord next = current;
        next.request.status = RequestStatus::kCompleted;
        next.new_code_id = out.new_code.code_id;
        next.decided_by = actor;
        return next;
      },
      Now());
  if (!completed.ok()) {
    // The reset itself is done and effective; only the request's bookkeeping lags. A retry finds
    // the code no longer ACTIVE and is refused, so it cannot reset twice.
    spdlog::error("reset request {}: code reset to {} but the request was not completed: {}",
                  request_id, out.new_code.code_id, completed.status().message());
  }
  return out;
}

absl::StatusOr<std::pair<RequestRecord, std::optional<ResetOutcome>>>
BindingOperations::ReviewReset(const std::string& request_id, bool approve,
                               const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(request_id, "request_id"));
  auto updated = repo_.UpdateRequest(
      request_id,
      [&](const RequestRecord& current) -> absl::StatusOr<RequestRecord> {
        ASSIGN_OR_RETURN(RequestStatus next_status, Decide(current.request.status, approve));
        RequestRecord next = current;
        next.request.status = next_status;
        next.decided_by = actor;
        return next;
      },
      Now());
  if (absl::IsNotFound(updated.status())) return absl::NotFoundError("reset request not found");
  RETURN_IF_ERROR(updated.status());
  if (!approve) return std::make_pair(*updated, std::optional<ResetOutcome>());
  const ResetRequest& r = updated->request;
  ASSIGN_OR_RETURN(ResetOutcome out,
                   DoReset(r.code_id, r.reason, r.mode, absl::ZeroDuration(), actor));
  auto final_record = repo_.UpdateRequest(
      request_id,
      [&](const RequestRecord& current) -> absl::StatusOr<RequestRecord> {
        RequestRecord next = current;
        next.new_code_id = out.new_code.code_id;
        return next;
      },
      Now());
  RETURN_IF_ERROR(final_record.status());
  return std::make_pair(*final_record, std::optional<ResetOutcome>(out));
}

absl::StatusOr<std::vector<RequestRecord>> BindingOperations::ListRequests(
    const std::string& status_name, const std::string& merchant_id, int limit) {
  std::optional<RequestStatus> status;
  if (!status_name.empty()) {
    ASSIGN_OR_RETURN(status, ParseRequestStatus(status_name));
  }
  return repo_.ListRequests(status, merchant_id, limit);
}

absl::StatusOr<std::pair<std::vector<AlertRecord>, int64_t>> BindingOperations::Alerts(
    const std::string& merchant_id, int limit) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  ASSIGN_OR_RETURN(std::vector<AlertRecord> alerts, repo_.ListAlerts(merchant_id, limit));
  ASSIGN_OR_RETURN(int64_t total, repo_.CountAlerts(merchant_id));
  return std::make_pair(std::move(alerts), total);
}

absl::StatusOr<std::vector<HistoryEntry>> BindingOperations::History(const std::string& sn,
                                                                     const std::string& code_id) {
  if (sn.empty() == code_id.empty()) {
    return InvalidField("terminal_sn", "give exactly one of terminal_sn and code_id");
  }
  return repo_.History(sn, code_id);
}

absl::StatusOr<std::optional<std::string>> BindingOperations::TerminalCodeId(
    const std::string& sn) {
  RETURN_IF_ERROR(common::ValidateId(sn, "terminal_sn"));
  ASSIGN_OR_RETURN(std::optional<std::string> code_id, repo_.ActiveCodeIdForTerminal(sn));
  if (code_id) RETURN_IF_ERROR(repo_.RecordDelivery(sn, *code_id, Now()));
  return code_id;
}

absl::StatusOr<MerchantBlockChange> BindingOperations::SetMerchantCollection(
    const std::string& merchant_id, const std::string& status, const std::string& reason,
    const std::string& actor) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (merchant_id.empty()) return InvalidField("merchant_id", "is required");
  if (status != "ACTIVE" && status != "FROZEN" && status != "CLOSED") {
    return InvalidField("status", "must be ACTIVE, FROZEN or CLOSED");
  }
  RETURN_IF_ERROR(common::ValidateFreeText(reason, "reason", common::kMaxReasonChars));
  ASSIGN_OR_RETURN(MerchantBlockChange change,
                   repo_.SetMerchantBlock(merchant_id, status, reason, actor, Now()));
  cache_.AwaitPropagation(change.invalidation_seq);
  return change;
}

}  // namespace aggpay::binding
