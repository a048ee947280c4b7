#include "services/binding/domain/code.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"

namespace aggpay::binding {
namespace {

constexpr size_t kCodeIdBytes = 16;  // 128 bits; one byte more is drawn, see NewCodeId

bool IsCodeIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 unreserved characters.
bool IsUnreserved(char c) { return IsCodeIdChar(c) || c == '.' || c == '~'; }

// RFC 3986 pchar, percent signs allowed as they come: the prefix is never decoded.
bool IsPathChar(char c) {
  return IsUnreserved(c) || absl::string_view("!$&'()*+,;=:@%").find(c) != absl::string_view::npos;
}

bool IsHexDigit(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }

// "host[:port]" where host is a registered name or IPv4 address, or "[IPv6][:port]".
bool IsValidAuthority(absl::string_view authority) {
  absl::string_view port;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == 0 || close == absl::string_view::npos) return false;
    for (char c : authority.substr(0, close)) {
      if (!IsHexDigit(c) && c != ':' && c != '.') return false;
    }
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (!absl::ConsumePrefix(&authority, ":")) return false;
      port = authority;
      if (port.empty()) return false;
    }
  } else {
    const size_t colon = authority.find(':');
    absl::string_view host = authority.substr(0, colon);
    if (host.empty()) return false;
    for (char c : host) {
      if (!IsUnreserved(c)) return false;
    }
    if (colon != absl::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return false;
    }
  }
  if (port.size() > 5) return false;
  int value = 0;
  for (char c : port) {
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  return value <= 65535;
}

absl::Status NotACode(absl::string_view field) {
  return common::InvalidField(
      field, "is not a collection code: expected a code id or http(s)://<host>/c/<code id>");
}

// ---- CodeView encoding -------------------------------------------------------------------------

constexpr absl::string_view kViewMagic = "CV2";
constexpr size_t kMaxLengthDigits = 10;

void PutField(std::string* out, absl::string_view value) {
  absl::StrAppend(out, value.size(), ":", value);
}

// Seconds since the epoch, a dot, then 9 digits of nanoseconds (floor), so that times before
// 1970 keep a non-negative fraction; "+inf" and "-inf" for the infinite times.
std::string EncodeTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "+inf";
  if (t == absl::InfinitePast()) return "-inf";
  const int64_t seconds = absl::ToUnixSeconds(t);
  const int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  std::string frac = std::to_string(nanos);
  return absl::StrCat(seconds, ".", std::string(9 - frac.size(), '0'), frac);
}

// The canonical decimal spelling only: optional '-', no leading zeros, no "-0", no overflow.
bool ParseCanonicalInt64(absl::string_view s, int64_t* out) {
  const bool negative = absl::ConsumePrefix(&s, "-");
  if (s.empty() || s.size() > 19) return false;
  if (s[0] == '0' && (s.size() > 1 || negative)) return false;
  uint64_t magnitude = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  }
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (magnitude > kMax + (negative ? 1 : 0)) return false;
  if (negative) {
    *out = magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                 : -static_cast<int64_t>(magnitude);
  } else {
    *out = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool DecodeTime(absl::string_view s, absl::Time* out) {
  if (s == "+inf") return *out = absl::InfiniteFuture(), true;
  if (s == "-inf") return *out = absl::InfinitePast(), true;
  const size_t dot = s.find('.');
  if (dot == absl::string_view::npos || s.size() - dot - 1 != 9) return false;
  int64_t seconds = 0;
  if (!ParseCanonicalInt64(s.substr(0, dot), &seconds)) return false;
  int64_t nanos = 0;
  for (char c : s.substr(dot + 1)) {
    if (!IsDigit(c)) return false;
    nanos = nanos * 10 + (c - '0');
  }
  *out = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return true;
}

class FieldReader {
 public:
  explicit FieldReader(absl::string_view data) : rest_(data) {}

  bool Next(absl::string_view* field) {
    const size_t colon = rest_.find(':');
    if (colon == 0 || colon == absl::string_view::npos || colon > kMaxLengthDigits) return false;
    const absl::string_view digits = rest_.substr(0, colon);
    if (digits[0] == '0' && digits.size() > 1) return false;
    uint64_t length = 0;
    for (char c : digits) {
      if (!IsDigit(c)) return false;
      length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    rest_.remove_prefix(colon + 1);
    if (length > rest_.size()) return false;
    *field = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return true;
  }

  [[nodiscard]] bool AtEnd() const { return rest_.empty(); }
  [[nodiscard]] size_t Remaining() const { return rest_.size(); }

 private:
  absl::string_view rest_;
};

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("malformed cached code view: ", what));
}

}  // namespace

