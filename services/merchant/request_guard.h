#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace aggpay::merchant {

// Replay and rate protection for signed merchant requests.
class RequestGuard {
 public:
  virtual ~RequestGuard() = default;
  // Records the nonce for the key; UNAUTHENTICATED when it was already used.
  virtual absl::Status ConsumeNonce(const std::string& key_id, const std::string& nonce) = 0;
  // Takes one token from the key's bucket; RESOURCE_EXHAUSTED carrying the wait when empty.
  // Returns the wait (zero when allowed).
  virtual absl::StatusOr<absl::Duration> TakeToken(const std::string& key_id) = 0;
};

}  // namespace aggpay::merchant
