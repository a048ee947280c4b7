#include "services/common/grpc/access_policy.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace aggpay::common {

absl::StatusOr<AccessPolicies> AccessPolicies::FromServices(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  AccessPolicies out;
  out.public_.set_public_(true);
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      if (!method->options().HasExtension(aggpay::v1::access)) {
        return absl::InternalError(
            absl::StrCat(method->full_name(), " has no (aggpay.v1.access) option"));
      }
      const auto& policy = method->options().GetExtension(aggpay::v1::access);
      if (policy.internal() && policy.callers_size() == 0) {
        return absl::InternalError(absl::StrCat(
            method->full_name(), " is internal but lists no callers in (aggpay.v1.access)"));
      }
      for (const std::string& caller : policy.callers()) {
        const auto& known = ServiceIdentities();
        if (std::find(known.begin(), known.end(), caller) == known.end()) {
          return absl::InternalError(
              absl::StrCat(method->full_name(), ": unknown caller \"", caller, "\""));
        }
      }
      out.policies_[absl::StrCat("/", service->full_name(), "/", method->name())] = policy;
    }
  }
  return out;
}

const aggpay::v1::AccessPolicy* AccessPolicies::Find(absl::string_view full_method) const {
  auto it = policies_.find(std::string(full_method));
  if (it != policies_.end()) return &it->second;
  if (absl::StartsWith(full_method, "/grpc.health.v1.Health/") ||
      absl::StartsWith(full_method, "/grpc.reflection.")) {
    return &public_;
  }
  return nullptr;
}

const std::vector<std::string>& ServiceIdentities() {
  static const std::vector<std::string> kIdentities = {
      "gateway", "admin",   "merchant", "terminal",   "binding",
      "fee",     "payment", "risk",     "settlement", "settle"};
  return kIdentities;
}

bool CallerAllowed(const aggpay::v1::AccessPolicy& policy, absl::string_view identity) {
  if (identity == kSharedSecretIdentity) return true;
  for (const std::string& caller : policy.callers()) {
    if (caller == identity) return true;
    if (identity == kMonolithIdentity && caller != kGatewayIdentity) return true;
  }
  return false;
}

absl::Status Authorize(const aggpay::v1::AccessPolicy& policy, const Principal& p) {
  if (policy.public_()) return absl::OkStatus();
  switch (p.kind) {
    case Principal::Kind::kAnonymous:
      return absl::UnauthenticatedError(
          "missing credential: send \"authorization: Bearer <staff token>\"");
    case Principal::Kind::kService:
      if (policy.internal() && CallerAllowed(policy, p.id)) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat("service \"", p.id, "\" may not call this method"));
    case Principal::Kind::kMerchant:
      if (policy.merchant()) return absl::OkStatus();
      break;
    case Principal::Kind::kTerminal:
      if (policy.terminal()) return absl::OkStatus();
      break;
    case Principal::Kind::kStaff: {
      // Methods no staff role is listed on (internal or merchant-only) are closed to staff,
      // admins included.
      if (policy.roles_size() == 0) break;
      if (p.role == "admin") return absl::OkStatus();
      const auto& roles = policy.roles();
      if (std::find(roles.begin(), roles.end(), p.role) != roles.end()) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat("role \"", p.role, "\" may not call this method"));
    }
  }
  return absl::PermissionDeniedError(absl::StrCat("a ", p.KindName(), " may not call this method"));
}

}  // namespace aggpay::common