absl::string_view CodeKindName(CodeKind kind) {
  switch (kind) {
    case CodeKind::kStatic:
      return "STATIC";
    case CodeKind::kDynamic:
      return "DYNAMIC";
  }
  return "UNKNOWN";
}

absl::StatusOr<CodeKind> ParseCodeKind(absl::string_view name, absl::string_view field) {
  for (CodeKind kind : kAllCodeKinds) {
    if (CodeKindName(kind) == name) return kind;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown code kind \"", name, "\" (want STATIC or DYNAMIC)"));
}

absl::string_view CodeStatusName(CodeStatus status) {
  switch (status) {
    case CodeStatus::kActive:
      return "ACTIVE";
    case CodeStatus::kGrace:
      return "GRACE";
    case CodeStatus::kRevoked:
      return "REVOKED";
    case CodeStatus::kUnbound:
      return "UNBOUND";
    case CodeStatus::kExpired:
      return "EXPIRED";
  }
  return "UNKNOWN";
}

absl::StatusOr<CodeStatus> ParseCodeStatus(absl::string_view name, absl::string_view field) {
  for (CodeStatus status : kAllCodeStatuses) {
    if (CodeStatusName(status) == name) return status;
  }
  return common::InvalidField(field,
                              absl::StrCat("unknown code status \"", name,
                                           "\" (want ACTIVE, GRACE, REVOKED, UNBOUND or EXPIRED)"));
}

std::string NewCodeId() {
  // 17 random bytes are 23 base64url characters; the first 22 carry 132 random bits. An id
  // starting with '-' reads as an option to every command-line tool, so it is drawn again:
  // that costs 0.02 bits, leaving more than 131.
  for (;;) {
    std::string id = common::RandomToken(kCodeIdBytes + 1).substr(0, kCodeIdLength);
    if (!ValidateCodeId(id).ok()) std::abort();
    if (id.front() != '-') return id;
  }
}

absl::Status ValidateCodeId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return common::InvalidField(field, "is required");
  if (id.size() != kCodeIdLength) {
    return common::InvalidField(field, absl::StrCat("must be ", kCodeIdLength, " characters"));
  }
  for (char c : id) {
    if (!IsCodeIdChar(c)) {
      return common::InvalidField(field, "may contain only A-Z, a-z, 0-9, _ and -");
    }
  }
  return absl::OkStatus();
}

std::string CodeUrl(absl::string_view public_base_url, absl::string_view code_id) {
  while (absl::ConsumeSuffix(&public_base_url, "/")) {
  }
  return absl::StrCat(public_base_url, "/c/", code_id);
}

