#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/aggpayd_process.h"

namespace aggpay::testing {

// The REST gateway (aggpay-gateway) as a process in front of an aggpayd.
class GatewayProcess {
 public:
  // `extra_args` are more flags for aggpay-gateway ("--public-rate", "100").
  explicit GatewayProcess(const AggpaydProcess& aggpayd,
                          const std::vector<std::string>& extra_args = {});
  ~GatewayProcess();
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  pid_t pid_ = -1;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

// A merchant's API credentials, and requests signed with them the way docs/api.md says.
struct MerchantKey {
  std::string key_id;
  std::string secret;
};

struct SignOptions {
  // Override any signed part to forge a request.
  std::string timestamp;
  std::string nonce;
  std::string signature;
  // Sign this body but send `body`.
  std::string signed_body;
  bool sign_body_override = false;
  std::map<std::string, std::string> extra_headers;
};

HttpResponse SignedRequest(const std::string& base_url, const std::string& method,
                           const std::string& path_and_query, const std::string& body,
                           const MerchantKey& key, const SignOptions& options = {});
HttpResponse PlainRequest(const std::string& base_url, const std::string& method,
                          const std::string& path, const std::string& body,
                          const std::map<std::string, std::string>& headers = {});

}  // namespace aggpay::testing
