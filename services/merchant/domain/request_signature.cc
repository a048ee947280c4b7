#include "services/merchant/domain/request_signature.h"

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
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(r.timestamp, &seconds)) {
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
  if (r.method.empty() || r.path_and_query.empty() || r.path_and_query[0] != '/') {
    return absl::UnauthenticatedError("malformed request line");
  }
  return absl::OkStatus();
}

bool SignatureMatches(const SignedRequest& r, const std::string& secret) {
  return common::ConstantTimeEquals(common::HmacSha256Hex(secret, CanonicalString(r)), r.signature);
}

}  // namespace aggpay::merchant
