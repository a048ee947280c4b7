#include "tests/support/tls_support.h"

#include <grpcpp/create_channel.h>

#include <mutex>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "services/common/grpc/tls.h"
#include "tests/support/test_servers.h"

namespace aggpay::testing {

const std::string& TestTlsDir() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    dir = absl::StrCat(SharedServers().dir(), "/tls");
    CommandResult r = RunCommand(
        absl::StrCat("bash ", SourceDir(), "/tools/lib/servers.sh ", "make-certs ", dir, " 2>&1"));
    if (r.exit_code != 0) throw std::runtime_error("make-certs failed: " + r.out);
  });
  return dir;
}

std::string TlsCaFile() { return absl::StrCat(TestTlsDir(), "/ca.pem"); }
std::string TlsCertFile(const std::string& identity) {
  return absl::StrCat(TestTlsDir(), "/", identity, ".pem");
}
std::string TlsKeyFile(const std::string& identity) {
  return absl::StrCat(TestTlsDir(), "/", identity, ".key");
}

std::shared_ptr<grpc::Channel> TestChannel(const std::string& addr) {
  auto creds = common::ServerAuthChannelCredentials(TlsCaFile());
  if (!creds.ok()) throw std::runtime_error(std::string(creds.status().message()));
  return grpc::CreateChannel(addr, *creds);
}

std::shared_ptr<grpc::Channel> IdentityChannel(const std::string& addr, const std::string& identity,
                                               const std::string& dir) {
  const std::string d = dir.empty() ? TestTlsDir() : dir;
  common::TlsOptions tls;
  tls.cert_file = absl::StrCat(d, "/", identity, ".pem");
  tls.key_file = absl::StrCat(d, "/", identity, ".key");
  tls.ca_file = TlsCaFile();
  return grpc::CreateChannel(addr, common::PeerChannelCredentials(tls));
}

}  // namespace aggpay::testing
