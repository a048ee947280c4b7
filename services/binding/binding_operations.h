#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "services/binding/binding_directory.h"
#include "services/binding/code_repository.h"
#include "services/binding/render/qr_render.h"
#include "services/binding/resolve_cache.h"
#include "services/common/clock/clock.h"
#include "services/common/metrics/metrics.h"

namespace aggpay::binding {

struct BindingOptions {
  // QR content is "<public_base_url>/c/<code_id>".
  std::string public_base_url = "https://pay.aggpay.local";
  // Resolves per second per client address, per instance.
  int64_t resolve_rate_per_second = 50;
  int64_t resolve_burst = 100;
  // Server secret that keys the one-time-password hashes.
  std::string otp_key;
  // Self-service reset requests allowed per code and per merchant in any 24 hours.
  int64_t reset_requests_per_code_per_day = 3;
  int64_t reset_requests_per_merchant_per_day = 20;
};

struct ResetOutcome {
  CodeRecord old_code;
  CodeRecord new_code;
  std::vector<std::string> terminals_holding_old_code;
};

struct Resolution {
  ResolveOutcome outcome;
  CodeView view;  // public: merchant details only when payable
};

// Who asks to resolve a code.
struct ResolveCaller {
  // The client's address: the per-address limit and the replaced-code alerts key on it.
  std::string address;
  // An authenticated service (the payment service resolving the code a payer scanned). The
  // per-address limit, which stops a payer from sweeping code ids, does not count it: one
  // address carries every payer's payment, and the payment's risk rules count each payer.
  bool service = false;
};

// A resolve that this process's memory could not answer (see BeginResolve).
struct PendingResolve {
  std::string code_id;
};
using ResolveStep = std::variant<Resolution, PendingResolve>;

// The binding service's use cases. `merchant_scope` arguments are the calling merchant (empty
// for staff and services): a merchant only ever reaches its own codes.
class BindingOperations {
 public:
  BindingOperations(CodeRepository& repo, ResolveCache& cache, BindingDirectory& directory,
                    OtpSender& otp, common::Metrics& metrics, const common::Clock& clock,
                    BindingOptions options)
      : repo_(repo),
        cache_(cache),
        directory_(directory),
        otp_(otp),
        metrics_(metrics),
        clock_(clock),
        options_(std::move(options)) {}

  absl::StatusOr<CodeRecord> IssueCode(const std::string& merchant_id, const std::string& store_id,
                                       const std::string& terminal_sn, const std::string& kind,
                                       std::optional<std::pair<int64_t, std::string>> amount,
                                       absl::Duration ttl, const std::string& actor);
  absl::StatusOr<Resolution> Resolve(const std::string& scanned, const ResolveCaller& caller);
  // Resolve in two halves, for a handler that must not block gRPC's threads. BeginResolve does
  // no I/O: it checks the scanned text and the per-address limit and answers from this
  // process's own cache when a valid view is there and its outcome needs no alert stored.
  // Otherwise it gives the pending resolve, and ContinueResolve (which may read Redis and MySQL,
  // and store an alert) answers it. Resolve is the two in a row.
  absl::StatusOr<ResolveStep> BeginResolve(const std::string& scanned, const ResolveCaller& caller);
  absl::StatusOr<Resolution> ContinueResolve(const PendingResolve& pending,
                                             const ResolveCaller& caller);

  absl::StatusOr<CodeRecord> Get(const std::string& code_id, const std::string& merchant_scope);
  absl::StatusOr<std::vector<CodeRecord>> List(CodeFilter filter);
  absl::StatusOr<std::string> Render(const std::string& code_id, const std::string& merchant_scope,
                                     const RenderOptions& options);
  absl::StatusOr<std::vector<std::pair<CodeRecord, std::string>>> Backup(
      const std::string& merchant_id, ImageFormat format);

  absl::StatusOr<CodeRecord> Unbind(const std::string& scanned, const std::string& reason,
                                    const std::string& actor);
  absl::StatusOr<ResetOutcome> Reset(const std::string& scanned, const std::string& reason,
                                     const std::string& mode, absl::Duration grace,
                                     const std::string& actor, const std::string& merchant_scope);
  absl::StatusOr<CodeRecord> EndGrace(const std::string& code_id, const std::string& actor,
                                      const std::string& merchant_scope);
  // A payment succeeded on `code_id`: ends the grace of the code it replaced, if one is still in
  // GRACE. Returns the code whose grace ended, if any.
  absl::StatusOr<std::optional<std::string>> CodePaid(const std::string& code_id,
                                                      const std::string& actor);

  absl::StatusOr<RequestRecord> RequestReset(const std::string& code_id, const std::string& reason,
                                             const std::string& mode, bool staff_review,
                                             const std::string& merchant_scope);
  absl::StatusOr<ResetOutcome> VerifyReset(const std::string& request_id, const std::string& otp,
                                           const std::string& merchant_scope,
                                           const std::string& actor);
  absl::StatusOr<std::pair<RequestRecord, std::optional<ResetOutcome>>> ReviewReset(
      const std::string& request_id, bool approve, const std::string& actor);
  absl::StatusOr<std::vector<RequestRecord>> ListRequests(const std::string& status,
                                                          const std::string& merchant_id,
                                                          int limit);

  absl::StatusOr<std::pair<std::vector<AlertRecord>, int64_t>> Alerts(
      const std::string& merchant_id, int limit);
  absl::StatusOr<std::vector<HistoryEntry>> History(const std::string& terminal_sn,
                                                    const std::string& code_id);
  // The id of the terminal's current code; records that the terminal now holds it.
  absl::StatusOr<std::optional<std::string>> TerminalCodeId(const std::string& terminal_sn);

  // The merchant service's freeze, unfreeze and close: "FROZEN", "CLOSED" or "ACTIVE". Returns
  // once the change is effective on every instance.
  absl::StatusOr<MerchantBlockChange> SetMerchantCollection(const std::string& merchant_id,
                                                            const std::string& status,
                                                            const std::string& reason,
                                                            const std::string& actor);

  std::string Url(const std::string& code_id) const;
  CodeView ViewOf(const CodeRecord& code) const;

 private:
  absl::Time Now() const;
  absl::Status AllowResolve(const std::string& client);
  void RaiseAlert(const CodeView& view, const std::string& client);
  // Returns once no instance can serve a cached view from before the change.
  void Propagate(const CodeChange& change);
  // FAILED_PRECONDITION unless the merchant may collect (ACTIVE and not blocked).
  absl::Status CheckMerchantCollects(const MerchantSnapshot& merchant, absl::string_view field);
  absl::StatusOr<CodeRecord> NewCodeLike(const CodeRecord& old, absl::Time now);
  absl::StatusOr<ResetOutcome> DoReset(const std::string& code_id, ResetReason reason,
                                       ResetMode mode, absl::Duration grace,
                                       const std::string& actor);

  CodeRepository& repo_;
  ResolveCache& cache_;
  BindingDirectory& directory_;
  OtpSender& otp_;
  common::Metrics& metrics_;
  const common::Clock& clock_;
  BindingOptions options_;

  struct Bucket {
    double tokens = 0;
    absl::Time at;
  };
  std::mutex limiter_mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::mutex alert_mu_;
  std::unordered_map<std::string, absl::Time> last_alert_;
};

}  // namespace aggpay::binding
