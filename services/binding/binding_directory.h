#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/sms/otp_sender.h"

namespace grpc {
class Channel;
}

namespace aggpay::binding {

struct MerchantSnapshot {
  std::string merchant_id;
  std::string status;
  std::string display_name;
  std::string contact_phone;
  std::vector<std::pair<std::string, std::string>> sub_merchant_ids;  // channel -> id
};

struct TerminalSnapshot {
  std::string terminal_sn;
  std::string merchant_id;
  std::string store_id;
  std::string status;
  std::vector<std::string> capabilities;
};

// What the binding service needs from the merchant and terminal services, which own them.
class BindingDirectory {
 public:
  virtual ~BindingDirectory() = default;
  virtual absl::StatusOr<MerchantSnapshot> Merchant(const std::string& merchant_id) = 0;
  virtual absl::StatusOr<TerminalSnapshot> Terminal(const std::string& terminal_sn) = 0;
  // OK when the store is the merchant's; NOT_FOUND otherwise.
  virtual absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) = 0;
};

class GrpcBindingDirectory final : public BindingDirectory {
 public:
  GrpcBindingDirectory(std::shared_ptr<grpc::Channel> merchant,
                       std::shared_ptr<grpc::Channel> terminal, std::string internal_secret)
      : merchant_(std::move(merchant)),
        terminal_(std::move(terminal)),
        internal_secret_(std::move(internal_secret)) {}
  absl::StatusOr<MerchantSnapshot> Merchant(const std::string& merchant_id) override;
  absl::StatusOr<TerminalSnapshot> Terminal(const std::string& terminal_sn) override;
  absl::Status CheckStore(const std::string& merchant_id, const std::string& store_id) override;

 private:
  std::shared_ptr<grpc::Channel> merchant_;
  std::shared_ptr<grpc::Channel> terminal_;
  std::string internal_secret_;
};

using common::LogFileOtpSender;
using common::OtpSender;

}  // namespace aggpay::binding
