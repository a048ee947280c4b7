#include "services/merchant/domain/request_signature.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace aggpay::merchant {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1717228800);
const absl::Duration kWindow = absl::Seconds(300);
constexpr char kSecret[] = "sk_test_4f9c2a7e1b3d5f60a8c9e2b4d6f81357";

// docs/api.md's worked example.
SignedRequest DocsExample() {
  return SignedRequest{
      .key_id = "ak_demo_0001",
      .timestamp = "1717228800",
      .nonce = "9f86d081884c7d659a2feaa0c55ad015",
      .signature = "24848c3fd44041706ada74570543da73b43dc2d6c804934b79e2f5392cf8ddac",
      .method = "POST",
      .path_and_query = "/v1/fees/quote",
      .body_sha256 = "ad2ab1cdd14fcfd193f60b18b60220909be976de67e3e7bc6e3672fa6d0ba396"};
}

TEST(RequestSignatureTest, TheDocumentedExampleChecksOut) {
  const SignedRequest r = DocsExample();
  EXPECT_EQ(CanonicalString(r),
            "POST\n/v1/fees/quote\n1717228800\n9f86d081884c7d659a2feaa0c55ad015\n"
            "ad2ab1cdd14fcfd193f60b18b60220909be976de67e3e7bc6e3672fa6d0ba396\n");
  EXPECT_TRUE(CheckRequestShape(r, kNow, kWindow).ok());
  EXPECT_TRUE(SignatureMatches(r, kSecret));
  SignedRequest late = r;
  EXPECT_EQ(CheckRequestShape(late, kNow + absl::Seconds(301), kWindow).code(),
            absl::StatusCode::kUnauthenticated);
}

// Found by fuzzing (tests/fuzz/regressions/signature): a method or target holding a line break
// passed, so (method "GET\n/a", target "/b") and (method "GET", target "/a\n/b") signed the same
// canonical string.
TEST(RequestSignatureTest, NoSignedValueHoldsALineBreak) {
  const auto refused = [](SignedRequest r) {
    return CheckRequestShape(r, kNow, kWindow).code() == absl::StatusCode::kUnauthenticated;
  };
  SignedRequest r = DocsExample();
  r.method = "\nPOST";
  EXPECT_TRUE(refused(r));
  r.method = "POST\n/v1";
  EXPECT_TRUE(refused(r));
  r.method = "post";
  EXPECT_TRUE(refused(r));
  r = DocsExample();
  r.path_and_query = "/v1/fees\n/quote";
  EXPECT_TRUE(refused(r));
  r.path_and_query = "/v1/fees quote";
  EXPECT_TRUE(refused(r));
  r.path_and_query = "/v1/fees\x7f";
  EXPECT_TRUE(refused(r));
  // The timestamp: digits only, one spelling (SimpleAtoi alone took a sign and whitespace).
  for (const char* ts : {"+1717228800", " 1717228800", "1717228800\n", "\n1717228800", "1e9", ""}) {
    r = DocsExample();
    r.timestamp = ts;
    EXPECT_TRUE(refused(r)) << ts;
  }
  // Percent-encoded and non-ASCII bytes in the target are the merchant's to sign as sent.
  r = DocsExample();
  r.path_and_query = "/v1/merchant/stores?name=%E5%8C%85\xE5\xAD\x90";
  EXPECT_TRUE(CheckRequestShape(r, kNow, kWindow).ok());
}

}  // namespace
}  // namespace aggpay::merchant
