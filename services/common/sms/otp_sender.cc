#include "services/common/sms/otp_sender.h"

#include <fstream>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aggpay::common {

absl::Status LogFileOtpSender::Send(const std::string& phone, const std::string& message) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::ofstream out(path_, std::ios::app);
  if (!out) return absl::UnavailableError("the SMS log cannot be written");
  out << absl::FormatTime(absl::Now()) << " " << phone << " " << message << "\n";
  return absl::OkStatus();
}

}  // namespace aggpay::common
