#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "aggpay/v1/admin.pb.h"
#include "services/common/clock/clock.h"
#include "services/common/metrics/certificate_watch.h"

namespace aggpay::admin {

struct ExpiryOptions {
  // An API key or webhook secret is due for rotation this long after it was made.
  absl::Duration rotation_age = absl::Hours(24 * 90);
  // A terminal key stops working this long after the terminal's last check-in
  // (terminal.check_in_grace).
  absl::Duration terminal_check_in_grace = absl::Hours(24 * 7);
};

// What expires soon, for ListExpiring. Certificates come from the watch; keys and secrets from
// the services that own them, over their RPCs (merchant: ListAgedApiKeys, payment:
// ListAgedWebhookSecrets, terminal: ListTerminals by last check-in), never from their tables.
// Each part is at most one page (500) of its owner's answer, oldest first. A part whose owner
// cannot be reached is named in `errors` and the rest is still answered.
class ExpiryReport {
 public:
  ExpiryReport(const common::CertificateWatch* certificates,
               std::shared_ptr<grpc::Channel> merchant, std::shared_ptr<grpc::Channel> payment,
               std::shared_ptr<grpc::Channel> terminal, std::string internal_secret,
               const common::Clock& clock, ExpiryOptions options);

  // Everything expiring before now + `within` (already expired included), soonest first.
  aggpay::v1::ListExpiringResponse List(absl::Duration within) const;

 private:
  const common::CertificateWatch* certificates_;
  std::shared_ptr<grpc::Channel> merchant_;
  std::shared_ptr<grpc::Channel> payment_;
  std::shared_ptr<grpc::Channel> terminal_;
  std::string internal_secret_;
  const common::Clock& clock_;
  ExpiryOptions options_;
};

}  // namespace aggpay::admin
