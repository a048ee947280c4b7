#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace aggpay::merchant {

// Replay and rate protection for signed merchant requests.
class RequestGuard {
 public:
  virtual ~RequestGuard() = default;
  // Records the nonce for the key; UNAUTHENTICATED when it was already used, or when the
  // request was signed (`signed_at`, Unix seconds) before the nonce store's memory began (it
  // restarted and lost the nonces a replay would be checked against). `mutating`: the request
  // changes something (its HTTP method is not GET or HEAD), which decides how it fails when the
  // nonce store is down.
  virtual absl::Status ConsumeNonce(const std::string& key_id, const std::string& nonce,
                                    int64_t signed_at, bool mutating) = 0;
  // Takes one token from the key's bucket; RESOURCE_EXHAUSTED carrying the wait when empty.
  // Returns the wait (zero when allowed).
  virtual absl::StatusOr<absl::Duration> TakeToken(const std::string& key_id, bool mutating) = 0;
  // Both, in that order: the nonce is recorded, then (only when it was fresh) a token is taken.
  // An implementation may do both in one round trip.
  virtual absl::StatusOr<absl::Duration> Admit(const std::string& key_id, const std::string& nonce,
                                               int64_t signed_at, bool mutating) {
    if (absl::Status s = ConsumeNonce(key_id, nonce, signed_at, mutating); !s.ok()) return s;
    return TakeToken(key_id, mutating);
  }
};

}  // namespace aggpay::merchant
