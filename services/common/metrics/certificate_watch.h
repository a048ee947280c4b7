#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "services/common/metrics/metrics.h"

namespace aggpay::common {

// One watched file as last read.
struct WatchedCertificate {
  std::string path;
  std::string subject;
  absl::Time not_after = absl::InfinitePast();
  // Why the file could not be read ("" when it could); its last good reading is kept.
  std::string error;
};

// Reads each certificate file (expiry.certificate_files; TLS adds its cert and CA files) at
// Start() and every `interval` after, because certificates are rotated on disk without a
// restart, and exports per file:
//   aggpay_certificate_expiry_timestamp_seconds{file="..."}  notAfter, Unix seconds
//   aggpay_certificate_readable{file="..."}                   1, or 0 when the last read failed
// An alert on `expiry - time() < 14d` is the "renew in time" (docs/operations.md). Snapshot()
// is what `aggpayctl admin expiring` reports.
class CertificateWatch {
 public:
  CertificateWatch(std::vector<std::string> paths, Metrics& metrics, absl::Duration interval);
  ~CertificateWatch();
  CertificateWatch(const CertificateWatch&) = delete;
  CertificateWatch& operator=(const CertificateWatch&) = delete;

  // Reads every file now, then again every interval on a thread of its own until destroyed.
  void Start();
  // Reads every file now.
  void Refresh();
  std::vector<WatchedCertificate> Snapshot() const;

 private:
  Metrics& metrics_;
  const absl::Duration interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<WatchedCertificate> files_;
  std::thread thread_;
};

}  // namespace aggpay::common
