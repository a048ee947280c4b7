#include "services/common/http/admin_http.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"

namespace aggpay::common {

AdminHttpServer::AdminHttpServer() : server_(std::make_unique<httplib::Server>()) {}

AdminHttpServer::~AdminHttpServer() { Stop(); }

void AdminHttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::unique_ptr<AdminHttpServer>> AdminHttpServer::Start(
    const std::string& host, int port, Metrics& metrics, std::vector<ReadinessCheck> checks) {
  std::unique_ptr<AdminHttpServer> out(new AdminHttpServer());
  httplib::Server& s = *out->server_;
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [checks = std::move(checks)](const httplib::Request&, httplib::Response& res) {
    std::string body;
    bool ready = true;
    for (const auto& c : checks) {
      absl::Status st = c.check();
      ready = ready && st.ok();
      absl::StrAppend(&body, c.name, ": ", st.ok() ? "ok" : std::string(st.message()), "\n");
    }
    res.status = ready ? 200 : 503;
    res.set_content(body, "text/plain");
  });
  s.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.RenderPrometheus(), "text/plain; version=0.0.4");
  });
  if (port == 0) {
    out->port_ = s.bind_to_any_port(host);
  } else {
    out->port_ = s.bind_to_port(host, port) ? port : -1;
  }
  if (out->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", host, ":", port));
  }
  out->thread_ = std::thread([srv = out->server_.get()] { srv->listen_after_bind(); });
  return out;
}

}  // namespace aggpay::common
