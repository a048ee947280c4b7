#include "services/admin/sign_in_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <array>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace aggpay::admin {
namespace {

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

std::string UriEscape(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> HashPassword(absl::string_view password) {
  if (!SodiumReady()) return absl::InternalError("libsodium did not initialise");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // libsodium's interactive limits (64 MiB, 2 passes): above OWASP's floor for Argon2id, and
  // about a tenth of a second here, which is what a sign-in can afford.
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::InternalError("password hashing ran out of memory");
  }
  return std::string(out.data());
}

bool VerifyPassword(absl::string_view password, absl::string_view hash) {
  if (!SodiumReady() || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string h(hash);  // NUL-terminated, as libsodium wants
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string NewTotpSecret() {
  std::string raw(20, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    std::abort();  // no randomness: nothing safe can be handed out
  }
  return raw;
}

int64_t TotpStep(absl::Time t) { return absl::ToUnixSeconds(t) / kTotpStepSeconds; }

std::string TotpCode(absl::string_view secret, int64_t step) {
  std::array<unsigned char, 8> counter{};
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<unsigned char>(step & 0xff);
    step >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), counter.data(), counter.size(),
       mac.data(), &size);
  const int offset = mac[size - 1] & 0x0f;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<uint32_t>(mac[offset + 3]);
  return absl::StrFormat("%06u", binary % 1000000);
}

std::optional<int64_t> MatchTotp(absl::string_view secret, absl::string_view code, absl::Time now,
                                 int64_t last_step) {
  if (code.size() != 6) return std::nullopt;
  const int64_t current = TotpStep(now);
  std::optional<int64_t> found;
  // Every candidate is computed and compared in constant time, so timing tells nothing.
  for (int64_t step = current - 1; step <= current + 1; ++step) {
    const std::string want = TotpCode(secret, step);
    if (CRYPTO_memcmp(want.data(), code.data(), 6) == 0 && step > last_step && !found) {
      found = step;
    }
  }
  return found;
}

std::string Base32Encode(absl::string_view data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : data) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

std::string TotpUri(absl::string_view issuer, absl::string_view username,
                    absl::string_view secret) {
  return absl::StrCat("otpauth://totp/", UriEscape(issuer), ":", UriEscape(username),
                      "?secret=", Base32Encode(secret), "&issuer=", UriEscape(issuer),
                      "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace aggpay::admin
