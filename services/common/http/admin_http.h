#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace aggpay::common {

// A named readiness check: /readyz is 200 only when every check passes.
struct ReadinessCheck {
  std::string name;
  std::function<absl::Status()> check;
};

// The operator's HTTP port: /healthz (the process is alive), /readyz (its dependencies answer)
// and /metrics (Prometheus text).
class AdminHttpServer {
 public:
  static absl::StatusOr<std::unique_ptr<AdminHttpServer>> Start(const std::string& host, int port,
                                                                Metrics& metrics,
                                                                std::vector<ReadinessCheck> checks);
  ~AdminHttpServer();
  int port() const { return port_; }
  void Stop();

 private:
  AdminHttpServer();
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace aggpay::common
