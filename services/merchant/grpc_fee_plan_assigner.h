#pragma once

#include <memory>
#include <string>

#include "services/merchant/channel_onboarding.h"

namespace grpc {
class Channel;
}

namespace aggpay::merchant {

// FeeService.AssignPlan over gRPC with the internal credential.
class GrpcFeePlanAssigner final : public FeePlanAssigner {
 public:
  GrpcFeePlanAssigner(std::shared_ptr<grpc::Channel> fee, std::string internal_secret)
      : fee_(std::move(fee)), internal_secret_(std::move(internal_secret)) {}
  absl::Status AssignPlan(const std::string& merchant_id, const std::string& plan_id) override;

 private:
  std::shared_ptr<grpc::Channel> fee_;
  std::string internal_secret_;
};

}  // namespace aggpay::merchant
