// What a terminal sends (services/terminal/domain): the signed check-in's timestamp, nonce, body
// hash and signature (VerifyTerminalSignature), its client version, a typed activation code, and
// the serial, device id and vendor of a registration. Each parser is held to its documented
// grammar and to round trips; a request that verifies has one reading of its canonical string.
//
// Input, one field a line, each a C string literal's contents (tests/fuzz/fuzz_input.h):
// method, terminal_sn, timestamp, nonce, body_sha256, signature, client_version,
// activation_code, device_id, vendor, secret.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/common/status/field_errors.h"
#include "services/terminal/domain/activation.h"
#include "services/terminal/domain/client_version.h"
#include "services/terminal/domain/terminal.h"
#include "services/terminal/domain/terminal_key.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace t = aggpay::terminal;

const absl::Duration kWindow = t::kDefaultSignatureWindow;

bool AllOf(absl::string_view s, absl::string_view alphabet) {
  return s.find_first_not_of(alphabet) == absl::string_view::npos;
}
constexpr absl::string_view kIdChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

void CheckSignature(const std::vector<std::string>& f) {
  const std::string& method = f[0];
  const std::string& sn = f[1];
  const std::string& timestamp = f[2];
  const std::string& nonce = f[3];
  const std::string& body = f[4];
  const std::string& signature = f[5];
  const std::string& secret = f[10];

  absl::StatusOr<int64_t> seconds = t::ParseTerminalTimestamp(timestamp);
  const bool digits =
      !timestamp.empty() && timestamp.size() <= 12 && AllOf(timestamp, "0123456789");
  FUZZ_CHECK(seconds.ok() == digits, absl::CEscape(timestamp));
  if (seconds.ok()) {
    int64_t want = 0;
    for (char c : timestamp) want = want * 10 + (c - '0');
    FUZZ_CHECK(*seconds == want, timestamp);
  } else {
    FUZZ_CHECK(seconds.status().code() == absl::StatusCode::kUnauthenticated,
               seconds.status().ToString());
  }
  // The terminal service checks the serial (terminal_sn) before the signature; the method name
  // is the RPC's, chosen by the server.
  if (!t::ValidateSerial(sn, "terminal_sn").ok() || !AllOf(method, kIdChars) || method.empty()) {
    return;
  }
  const absl::Time now = seconds.ok() ? absl::FromUnixSeconds(*seconds) : absl::UnixEpoch();
  const std::string right = t::SignTerminalRequest(secret, method, sn, timestamp, nonce, body);
  const absl::Status with_right =
      t::VerifyTerminalSignature(secret, right, method, sn, timestamp, nonce, body, now, kWindow);
  const bool shape_ok = seconds.ok() && nonce.size() >= 8 && nonce.size() <= 64 &&
                        AllOf(nonce, kIdChars) && body.size() == 64 &&
                        AllOf(body, "0123456789abcdef");
  FUZZ_CHECK(with_right.ok() == shape_ok, with_right.ToString());
  if (with_right.ok()) {
    const std::string canonical = t::TerminalCanonicalString(method, sn, timestamp, nonce, body);
    std::vector<std::string> lines = absl::StrSplit(canonical, '\n');
    FUZZ_CHECK(lines.size() == 6 && lines[5].empty() && lines[1] == sn && lines[2] == timestamp &&
                   lines[3] == nonce && lines[4] == body,
               absl::CEscape(canonical));
    // Out of the window either way: refused.
    FUZZ_CHECK(!t::VerifyTerminalSignature(secret, right, method, sn, timestamp, nonce, body,
                                           now + kWindow + absl::Seconds(1), kWindow)
                    .ok(),
               "a signature more than the window old was accepted");
  } else {
    FUZZ_CHECK(with_right.code() == absl::StatusCode::kUnauthenticated, with_right.ToString());
  }
  const absl::Status with_given = t::VerifyTerminalSignature(secret, signature, method, sn,
                                                             timestamp, nonce, body, now, kWindow);
  FUZZ_CHECK(with_given.ok() == (with_right.ok() && signature == right), with_given.ToString());
}

void CheckClientVersion(const std::string& text) {
  absl::StatusOr<t::ClientVersion> v = t::ParseClientVersion(text);
  if (!v.ok()) {
    FUZZ_CHECK(v.status().code() == absl::StatusCode::kInvalidArgument, v.status().ToString());
    FUZZ_CHECK(aggpay::common::ErrorField(v.status()) == "client_version", v.status().ToString());
    return;
  }
  // One spelling per version: the three-part form parses back to the same version, and the
  // input was that form with trailing ".0" parts left out.
  const std::string canonical = t::ToString(*v);
  absl::StatusOr<t::ClientVersion> again = t::ParseClientVersion(canonical);
  FUZZ_CHECK(again.ok() && t::ToString(*again) == canonical, canonical);
  FUZZ_CHECK(absl::StartsWith(canonical, text), absl::StrCat(text, " -> ", canonical));
  FUZZ_CHECK(v->major >= 0 && v->minor >= 0 && v->patch >= 0 && v->major <= 99999 &&
                 v->minor <= 99999 && v->patch <= 99999,
             canonical);
  const t::ClientVersion next{v->major, v->minor, v->patch + 1};
  if (next.patch <= 99999) FUZZ_CHECK(t::VersionRank(next) > t::VersionRank(*v), canonical);
}

void CheckActivationCode(const std::string& typed) {
  const std::string code = t::NormalizeActivationCode(typed);
  FUZZ_CHECK(t::NormalizeActivationCode(code) == code, code);
  const absl::Status format = t::ValidateActivationCodeFormat(code);
  FUZZ_CHECK(format.ok() == (code.size() == t::kActivationCodeLength &&
                             AllOf(code, t::kActivationCodeAlphabet)),
             absl::StrCat(absl::CEscape(code), ": ", format.ToString()));
}

void CheckRegistration(const std::string& serial, const std::string& device,
                       const std::string& vendor) {
  FUZZ_CHECK(t::ValidateSerial(serial).ok() ==
                 (serial.size() >= 4 && serial.size() <= 64 && AllOf(serial, kIdChars)),
             absl::CEscape(serial));
  FUZZ_CHECK(t::ValidateDeviceId(device).ok() ==
                 (device.size() >= 8 && device.size() <= 128 && AllOf(device, kIdChars)),
             absl::CEscape(device));
  const absl::Status v = t::ValidateVendor(vendor);
  if (v.ok()) {
    FUZZ_CHECK(!vendor.empty() &&
                   std::count_if(vendor.begin(), vendor.end(),
                                 [](char c) {
                                   return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                                 }) <= 64 &&
                   vendor.front() != ' ' && vendor.back() != ' ',
               absl::CEscape(vendor));
    for (char c : vendor) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u != 0x7f, absl::CEscape(vendor));
    }
  } else {
    FUZZ_CHECK(aggpay::common::ErrorField(v) == "vendor", v.ToString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> f =
      aggpay::fuzz::EscapedFields(aggpay::fuzz::AsText(data, size), 11);
  CheckSignature(f);
  CheckClientVersion(f[6]);
  CheckActivationCode(f[7]);
  CheckRegistration(f[1], f[8], f[9]);
  return 0;
}
