#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "aggpay/v1/options.pb.h"
#include "services/common/grpc/principal.h"

namespace google::protobuf {
class ServiceDescriptor;
}

namespace aggpay::common {

// The access policy of every hosted RPC, read once from the `(aggpay.v1.access)` option of each
// method in the service descriptors. A method without the option is a start-up error.
class AccessPolicies {
 public:
  static absl::StatusOr<AccessPolicies> FromServices(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  // nullptr for a method nobody registered (the interceptor then refuses the call), except the
  // standard health and reflection services, which are public.
  const aggpay::v1::AccessPolicy* Find(absl::string_view full_method) const;

 private:
  std::unordered_map<std::string, aggpay::v1::AccessPolicy> policies_;
  aggpay::v1::AccessPolicy public_;
};

// The identities a method's `callers` may name (client certificate CNs). "monolith" is not
// among them: it may call whatever any service but the gateway may.
const std::vector<std::string>& ServiceIdentities();
// Whether the service `identity` is among the method's callers.
bool CallerAllowed(const aggpay::v1::AccessPolicy& policy, absl::string_view identity);

// Whether `principal` may call a method with `policy`. OK or PERMISSION_DENIED/UNAUTHENTICATED
// with a message for the caller.
absl::Status Authorize(const aggpay::v1::AccessPolicy& policy, const Principal& principal);

}  // namespace aggpay::common
