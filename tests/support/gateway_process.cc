#include "tests/support/gateway_process.h"

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/crypto/crypto.h"
#include "tests/support/tls_support.h"

namespace aggpay::testing {

GatewayProcess::GatewayProcess(const AggpaydProcess& aggpayd,
                               const std::vector<std::string>& extra_args) {
  const int port = FreePort();
  // HTTPS with the gateway's certificate from the test CA (the clients below trust it).
  url_ = absl::StrCat("https://127.0.0.1:", port);
  const std::string binary = absl::StrCat(BuildDir(), "/services/gateway/aggpay-gateway");
  const std::string listen = absl::StrCat("127.0.0.1:", port);
  const std::string log = absl::StrCat(aggpayd.config_path(), ".gateway.log");
  // Built before fork: the child only execs.
  const std::string grpc_addr = aggpayd.grpc_addr();
  // Mutual TLS to aggpayd with the gateway's certificate, unless aggpayd runs in plaintext.
  const std::string ca = TlsCaFile();
  const std::string cert = TlsCertFile("gateway");
  const std::string key = TlsKeyFile("gateway");
  std::vector<const char*> argv = {binary.c_str(), "--listen", listen.c_str(), "--grpc-addr",
                                   grpc_addr.c_str()};
  for (const char* a : {"--tls-cert", cert.c_str(), "--tls-key", key.c_str()}) argv.push_back(a);
  if (aggpayd.plaintext()) {
    argv.push_back("--plaintext");
  } else {
    for (const char* a :
         {"--grpc-ca", ca.c_str(), "--grpc-cert", cert.c_str(), "--grpc-key", key.c_str()}) {
      argv.push_back(a);
    }
  }
  for (const std::string& a : extra_args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    setenv("AGGPAY_INTERNAL_SECRET", aggpayd.internal_secret().c_str(), 1);
    freopen(log.c_str(), "a", stderr);
    execv(binary.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (HttpGet(absl::StrCat(url_, "/healthz")).first == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error(absl::StrCat("aggpay-gateway did not start; see ", log));
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

HttpResponse PlainRequest(const std::string& base_url, const std::string& method,
                          const std::string& path, const std::string& body,
                          const std::map<std::string, std::string>& headers) {
  // One keep-alive connection per gateway and thread, as a real client keeps one: a fresh TLS
  // handshake per request would make a burst slower than the rate limits it tests.
  static thread_local std::map<std::string, std::unique_ptr<httplib::Client>> clients;
  std::unique_ptr<httplib::Client>& slot = clients[base_url];
  if (slot == nullptr) {
    slot = std::make_unique<httplib::Client>(base_url);
    slot->set_connection_timeout(2, 0);
    slot->set_read_timeout(10, 0);
    slot->set_keep_alive(true);
    if (base_url.rfind("https://", 0) == 0) slot->set_ca_cert_path(TlsCaFile().c_str());
  }
  httplib::Client& client = *slot;
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::Result res{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    res = client.Get(path, h);
  } else if (method == "POST") {
    res = client.Post(path, h, body, "application/json");
  } else if (method == "PUT") {
    res = client.Put(path, h, body, "application/json");
  } else if (method == "DELETE") {
    res = client.Delete(path, h, body, "application/json");
  }
  HttpResponse out;
  if (!res) return out;
  out.status = res->status;
  out.body = res->body;
  for (const auto& [k, v] : res->headers) out.headers[k] = v;
  return out;
}

HttpResponse SignedRequest(const std::string& base_url, const std::string& method,
                           const std::string& path_and_query, const std::string& body,
                           const MerchantKey& key, const SignOptions& o) {
  const std::string timestamp =
      o.timestamp.empty() ? std::to_string(absl::ToUnixSeconds(absl::Now())) : o.timestamp;
  const std::string nonce = o.nonce.empty() ? common::RandomToken(12) : o.nonce;
  const std::string signed_body = o.sign_body_override ? o.signed_body : body;
  const std::string canonical = absl::StrCat(method, "\n", path_and_query, "\n", timestamp, "\n",
                                             nonce, "\n", common::Sha256Hex(signed_body), "\n");
  const std::string signature =
      o.signature.empty() ? common::HmacSha256Hex(key.secret, canonical) : o.signature;
  std::map<std::string, std::string> headers = o.extra_headers;
  headers["Authorization"] =
      absl::StrCat("AGGPAY-HMAC-SHA256 key_id=\"", key.key_id, "\",timestamp=\"", timestamp,
                   "\",nonce=\"", nonce, "\",signature=\"", signature, "\"");
  return PlainRequest(base_url, method, path_and_query, body, headers);
}

}  // namespace aggpay::testing