absl::StatusOr<std::string> ParseScannedCode(absl::string_view scanned, absl::string_view field) {
  if (scanned.size() > kMaxScannedBytes) {
    return common::InvalidField(field, absl::StrCat("is longer than ", kMaxScannedBytes, " bytes"));
  }
  absl::string_view s = absl::StripAsciiWhitespace(scanned);
  if (s.empty()) return common::InvalidField(field, "is required");
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return common::InvalidField(field, "must not contain spaces or control characters");
    }
  }
  if (s.find_first_of(":/?#@") == absl::string_view::npos) {
    if (!ValidateCodeId(s, field).ok()) return NotACode(field);
    return std::string(s);
  }

  const size_t scheme_end = s.find("://");
  if (scheme_end == absl::string_view::npos) return NotACode(field);
  const absl::string_view scheme = s.substr(0, scheme_end);
  if (!absl::EqualsIgnoreCase(scheme, "http") && !absl::EqualsIgnoreCase(scheme, "https")) {
    return NotACode(field);
  }
  absl::string_view rest = s.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  const absl::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != absl::string_view::npos) {
    return common::InvalidField(field, "must not contain user info (\"user@host\")");
  }
  if (!IsValidAuthority(authority)) return NotACode(field);
  rest =
      authority_end == absl::string_view::npos ? absl::string_view() : rest.substr(authority_end);
  absl::string_view path = rest.substr(0, rest.find_first_of("?#"));
  absl::ConsumeSuffix(&path, "/");

  const size_t last_slash = path.rfind('/');
  if (last_slash == absl::string_view::npos) return NotACode(field);
  const absl::string_view id = path.substr(last_slash + 1);
  absl::string_view prefix = path.substr(0, last_slash);
  if (!absl::ConsumeSuffix(&prefix, "/c")) {
    if (absl::EndsWith(path, "/c")) return common::InvalidField(field, "has no code id after /c/");
    return NotACode(field);
  }
  for (char c : prefix) {
    if (c != '/' && !IsPathChar(c)) return NotACode(field);
  }
  if (id.empty()) return common::InvalidField(field, "has no code id after /c/");
  if (!ValidateCodeId(id, field).ok()) {
    return common::InvalidField(field, absl::StrCat("the code id after /c/ must be ", kCodeIdLength,
                                                    " characters of A-Z, a-z, 0-9, _ and -"));
  }
  return std::string(id);
}

std::string SerializeCodeView(const CodeView& v) {
  std::string out(kViewMagic);
  PutField(&out, v.code_id);
  PutField(&out, CodeKindName(v.kind));
  PutField(&out, CodeStatusName(v.status));
  PutField(&out, v.merchant_id);
  PutField(&out, v.merchant_display_name);
  PutField(&out, v.store_id);
  PutField(&out, v.terminal_sn);
  PutField(&out, std::to_string(v.channel_params.size()));
  for (const auto& [channel, sub_mch_id] : v.channel_params) {
    PutField(&out, channel);
    PutField(&out, sub_mch_id);
  }
  PutField(&out, v.amount_minor ? std::to_string(*v.amount_minor) : std::string());
  PutField(&out, v.currency);
  PutField(&out, v.valid_until ? EncodeTime(*v.valid_until) : std::string());
  PutField(&out, v.replaced_by);
  PutField(&out, v.merchant_block);
  PutField(&out, std::to_string(v.stamp));
  return out;
}

absl::StatusOr<CodeView> ParseCodeView(absl::string_view encoded) {
  if (!absl::ConsumePrefix(&encoded, kViewMagic)) return Malformed("unknown version");
  FieldReader in(encoded);
  CodeView v;
  absl::string_view f;
  const auto next_string = [&](std::string* out) {
    if (!in.Next(&f)) return false;
    out->assign(f.data(), f.size());
    return true;
  };
  if (!next_string(&v.code_id)) return Malformed("code_id");
  if (!in.Next(&f)) return Malformed("kind");
  auto kind = ParseCodeKind(f);
  if (!kind.ok()) return Malformed("kind");
  v.kind = *kind;
  if (!in.Next(&f)) return Malformed("status");
  auto status = ParseCodeStatus(f);
  if (!status.ok()) return Malformed("status");
  v.status = *status;
  if (!next_string(&v.merchant_id)) return Malformed("merchant_id");
  if (!next_string(&v.merchant_display_name)) return Malformed("merchant_display_name");
  if (!next_string(&v.store_id)) return Malformed("store_id");
  if (!next_string(&v.terminal_sn)) return Malformed("terminal_sn");
  int64_t count = 0;
  // Each pair takes at least "0:0:" (4 bytes), which bounds the count before anything is built.
  if (!in.Next(&f) || !ParseCanonicalInt64(f, &count) || count < 0 ||
      static_cast<uint64_t>(count) > in.Remaining() / 4) {
    return Malformed("channel count");
  }
  v.channel_params.resize(static_cast<size_t>(count));
  for (auto& [channel, sub_mch_id] : v.channel_params) {
    if (!next_string(&channel) || !next_string(&sub_mch_id)) return Malformed("channel_params");
  }
  if (!in.Next(&f)) return Malformed("amount_minor");
  if (!f.empty()) {
    int64_t amount = 0;
    if (!ParseCanonicalInt64(f, &amount)) return Malformed("amount_minor");
    v.amount_minor = amount;
  }
  if (!next_string(&v.currency)) return Malformed("currency");
  if (!in.Next(&f)) return Malformed("valid_until");
  if (!f.empty()) {
    absl::Time t;
    if (!DecodeTime(f, &t)) return Malformed("valid_until");
    v.valid_until = t;
  }
  if (!next_string(&v.replaced_by)) return Malformed("replaced_by");
  if (!next_string(&v.merchant_block)) return Malformed("merchant_block");
  if (!in.Next(&f) || !ParseCanonicalInt64(f, &v.stamp) || v.stamp < 0) return Malformed("stamp");
  if (!in.AtEnd()) return Malformed("trailing bytes");
  return v;
}

