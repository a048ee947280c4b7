#pragma once

#include <string>

#include "absl/status/status.h"

namespace aggpay::common {

// Sends one-time passwords to a merchant's registered phone (code resets, settlement account
// changes).
class OtpSender {
 public:
  virtual ~OtpSender() = default;
  virtual absl::Status Send(const std::string& phone, const std::string& message) = 0;
};

// Appends each message as a line "<time> <phone> <message>" to a file: the local stack's SMS
// gateway, which tests read.
class LogFileOtpSender final : public OtpSender {
 public:
  explicit LogFileOtpSender(std::string path) : path_(std::move(path)) {}
  absl::Status Send(const std::string& phone, const std::string& message) override;

 private:
  std::string path_;
};

}  // namespace aggpay::common
