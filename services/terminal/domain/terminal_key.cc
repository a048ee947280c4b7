#include "services/terminal/domain/terminal_key.h"

#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::terminal {
namespace {

bool IsLowerHex(absl::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsNonce(absl::string_view nonce) {
  if (nonce.size() < 8 || nonce.size() > 64) return false;
  for (char c : nonce) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool SupersededBeyondOverlap(const TerminalKey& key, absl::Time now, absl::Duration overlap) {
  return key.superseded_at.has_value() && now >= *key.superseded_at + overlap;
}

}  // namespace

std::string NewTerminalKeySecret() { return common::RandomToken(32); }

absl::Time KeyExpiry(absl::Time issued_at, const absl::TimeZone& zone) {
  const absl::CivilDay next_day = absl::ToCivilDay(issued_at, zone) + 1;
  // FromCivil gives the transition instant when midnight itself is skipped, which is when that
  // local day begins.
  return absl::FromCivil(next_day, zone);
}

absl::Status CheckKeyUsable(const TerminalKey& key, absl::Time now, absl::Duration overlap) {
  if (SupersededBeyondOverlap(key, now, overlap)) {
    return absl::UnauthenticatedError("terminal key superseded");
  }
  if (now >= key.expires_at) return absl::UnauthenticatedError("terminal key expired");
  return absl::OkStatus();
}

absl::Status CheckKeyUsableForCheckIn(const TerminalKey& key, absl::Time now,
                                      absl::Duration overlap, absl::Duration grace) {
  if (key.superseded_at.has_value()) {
    if (SupersededBeyondOverlap(key, now, overlap)) {
      return absl::UnauthenticatedError("terminal key superseded");
    }
    return absl::OkStatus();
  }
  if (now >= key.expires_at + grace) {
    return absl::UnauthenticatedError(absl::StrCat("terminal key expired more than ",
                                                   absl::FormatDuration(grace),
                                                   " ago: the terminal must be activated again"));
  }
  return absl::OkStatus();
}

std::string TerminalCanonicalString(absl::string_view method_name, absl::string_view terminal_sn,
                                    absl::string_view timestamp, absl::string_view nonce,
                                    absl::string_view body_sha256) {
  return absl::StrCat(method_name, "\n", terminal_sn, "\n", timestamp, "\n", nonce, "\n",
                      body_sha256, "\n");
}

std::string SignTerminalRequest(absl::string_view secret, absl::string_view method_name,
                                absl::string_view terminal_sn, absl::string_view timestamp,
                                absl::string_view nonce, absl::string_view body_sha256) {
  return common::HmacSha256Hex(
      secret, TerminalCanonicalString(method_name, terminal_sn, timestamp, nonce, body_sha256));
}

absl::StatusOr<int64_t> ParseTerminalTimestamp(absl::string_view timestamp) {
  if (timestamp.empty() || timestamp.size() > 12) {
    return absl::UnauthenticatedError("timestamp must be Unix seconds");
  }
  int64_t seconds = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return absl::UnauthenticatedError("timestamp must be Unix seconds");
    seconds = seconds * 10 + (c - '0');
  }
  return seconds;
}

absl::Status VerifyTerminalSignature(absl::string_view secret, absl::string_view signature,
                                     absl::string_view method_name, absl::string_view terminal_sn,
                                     absl::string_view timestamp, absl::string_view nonce,
                                     absl::string_view body_sha256, absl::Time now,
                                     absl::Duration window) {
  absl::StatusOr<int64_t> seconds = ParseTerminalTimestamp(timestamp);
  if (!seconds.ok()) return seconds.status();
  if (absl::AbsDuration(now - absl::FromUnixSeconds(*seconds)) > window) {
    return absl::UnauthenticatedError(absl::StrCat("timestamp is more than ",
                                                   absl::ToInt64Seconds(window),
                                                   " s away from the server's clock"));
  }
  if (!IsNonce(nonce)) {
    return absl::UnauthenticatedError("nonce must be 8 to 64 of A-Z, a-z, 0-9, _ and -");
  }
  if (!IsLowerHex(body_sha256, 64)) return absl::UnauthenticatedError("malformed body hash");
  if (!IsLowerHex(signature, 64)) {
    return absl::UnauthenticatedError("signature must be 64 lowercase hex characters");
  }
  const std::string expected =
      SignTerminalRequest(secret, method_name, terminal_sn, timestamp, nonce, body_sha256);
  if (!common::ConstantTimeEquals(expected, signature)) {
    return absl::UnauthenticatedError("signature does not match");
  }
  return absl::OkStatus();
}

absl::Status CheckTimestampAdvances(int64_t timestamp, int64_t last_accepted_timestamp) {
  if (timestamp <= last_accepted_timestamp) {
    return absl::UnauthenticatedError("timestamp is not later than the last accepted check-in's");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::terminal