absl::string_view ResolveOutcomeName(ResolveOutcome outcome) {
  switch (outcome) {
    case ResolveOutcome::kPayable:
      return "PAYABLE";
    case ResolveOutcome::kReplaced:
      return "REPLACED";
    case ResolveOutcome::kExpired:
      return "EXPIRED";
    case ResolveOutcome::kUnbound:
      return "UNBOUND";
    case ResolveOutcome::kMerchantFrozen:
      return "MERCHANT_FROZEN";
  }
  return "UNKNOWN";
}

absl::string_view PayerMessage(ResolveOutcome outcome) {
  switch (outcome) {
    case ResolveOutcome::kPayable:
      return "";
    case ResolveOutcome::kReplaced:
      return "this code has been replaced";
    case ResolveOutcome::kExpired:
      return "this code has expired";
    case ResolveOutcome::kUnbound:
      return "this code is no longer in use";
    case ResolveOutcome::kMerchantFrozen:
      return "this merchant cannot accept payments at the moment";
  }
  return "this code cannot be paid";
}

namespace {

ResolveOutcome EvaluateCode(const CodeView& view, absl::Time now) {
  switch (view.status) {
    case CodeStatus::kActive:
      if (view.kind == CodeKind::kDynamic && view.valid_until && now >= *view.valid_until) {
        return ResolveOutcome::kExpired;
      }
      return ResolveOutcome::kPayable;
    case CodeStatus::kGrace:
      // A grace period without a deadline is a broken record: refuse rather than pay forever.
      if (view.valid_until && now < *view.valid_until) return ResolveOutcome::kPayable;
      return ResolveOutcome::kReplaced;
    case CodeStatus::kRevoked:
      return ResolveOutcome::kReplaced;
    case CodeStatus::kUnbound:
      return ResolveOutcome::kUnbound;
    case CodeStatus::kExpired:
      return ResolveOutcome::kExpired;
  }
  return ResolveOutcome::kReplaced;
}

}  // namespace

ResolveOutcome Evaluate(const CodeView& view, absl::Time now) {
  const ResolveOutcome outcome = EvaluateCode(view, now);
  if (outcome == ResolveOutcome::kPayable && !view.merchant_block.empty()) {
    return ResolveOutcome::kMerchantFrozen;
  }
  return outcome;
}

CodeView PublicView(const CodeView& view, ResolveOutcome outcome) {
  if (outcome == ResolveOutcome::kPayable) return view;
  CodeView out;
  out.code_id = view.code_id;
  out.kind = view.kind;
  out.status = view.status;
  if (outcome == ResolveOutcome::kMerchantFrozen) {
    out.merchant_display_name = view.merchant_display_name;
  }
  return out;
}

}  // namespace aggpay::binding
