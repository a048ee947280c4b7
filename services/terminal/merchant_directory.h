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

// The terminal's current collection code, owned by the binding service: how a reset code
// reaches a terminal "by API update" at its next check-in.
class CodeSource {
 public:
  virtual ~CodeSource() = default;
  // The code URL, or empty when the terminal has no code.
  virtual absl::StatusOr<std::string> CurrentCodeUrl(const std::string& terminal_sn) = 0;
};

class GrpcCodeSource final : public CodeSource {
 public:
  GrpcCodeSource(std::shared_ptr<grpc::Channel> binding, std::string internal_secret)
      : binding_(std::move(binding)), internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<std::string> CurrentCodeUrl(const std::string& terminal_sn) override;

 private:
  std::shared_ptr<grpc::Channel> binding_;
  std::string internal_secret_;
};

}  // namespace aggpay::terminal
