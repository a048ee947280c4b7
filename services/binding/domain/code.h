#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::binding {

// A static code is a printed sticker: the payer types the amount. A dynamic code is shown on a
// terminal's screen for one order, with the amount fixed and a short expiry.
enum class CodeKind : uint8_t { kStatic, kDynamic };
inline constexpr std::array<CodeKind, 2> kAllCodeKinds = {CodeKind::kStatic, CodeKind::kDynamic};

// "STATIC", "DYNAMIC": the names stored in `codes.kind` and sent in the API.
absl::string_view CodeKindName(CodeKind kind);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<CodeKind> ParseCodeKind(absl::string_view name, absl::string_view field = "kind");

// Where a code stands:
//   ACTIVE   resolves to its merchant and can be paid
//   GRACE    replaced after a GRACEFUL reset: still paid to the same merchant until valid_until
//   REVOKED  replaced after an IMMEDIATE reset (or a grace that ended): never paid again
//   UNBOUND  detached from its terminal by staff, with no replacement
//   EXPIRED  a dynamic code past its lifetime
enum class CodeStatus : uint8_t { kActive, kGrace, kRevoked, kUnbound, kExpired };
inline constexpr std::array<CodeStatus, 5> kAllCodeStatuses = {
    CodeStatus::kActive, CodeStatus::kGrace, CodeStatus::kRevoked, CodeStatus::kUnbound,
    CodeStatus::kExpired};

// "ACTIVE", "GRACE", "REVOKED", "UNBOUND", "EXPIRED": the names stored in `codes.status` and sent
// in the API.
absl::string_view CodeStatusName(CodeStatus status);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<CodeStatus> ParseCodeStatus(absl::string_view name,
                                           absl::string_view field = "status");

// A code id is 132 random bits in URL-safe base64, never starting with '-': exactly 22
// characters of [A-Za-z0-9_-]. It is the only secret in the QR content, so it must be unguessable.
inline constexpr size_t kCodeIdLength = 22;
std::string NewCodeId();
// Exactly kCodeIdLength characters of [A-Za-z0-9_-], else INVALID_ARGUMENT naming `field`.
// Only the shape is checked: an id that NewCodeId could never produce (one starting with '-')
// passes here and is simply not found.
absl::Status ValidateCodeId(absl::string_view id, absl::string_view field = "code_id");

// The QR content: `public_base_url` without its trailing slashes, then "/c/", then the id.
std::string CodeUrl(absl::string_view public_base_url, absl::string_view code_id);

// What a scanner, a paste or a typed form may hold, trimmed of surrounding ASCII whitespace:
//   - a bare code id;
//   - "http://" or "https://" (scheme in any case), a host (a name, an IPv4 address or a
//     bracketed IPv6 address) with an optional port, an optional path prefix, then "/c/<id>",
//     optionally followed by one "/", a "?query" and/or a "#fragment", all ignored.
// Returns the code id. Anything else is INVALID_ARGUMENT naming `field`: another scheme
// ("javascript:", "ftp://"), user info ("user@host"), no "/c/<id>", a malformed id, a space or
// control character anywhere inside, or more than kMaxScannedBytes before trimming.
//
// The host is NOT compared with the configured public base URL: stickers printed under an old
// domain must keep resolving, and the id alone identifies the code. Whatever the host says,
// the answer comes from the platform's own records for that id.
inline constexpr size_t kMaxScannedBytes = 2048;
absl::StatusOr<std::string> ParseScannedCode(absl::string_view scanned,
                                             absl::string_view field = "code");

// What a resolve returns and what the caches hold.
struct CodeView {
  std::string code_id;
  CodeKind kind = CodeKind::kStatic;
  CodeStatus status = CodeStatus::kActive;
  std::string merchant_id;
  std::string merchant_display_name;
  std::string store_id;
  std::string terminal_sn;  // empty for a store code
  // channel ("WECHAT", "ALIPAY", ...) -> the merchant's sub-merchant id on that channel.
  std::vector<std::pair<std::string, std::string>> channel_params;
  // Dynamic codes: the fixed amount, in minor units of `currency`.
  std::optional<int64_t> amount_minor;
  std::string currency;
  // GRACE: the end of the grace period. A dynamic code: its expiry. Otherwise unset.
  std::optional<absl::Time> valid_until;
  std::string replaced_by;  // the id of the code that replaced this one, if any
  // "FROZEN" or "CLOSED" while the merchant's collection is blocked; empty otherwise.
  std::string merchant_block;
  // The invalidation-log sequence number that this view is known to reflect: every code change
  // and merchant block with a sequence number up to it had committed before the view was read.
  // Caches use it to tell a current view from a stale one (resolve_cache.h).
  int64_t stamp = 0;

  friend bool operator==(const CodeView&, const CodeView&) = default;
};

// A compact, versioned encoding for the Redis and in-process caches: "CV2" then every field as
// "<decimal length>:<bytes>", so any byte may appear in a field. Times keep nanoseconds.
std::string SerializeCodeView(const CodeView& view);
// The inverse. Anything else (another version, a bad length, an unknown kind or status, a bad
// number, trailing bytes) is INTERNAL: the caller treats it as a cache miss.
absl::StatusOr<CodeView> ParseCodeView(absl::string_view encoded);

// What a scan of the code leads to.
enum class ResolveOutcome : uint8_t { kPayable, kReplaced, kExpired, kUnbound, kMerchantFrozen };
inline constexpr std::array<ResolveOutcome, 5> kAllResolveOutcomes = {
    ResolveOutcome::kPayable, ResolveOutcome::kReplaced, ResolveOutcome::kExpired,
    ResolveOutcome::kUnbound, ResolveOutcome::kMerchantFrozen};

// "PAYABLE", "REPLACED", "EXPIRED", "UNBOUND", "MERCHANT_FROZEN": for the API, logs and metrics.
absl::string_view ResolveOutcomeName(ResolveOutcome outcome);

// The outcome of scanning `view` at `now`. Deadlines are exclusive: at valid_until the code is
// already no longer payable. A blocked merchant (merchant_block set) makes every code that would
// otherwise be payable MERCHANT_FROZEN: a freeze is a revocation of collection.
//   ACTIVE   payable; a DYNAMIC code with valid_until <= now is expired (a static code has no
//            expiry, so valid_until is not consulted)
//   GRACE    payable while now < valid_until; afterwards, or without a deadline, replaced
//   REVOKED  replaced
//   UNBOUND  unbound
//   EXPIRED  expired
// Only a payable outcome may lead to a payment. A replaced outcome means "this code has been
// replaced": the caller counts it and raises an alert to the merchant.
ResolveOutcome Evaluate(const CodeView& view, absl::Time now);

// What a payer-facing page shows for a non-payable outcome ("" for PAYABLE).
absl::string_view PayerMessage(ResolveOutcome outcome);

// What may be shown to whoever scanned the code. Payable: the view as it is. Otherwise only
// code_id, kind and status (and, for MERCHANT_FROZEN, the merchant's display name, so the payer
// knows whose shop it is): merchant id, store, terminal, channel parameters, amount, deadline and
// the replacing code's id are cleared, so that a scan of an old (perhaps stolen) code neither
// pays nor points anyone anywhere.
CodeView PublicView(const CodeView& view, ResolveOutcome outcome);

}  // namespace aggpay::binding
