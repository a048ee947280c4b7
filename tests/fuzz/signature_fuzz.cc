// The merchant request signature (services/merchant/domain/request_signature): the canonical
// string's layout, that a request passing the shape check has exactly one reading of its
// canonical string (so that one signature never covers two different requests), and that the
// HMAC check accepts the right signature and nothing else. The Authorization header itself is
// parsed by the gateway, in Go: services/gateway/auth_fuzz_test.go.
//
// Input, one field a line, each a C string literal's contents (tests/fuzz/fuzz_input.h):
// key_id, timestamp, nonce, signature, method, path_and_query, body_sha256, secret.

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/common/crypto/crypto.h"
#include "services/merchant/domain/request_signature.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using aggpay::merchant::SignedRequest;

// docs/api.md's worked example is signed at 1717228800; the window is the default 300 s.
const absl::Time kNow = absl::FromUnixSeconds(1717228800);
const absl::Duration kWindow = absl::Seconds(300);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> f =
      aggpay::fuzz::EscapedFields(aggpay::fuzz::AsText(data, size), 8);
  SignedRequest r{.key_id = f[0],
                  .timestamp = f[1],
                  .nonce = f[2],
                  .signature = f[3],
                  .method = f[4],
                  .path_and_query = f[5],
                  .body_sha256 = f[6]};
  const std::string& secret = f[7];

  const std::string canonical = aggpay::merchant::CanonicalString(r);
  FUZZ_CHECK(canonical == absl::StrCat(r.method, "\n", r.path_and_query, "\n", r.timestamp, "\n",
                                       r.nonce, "\n", r.body_sha256, "\n"),
             canonical);

  const absl::Status shape = aggpay::merchant::CheckRequestShape(r, kNow, kWindow);
  if (!shape.ok()) {
    FUZZ_CHECK(shape.code() == absl::StatusCode::kUnauthenticated, shape.ToString());
    FUZZ_CHECK(!shape.message().empty(), "an error with no message for the merchant");
  } else {
    // One reading only: the five signed values come back out of the canonical string, so no
    // other request that passes the shape check signs the same bytes.
    std::vector<std::string> lines = absl::StrSplit(canonical, '\n');
    FUZZ_CHECK(lines.size() == 6 && lines[5].empty(),
               absl::StrCat("a request passing the shape check signs ", lines.size() - 1,
                            " lines: \"", absl::CEscape(canonical), "\""));
    FUZZ_CHECK(lines[0] == r.method && lines[1] == r.path_and_query && lines[2] == r.timestamp &&
                   lines[3] == r.nonce && lines[4] == r.body_sha256,
               absl::CEscape(canonical));
    // The timestamp is read one way only: plain decimal digits (a sign or spaces would let two
    // spellings of one instant sign differently but check the same).
    for (char c : r.timestamp) {
      FUZZ_CHECK(c >= '0' && c <= '9', absl::StrCat("timestamp \"", absl::CEscape(r.timestamp),
                                                    "\" passed the shape check"));
    }
    int64_t seconds = 0;
    FUZZ_CHECK(absl::SimpleAtoi(r.timestamp, &seconds), r.timestamp);
    FUZZ_CHECK(absl::AbsDuration(kNow - absl::FromUnixSeconds(seconds)) <= kWindow, r.timestamp);
  }

  // The HMAC check: the right signature matches, the given one only if it is the right one, and
  // one changed character never does.
  const std::string right = aggpay::common::HmacSha256Hex(secret, canonical);
  SignedRequest good = r;
  good.signature = right;
  FUZZ_CHECK(aggpay::merchant::SignatureMatches(good, secret), right);
  FUZZ_CHECK(aggpay::merchant::SignatureMatches(r, secret) == (r.signature == right), r.signature);
  SignedRequest bad = good;
  bad.signature[size % bad.signature.size()] ^= 1;
  FUZZ_CHECK(!aggpay::merchant::SignatureMatches(bad, secret), bad.signature);
  return 0;
}
