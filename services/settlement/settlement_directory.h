#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
}

namespace aggpay::settlement {

// What settlement asks other services, always before it opens a transaction.
class SettlementDirectory {
 public:
  virtual ~SettlementDirectory() = default;
  // The fee plans whose payments settle on `cycle` ("T1" or "D0") (fee service).
  virtual absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) = 0;
  // Merchants frozen now (merchant service).
  virtual absl::StatusOr<std::set<std::string>> FrozenMerchants() = 0;
};

class GrpcSettlementDirectory final : public SettlementDirectory {
 public:
  GrpcSettlementDirectory(std::shared_ptr<grpc::Channel> fee,
                          std::shared_ptr<grpc::Channel> merchant, std::string internal_secret);
  absl::StatusOr<std::vector<std::string>> PlanIds(const std::string& cycle) override;
  absl::StatusOr<std::set<std::string>> FrozenMerchants() override;

 private:
  std::shared_ptr<grpc::Channel> fee_;
  std::shared_ptr<grpc::Channel> merchant_;
  std::string internal_secret_;
};

}  // namespace aggpay::settlement
