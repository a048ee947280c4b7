#pragma once

#include <memory>
#include <string>

#include "services/merchant/channel_onboarding.h"

namespace grpc {
class Channel;
}

namespace aggpay::merchant {

// BindingService.SetMerchantCollection over gRPC with the internal credential.
class GrpcCollectionControl final : public CollectionControl {
 public:
  GrpcCollectionControl(std::shared_ptr<grpc::Channel> binding, std::string internal_secret)
      : binding_(std::move(binding)), internal_secret_(std::move(internal_secret)) {}
  absl::Status SetCollection(const std::string& merchant_id, const std::string& status,
                             const std::string& reason) override;

 private:
  std::shared_ptr<grpc::Channel> binding_;
  std::string internal_secret_;
};

// RiskService.ListFreezes over gRPC with the internal credential.
class GrpcRiskHolds final : public RiskHolds {
 public:
  GrpcRiskHolds(std::shared_ptr<grpc::Channel> risk, std::string internal_secret)
      : risk_(std::move(risk)), internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<bool> TransactionFrozen(const std::string& merchant_id) override;

 private:
  std::shared_ptr<grpc::Channel> risk_;
  std::string internal_secret_;
};

}  // namespace aggpay::merchant
