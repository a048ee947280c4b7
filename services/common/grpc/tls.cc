#include "services/common/grpc/tls.h"

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace aggpay::common {
namespace {

unsigned int RefreshSeconds(const TlsOptions& options) {
  const int64_t s = absl::ToInt64Seconds(options.reload_interval);
  return static_cast<unsigned int>(s < 1 ? 1 : s);
}

std::shared_ptr<grpc::experimental::FileWatcherCertificateProvider> Provider(
    const TlsOptions& options) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      options.key_file, options.cert_file, options.ca_file, RefreshSeconds(options));
}

absl::Status Readable(const std::string& key, const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key,
                     ": required with tls.mode mtls (or set tls.mode: plaintext for "
                     "development)"));
  }
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(key, ": cannot read ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsOptions& options) {
  if (options.plaintext()) return absl::OkStatus();
  if (absl::Status s = Readable("tls.cert_file", options.cert_file); !s.ok()) return s;
  if (absl::Status s = Readable("tls.key_file", options.key_file); !s.ok()) return s;
  return Readable("tls.ca_file", options.ca_file);
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const TlsOptions& options) {
  if (options.plaintext()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions tls(Provider(options));
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  // Terminals, staff tools and payers have no certificate; a certificate that is sent must chain
  // to the CA, or the handshake fails.
  tls.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(tls);
}

std::shared_ptr<grpc::ChannelCredentials> PeerChannelCredentials(const TlsOptions& options) {
  if (options.plaintext()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(Provider(options));
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(true);
  return grpc::experimental::TlsCredentials(tls);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ServerAuthChannelCredentials(
    const std::string& ca_file) {
  std::ifstream in(ca_file);
  if (ca_file.empty() || !in) {
    return absl::NotFoundError(absl::StrCat("CA file: cannot read \"", ca_file, "\""));
  }
  std::stringstream pem;
  pem << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem.str();
  return grpc::SslCredentials(ssl);
}

std::string PeerIdentity(const grpc::AuthContext* auth) {
  if (auth == nullptr) return "";
  const auto values = auth->FindPropertyValues(std::string(kPeerIdentityProperty));
  if (values.size() != 1) return "";
  return std::string(values[0].data(), values[0].size());
}

}  // namespace aggpay::common
