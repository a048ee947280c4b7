#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class AuthContext;
}

namespace aggpay::common {

// How a gRPC listener and its outgoing calls to peers are secured (aggpayd's `tls:` section).
//  - mtls (the default): the listener serves TLS with cert_file/key_file, asks every client for
//    a certificate and verifies one that is sent against ca_file; calls to peers present the
//    same certificate. Callers with no certificate (terminals, staff tools, the gateway's
//    public calls) still connect. The files are re-read every reload_interval, so replacing
//    them on disk rotates the certificate without a restart.
//  - plaintext: no TLS at all, and the shared AGGPAY_INTERNAL_SECRET is the services'
//    credential. For development only.
struct TlsOptions {
  enum class Mode { kMtls, kPlaintext };
  Mode mode = Mode::kMtls;
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  absl::Duration reload_interval = absl::Seconds(60);

  bool plaintext() const { return mode == Mode::kPlaintext; }
};

// The service identity of a client certificate: its subject's common name (CN). Only SAN DNS
// names are not consulted: the CN is the identity (docs/security.md "Service identities").
inline constexpr absl::string_view kPeerIdentityProperty = "x509_common_name";

// INVALID_ARGUMENT naming tls.* when mode is mtls and a file is missing or unreadable.
absl::Status CheckTlsFiles(const TlsOptions& options);

// The listener's credentials: insecure in plaintext mode, otherwise TLS from a file watcher
// with client certificates requested and verified when sent.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const TlsOptions& options);

// Credentials for calls to another aggpay process: insecure in plaintext mode, otherwise TLS
// verifying the server against ca_file and presenting cert_file/key_file (both reloaded).
std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const TlsOptions& options);

// Credentials of a client without a certificate (terminals, aggpayctl, tests): TLS verifying
// the server against the CA bundle in `ca_file`. NOT_FOUND naming the file when unreadable.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ServerAuthChannelCredentials(
    const std::string& ca_file);

// The verified client certificate's identity (CN) of a call, or "" when the client sent none.
std::string PeerIdentity(const grpc::AuthContext* auth);

}  // namespace aggpay::common
