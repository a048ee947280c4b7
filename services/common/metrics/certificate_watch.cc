#include "services/common/metrics/certificate_watch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/crypto/certificate.h"

namespace aggpay::common {
namespace {

std::string Label(const std::string& path) {
  return absl::StrReplaceAll(path, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

}  // namespace

CertificateWatch::CertificateWatch(std::vector<std::string> paths, Metrics& metrics,
                                   absl::Duration interval)
    : metrics_(metrics), interval_(interval) {
  for (auto& p : paths) files_.push_back(WatchedCertificate{std::move(p), "", {}, ""});
}

CertificateWatch::~CertificateWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertificateWatch::Start() {
  Refresh();
  if (files_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, absl::ToChronoSeconds(interval_), [this] { return stop_; })) {
      lock.unlock();
      Refresh();
      lock.lock();
    }
  });
}

void CertificateWatch::Refresh() {
  std::vector<std::string> paths;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : files_) paths.push_back(f.path);
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    auto info = ReadCertificateFile(paths[i]);
    const std::string label = Label(paths[i]);
    metrics_.SetGauge(absl::StrCat("certificate_readable{file=\"", label, "\"}"), info.ok());
    std::lock_guard lock(mu_);
    WatchedCertificate& f = files_[i];
    if (!info.ok()) {
      f.error = std::string(info.status().message());
      continue;
    }
    f.error.clear();
    f.subject = info->subject;
    f.not_after = info->not_after;
    metrics_.SetGauge(absl::StrCat("certificate_expiry_timestamp_seconds{file=\"", label, "\"}"),
                      absl::ToUnixSeconds(info->not_after));
  }
}

std::vector<WatchedCertificate> CertificateWatch::Snapshot() const {
  std::lock_guard lock(mu_);
  return files_;
}

}  // namespace aggpay::common
