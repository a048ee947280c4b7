#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace aggpay::testing {

// The test binary's own CA and one certificate per service identity (CN = identity; see
// tools/lib/servers.sh make-certs), made once per process under SharedServers().dir()/tls.
const std::string& TestTlsDir();
std::string TlsCaFile();
std::string TlsCertFile(const std::string& identity);
std::string TlsKeyFile(const std::string& identity);

// A channel as a caller without a certificate (a terminal, a staff tool, a payer): TLS, the
// server verified against the test CA.
std::shared_ptr<grpc::Channel> TestChannel(const std::string& addr);
// A channel presenting `identity`'s client certificate from `dir` (default: the test CA's).
std::shared_ptr<grpc::Channel> IdentityChannel(const std::string& addr, const std::string& identity,
                                               const std::string& dir = "");

}  // namespace aggpay::testing
