#pragma once

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::terminal {

// A code staff hand to the installer of a device. Redeeming it (Activate) binds the device to
// the store, and to `terminal_sn` when the code names one.
struct ActivationCode {
  std::string code;
  std::string merchant_id;
  std::string store_id;
  // Empty: activation registers a new terminal in the store.
  std::string terminal_sn;
  int max_uses = 1;
  int uses = 0;
  absl::Time expires_at;
  bool revoked = false;
};

// The characters of a code: no 0/O, 1/I/L look-alikes, upper case only, so that a code read off
// a slip and typed on a device keypad comes out right. 32 of them: a random byte's low five bits
// pick one without bias.
inline constexpr absl::string_view kActivationCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
inline constexpr size_t kActivationCodeLength = 12;  // 60 random bits

// A fresh code of kActivationCodeLength characters of kActivationCodeAlphabet, from the
// operating system's cryptographic randomness.
std::string NewActivationCode();

// Upper-cases ASCII letters and drops spaces and hyphens, for a code typed by hand as
// "abcd-efgh-jkmn". Does not validate.
std::string NormalizeActivationCode(absl::string_view typed);

// Exactly kActivationCodeLength characters of kActivationCodeAlphabet, else INVALID_ARGUMENT
// naming "activation_code". The message never repeats the code.
absl::Status ValidateActivationCodeFormat(absl::string_view code);

// Whether `code` can still be redeemed at `now`: FAILED_PRECONDITION naming "activation_code"
// with "activation code revoked", "activation code expired" (from expires_at on) or
// "activation code already used" (uses >= max_uses), checked in that order.
absl::Status CheckActivationCodeUsable(const ActivationCode& code, absl::Time now);

// A code bound to a terminal activates only that terminal, and only in the code's merchant and
// store: a terminal moved to another store needs a new code. FAILED_PRECONDITION naming
// "activation_code" otherwise. `terminal_*` describe the terminal the code names.
absl::Status CheckActivationCodeMatchesTerminal(const ActivationCode& code,
                                                absl::string_view terminal_merchant_id,
                                                absl::string_view terminal_store_id);

inline constexpr absl::Duration kDefaultActivationCodeLifetime = absl::Hours(24 * 7);
inline constexpr int kMaxActivationCodeUses = 1000;
inline constexpr absl::Duration kMinActivationCodeLifetime = absl::Minutes(1);
inline constexpr absl::Duration kMaxActivationCodeLifetime = absl::Hours(24 * 30);

// What staff may ask for when issuing a code: max_uses 1..1000 (INVALID_ARGUMENT naming
// "max_uses"), lifetime 1 minute..30 days inclusive (INVALID_ARGUMENT naming "ttl_seconds").
absl::Status ValidateActivationCodeOptions(int max_uses, absl::Duration lifetime);

}  // namespace aggpay::terminal
