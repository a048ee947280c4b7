// TOTP against RFC 6238's published vectors, the one-step window, one use per code; Argon2id
// hashes through libsodium.
#include "services/admin/sign_in_crypto.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace aggpay::admin {
namespace {

// RFC 6238 appendix B: the SHA-1 secret is the ASCII "12345678901234567890"; the RFC lists
// 8-digit codes, whose last 6 digits are the 6-digit codes.
constexpr absl::string_view kRfcSecret = "12345678901234567890";

TEST(TotpTest, MatchesRfc6238Vectors) {
  EXPECT_EQ(TotpCode(kRfcSecret, 59 / 30), "287082");                    // 94287082
  EXPECT_EQ(TotpCode(kRfcSecret, 1111111109 / 30), "081804");            // 07081804
  EXPECT_EQ(TotpCode(kRfcSecret, 1111111111 / 30), "050471");            // 14050471
  EXPECT_EQ(TotpCode(kRfcSecret, 1234567890 / 30), "005924");            // 89005924
  EXPECT_EQ(TotpCode(kRfcSecret, 2000000000 / 30), "279037");            // 69279037
  EXPECT_EQ(TotpCode(kRfcSecret, int64_t{20000000000} / 30), "353130");  // 65353130
}

TEST(TotpTest, AcceptsOneStepEitherSideAndNoFurther) {
  const absl::Time now = absl::FromUnixSeconds(1234567890);
  const int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step), now, 0), step);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step - 1), now, 0), step - 1);
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step + 1), now, 0), step + 1);
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step - 2), now, 0).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step + 2), now, 0).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "12345", now, 0).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "", now, 0).has_value());
}

TEST(TotpTest, ACodeWorksOnce) {
  const absl::Time now = absl::FromUnixSeconds(1234567890);
  const int64_t step = TotpStep(now);
  const std::string code = TotpCode(kRfcSecret, step);
  EXPECT_FALSE(MatchTotp(kRfcSecret, code, now, step).has_value());
  // Nor may an older step's code follow a newer one.
  EXPECT_FALSE(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step - 1), now, step).has_value());
  EXPECT_EQ(MatchTotp(kRfcSecret, TotpCode(kRfcSecret, step + 1), now, step), step + 1);
}

TEST(TotpTest, UriCarriesBase32SecretAndEscapedLabel) {
  EXPECT_EQ(Base32Encode("12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(Base32Encode("f"), "MY");
  EXPECT_EQ(Base32Encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(TotpUri("aggpay test", "alice", kRfcSecret),
            "otpauth://totp/aggpay%20test:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=aggpay%20test&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(NewTotpSecret().size(), 20u);
  EXPECT_NE(NewTotpSecret(), NewTotpSecret());
}

TEST(PasswordTest, Argon2idHashVerifiesOnlyTheSamePassword) {
  auto hash = HashPassword("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(absl::StartsWith(*hash, "$argon2id$")) << *hash;
  EXPECT_TRUE(VerifyPassword("correct horse battery", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse batterY", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery", ""));
  auto again = HashPassword("correct horse battery");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);  // salted
}

}  // namespace
}  // namespace aggpay::admin
