// The expiry watch's PEM reader (services/common/crypto/certificate.h) on certificates that
// openssl makes in the test: one expiring in a day, one in 400 days, a key alone, garbage.
#include "services/common/crypto/certificate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace aggpay::common {
namespace {

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aggpay-cert-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A self-signed certificate valid for `days`; its path (the key is next to it).
  std::string MakeCertificate(const std::string& name, int days) {
    const std::string cert = absl::StrCat(dir_, "/", name, ".crt");
    const std::string key = absl::StrCat(dir_, "/", name, ".key");
    const std::string cmd = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ", key,
        " -out ", cert, " -days ", days, " -subj '/O=aggpay/CN=", name, "' 2>/dev/null");
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return cert;
  }

  std::string dir_;
};

TEST_F(CertificateTest, ReadsNotAfterAndSubjectOfCertificatesExpiringInADayAndIn400Days) {
  const absl::Time now = absl::Now();
  for (int days : {1, 400}) {
    auto info = ReadCertificateFile(MakeCertificate(absl::StrCat("svc", days), days));
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->subject, absl::StrCat("CN=svc", days, ",O=aggpay"));
    // openssl starts the validity now; allow a minute for the test's own run.
    EXPECT_LT(absl::AbsDuration(info->not_after - (now + absl::Hours(24 * days))), absl::Minutes(1))
        << days;
    EXPECT_LE(info->not_before, now + absl::Minutes(1));
  }
}

TEST_F(CertificateTest, AKeyAloneAMissingFileAndGarbageAreRefused) {
  MakeCertificate("pair", 30);
  auto key = ReadCertificateFile(dir_ + "/pair.key");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << key.status();
  EXPECT_EQ(ReadCertificateFile(dir_ + "/absent.crt").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aggpay::common
