#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace aggpay::merchant {

// One signed merchant request, as the gateway saw it.
struct SignedRequest {
  std::string key_id;
  std::string timestamp;  // Unix seconds, as sent
  std::string nonce;
  std::string signature;  // lowercase hex HMAC-SHA256
  std::string method;
  std::string path_and_query;
  std::string body_sha256;  // lowercase hex
};

// "METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nBODY_SHA256\n": the string the merchant signs
// (WeChat Pay v3's layout, with HMAC-SHA256 in place of RSA).
std::string CanonicalString(const SignedRequest& request);

// Checks the shape of every field and the timestamp window; UNAUTHENTICATED with a message for
// the merchant otherwise. Nonces: 8 to 64 of [A-Za-z0-9_-]; the timestamp 1 to 12 decimal
// digits; the method 1 to 16 of [A-Z]; the path and query from "/" on, with no space or control
// character. So no signed value holds a line break, and the canonical string reads one way only.
absl::Status CheckRequestShape(const SignedRequest& request, absl::Time now, absl::Duration window);

// Whether `signature` is the HMAC of the canonical string under `secret` (constant time).
bool SignatureMatches(const SignedRequest& request, const std::string& secret);

}  // namespace aggpay::merchant
