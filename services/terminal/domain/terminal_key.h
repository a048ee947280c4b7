#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::terminal {

// One version of a terminal's signing key. Each check-in issues the next version and marks the
// previous one superseded; a key also expires at the end of the local day it was issued in.
// Stored sealed (common::SecretBox), so that a database dump alone cannot sign as a terminal.
struct TerminalKey {
  int64_t version = 0;
  std::string secret;
  absl::Time issued_at;
  absl::Time expires_at;
  std::optional<absl::Time> superseded_at;
};

// How long a superseded key is still accepted, so that a payment signed just before a check-in
// is not refused.
inline constexpr absl::Duration kDefaultKeyOverlap = absl::Minutes(10);
// How long after its expiry the current key still signs a check-in (CheckKeyUsableForCheckIn).
inline constexpr absl::Duration kDefaultCheckInGrace = absl::Hours(24 * 7);
// How far a signed timestamp may be from the server's clock, either way.
inline constexpr absl::Duration kDefaultSignatureWindow = absl::Minutes(5);

// 32 random bytes, base64url without padding (43 characters).
std::string NewTerminalKeySecret();

// The first instant of the local day after the one `issued_at` falls in, in the merchant's
// zone: a key issued at 23:59:59 expires a second later, one issued at 00:00:00 a day later.
// On a daylight-saving day that is 23 or 25 hours after the previous midnight; where the clocks
// skip midnight itself, the instant the new day begins.
absl::Time KeyExpiry(absl::Time issued_at, const absl::TimeZone& zone);

// Whether `key` signs an ordinary request (a payment) at `now`: before expires_at, and, once
// superseded, only until superseded_at + overlap. UNAUTHENTICATED "terminal key superseded" or
// "terminal key expired" otherwise. A superseded key gets no more than its own expiry: the
// overlap covers a payment in flight during a check-in, not a new day.
absl::Status CheckKeyUsable(const TerminalKey& key, absl::Time now, absl::Duration overlap);

// Whether `key` signs a check-in at `now`. A device checks in with the last valid key it holds:
//  - the current key (not superseded) is accepted before expires_at + grace. Keys expire every
//    local midnight, and a device switched off over a weekend must still be able to check in on
//    Monday to get a fresh key. Past the grace the terminal has to be activated again.
//  - a superseded key only before superseded_at + overlap, whatever its expiry: that is the
//    device retrying a check-in whose response it never received.
// UNAUTHENTICATED "terminal key superseded" or "terminal key expired ..." otherwise.
// The terminal's status (ACTIVE) is checked separately, by Transition(kCheckIn).
absl::Status CheckKeyUsableForCheckIn(const TerminalKey& key, absl::Time now,
                                      absl::Duration overlap,
                                      absl::Duration grace = kDefaultCheckInGrace);

// "METHOD\nSN\nTIMESTAMP\nNONCE\nBODY_SHA256\n": what a terminal signs. method_name is the RPC
// ("CheckIn"), timestamp Unix seconds as sent, body_sha256 the lowercase hex SHA-256 of the
// request's signed content.
std::string TerminalCanonicalString(absl::string_view method_name, absl::string_view terminal_sn,
                                    absl::string_view timestamp, absl::string_view nonce,
                                    absl::string_view body_sha256);

// Lowercase hex HMAC-SHA256 of the canonical string keyed with `secret`.
std::string SignTerminalRequest(absl::string_view secret, absl::string_view method_name,
                                absl::string_view terminal_sn, absl::string_view timestamp,
                                absl::string_view nonce, absl::string_view body_sha256);

// The signed timestamp as Unix seconds: 1 to 12 decimal digits, nothing else. UNAUTHENTICATED
// otherwise.
absl::StatusOr<int64_t> ParseTerminalTimestamp(absl::string_view timestamp);

// Checks, all UNAUTHENTICATED with a message for the device: the timestamp is Unix seconds no
// more than `window` from `now` (either way); the nonce is 8 to 64 of [A-Za-z0-9_-];
// body_sha256 and signature are 64 lowercase hex characters; the signature is the HMAC of the
// canonical string under `secret` (compared in constant time). Replay within the window is
// stopped by the caller: nonces, or CheckTimestampAdvances.
absl::Status VerifyTerminalSignature(absl::string_view secret, absl::string_view signature,
                                     absl::string_view method_name, absl::string_view terminal_sn,
                                     absl::string_view timestamp, absl::string_view nonce,
                                     absl::string_view body_sha256, absl::Time now,
                                     absl::Duration window);

// A check-in's signed timestamp must be later than the last accepted one's, so a captured
// check-in cannot be replayed inside the window. UNAUTHENTICATED otherwise.
absl::Status CheckTimestampAdvances(int64_t timestamp, int64_t last_accepted_timestamp);

}  // namespace aggpay::terminal
