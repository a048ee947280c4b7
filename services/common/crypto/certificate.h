#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aggpay::common {

// What the expiry watch needs of an X.509 certificate.
struct CertificateInfo {
  std::string subject;  // RFC 2253 ("CN=aggpayd,O=aggpay")
  absl::Time not_before;
  absl::Time not_after;
};

// The first certificate in PEM text (a chain file's leaf). INVALID_ARGUMENT when there is none
// or it cannot be parsed; a file holding only a private key has no expiry of its own (its
// certificate's is the pair's) and is refused the same way.
absl::StatusOr<CertificateInfo> ParseCertificatePem(absl::string_view pem);

// The same from a file; NOT_FOUND when it cannot be read.
absl::StatusOr<CertificateInfo> ReadCertificateFile(const std::string& path);

}  // namespace aggpay::common
