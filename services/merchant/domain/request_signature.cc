#include "services/merchant/domain/request_signature.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"

namespace aggpay::merchant {
namespace {

bool IsLowerHex(const std::string& s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string CanonicalString(const SignedRequest& r) {
  return absl::StrCat(r.method, "\n", r.path_and_query, "\n", r.timestamp, "\n", r.nonce, "\n",
                      r.body_sha256, "\n");
}

absl::Status CheckRequestShape(const SignedRequest& r, absl::Time now, absl::Duration window) {
  if (r.key_id.empty() || r.key_id.size() > 40) return absl::UnauthenticatedError("unknown key");
  if (r.nonce.size() < 8 || r.nonce.size() > 64) {
    return absl::UnauthenticatedError("nonce must be 8 to 64 characters");
  }
  for (char c : r.nonce) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return absl::UnauthenticatedError("nonce may contain only A-Z, a-z, 0-9, _ and -");
  }
  // Digits only: SimpleAtoi alone would also take a sign and surrounding whitespace, a newline
  // among them, and every signed value must have one spelling and no line break.
  int64_t seconds = 0;
  if (r.timestamp.empty() || r.timestamp.size() > 12 ||
      r.timestamp.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(r.timestamp, &seconds)) {
    return absl::UnauthenticatedError("timestamp must be Unix seconds");
  }
  const absl::Duration skew = absl::AbsDuration(now - absl::FromUnixSeconds(seconds));
  if (skew > window) {
    return absl::UnauthenticatedError(absl::StrCat("timestamp is more than ",
                                                   absl::ToInt64Seconds(window),
                                                   " s away from the server's clock"));
  }
  if (!IsLowerHex(r.body_sha256, 64)) return absl::UnauthenticatedError("malformed body hash");
  if (!IsLowerHex(r.signature, 64)) {
    return absl::UnauthenticatedError("signature must be 64 lowercase hex characters");
  }
  // The canonical string is read line by line, so neither the method nor the request target
  // may hold a line break: with one, two different requests could sign the same string.
  if (r.method.empty() || r.method.size() > 16 ||
      !std::all_of(r.method.begin(), r.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) ||
      r.path_and_query.empty() || r.path_and_query[0] != '/' ||
      !std::all_of(r.path_and_query.begin(), r.path_and_query.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u != 0x7f;
      })) {
    return absl::UnauthenticatedError("malformed request line");
  }
  return absl::OkStatus();
}

bool SignatureMatches(const SignedRequest& r, const std::string& secret) {
  return common::ConstantTimeEquals(common::HmacSha256Hex(secret, CanonicalString(r)), r.signature);
}

}  // namespace aggpay::merchant
