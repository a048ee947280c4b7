#pragma once

#include <cstdint>
#include <string>

namespace aggpay::testing {

// The raw TOTP secret out of an otpauth:// URI's base32 `secret=` (what an authenticator app
// reads), for tests that sign in as staff.
inline std::string TotpSecretFromUri(const std::string& uri) {
  const size_t at = uri.find("secret=");
  if (at == std::string::npos) return "";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = at + 7; i < uri.size() && uri[i] != '&'; ++i) {
    const char c = uri[i];
    const int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
    if (v < 0) continue;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace aggpay::testing
