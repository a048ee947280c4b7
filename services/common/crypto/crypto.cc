#include "services/common/crypto/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <memory>

#include "absl/strings/escaping.h"

namespace aggpay::common {
namespace {

std::string ToHex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return ToHex(digest.data(), digest.size());
}

std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &size);
  return ToHex(digest.data(), size);
}

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // Without randomness no token is safe to hand out; this is not recoverable.
    std::abort();
  }
  return Base64UrlEncode(raw);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64UrlEncode(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view data) {
  std::string out;
  if (!absl::WebSafeBase64Unescape(data, &out)) {
    return absl::InvalidArgumentError("not valid base64url");
  }
  return out;
}

absl::StatusOr<SecretBox> SecretBox::FromHexKey(absl::string_view hex_key) {
  if (hex_key.size() != 64) {
    return absl::InvalidArgumentError("the secret key must be 64 hex characters (32 bytes)");
  }
  for (char c : hex_key) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("the secret key must be 64 hex characters (32 bytes)");
    }
  }
  return SecretBox(absl::HexStringToBytes(hex_key));
}

absl::StatusOr<std::string> SecretBox::Seal(absl::string_view plaintext) const {
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(buf, kNonceSize) != 1) return absl::InternalError("no randomness");
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), buf) != 1 ||
      EVP_EncryptUpdate(ctx.get(), buf + kNonceSize, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), buf + kNonceSize + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          buf + kNonceSize + plaintext.size()) != 1) {
    return absl::InternalError("encryption failed");
  }
  return Base64UrlEncode(out);
}

absl::StatusOr<std::string> SecretBox::Open(absl::string_view sealed) const {
  auto raw = Base64UrlDecode(sealed);
  if (!raw.ok() || raw->size() < kNonceSize + kTagSize) {
    return absl::InvalidArgumentError("sealed secret is malformed");
  }
  const size_t size = raw->size() - kNonceSize - kTagSize;
  auto* buf = reinterpret_cast<unsigned char*>(raw->data());
  std::string out(size, '\0');
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), buf) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                        buf + kNonceSize, static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, buf + kNonceSize + size) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) !=
          1) {
    return absl::PermissionDeniedError("sealed secret failed authentication");
  }
  return out;
}

}  // namespace aggpay::common
