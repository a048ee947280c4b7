#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
}

namespace aggpay::terminal {

struct MerchantInfo {
  std::string merchant_id;
  std::string status;
  std::string time_zone;
};

// What the terminal service needs to know of merchants; the merchant service owns them.
class MerchantDirectory {
 public:
  virtual ~MerchantDirectory() = default;
  // NOT_FOUND when there is no such merchant.
  virtual absl::StatusOr<MerchantInfo> GetMerchant(const std::string& merchant_id) = 0;
  // NOT_FOUND naming store_id unless the store belongs to the merchant.
  virtual absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) = 0;
};

// MerchantService over gRPC with the internal credential.
class GrpcMerchantDirectory final : public MerchantDirectory {
 public:
  GrpcMerchantDirectory(std::shared_ptr<grpc::Channel> merchant, std::string internal_secret)
      : merchant_(std::move(merchant)), internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<MerchantInfo> GetMerchant(const std::string& merchant_id) override;
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override;

 private:
  std::shared_ptr<grpc::Channel> merchant_;
  std::string internal_secret_;
};

}  // namespace aggpay::terminal
