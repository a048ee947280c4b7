#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::admin {

// Passwords: Argon2id through libsodium's crypto_pwhash_str (the encoded string carries the
// salt and the cost parameters, so they can be raised later without a migration; a stored hash
// with weaker parameters still verifies). INTERNAL when libsodium cannot start or is out of
// memory.
absl::StatusOr<std::string> HashPassword(absl::string_view password);
bool VerifyPassword(absl::string_view password, absl::string_view hash);

// TOTP, RFC 6238 with RFC 4226's dynamic truncation: HMAC-SHA1, 30-second steps from the Unix
// epoch, 6 digits. The defaults every authenticator app assumes when an otpauth:// URI names no
// others.
inline constexpr int64_t kTotpStepSeconds = 30;

// A fresh 20-byte (160-bit, RFC 4226's recommendation) secret.
std::string NewTotpSecret();
// The 6-digit code of `secret` for time step `step`.
std::string TotpCode(absl::string_view secret, int64_t step);
int64_t TotpStep(absl::Time t);
// The step within one step of `now` (RFC 6238 section 5.2's allowance for clock drift) whose code
// is `code` and that is later than `last_step`, if any. A code that matches only an already used
// step is refused: each code works once.
std::optional<int64_t> MatchTotp(absl::string_view secret, absl::string_view code, absl::Time now,
                                 int64_t last_step);

// RFC 4648 base32, upper case, without padding: the form authenticator apps read.
std::string Base32Encode(absl::string_view data);
// otpauth://totp/ISSUER:USERNAME?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
std::string TotpUri(absl::string_view issuer, absl::string_view username, absl::string_view secret);

}  // namespace aggpay::admin
