#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::common {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);
// Lowercase hex HMAC-SHA256 of `data` keyed with `key`.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);
// `bytes` cryptographically random bytes, URL-safe base64 without padding.
std::string RandomToken(size_t bytes);
// Constant-time comparison, for secrets and signatures.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// AES-256-GCM with a 32-byte key (given as 64 hex characters). The output is
// base64url(nonce || ciphertext || tag). Used for secrets that the platform must be able to
// read back (merchant API key secrets) but that a database dump alone must not reveal.
class SecretBox {
 public:
  static absl::StatusOr<SecretBox> FromHexKey(absl::string_view hex_key);
  absl::StatusOr<std::string> Seal(absl::string_view plaintext) const;
  absl::StatusOr<std::string> Open(absl::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

std::string Base64UrlEncode(absl::string_view data);
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data);

}  // namespace aggpay::common
