// What a payer's scanner or a pasted link holds (services/binding/domain/code.h,
// ParseScannedCode): whatever it accepts is a well-formed code id that was in the input (bare, or
// as the path segment after "/c/" of an http(s) URL), and the URL the platform prints for that id
// under the same base reads back to it.
//
// Input: the scanned text, as is.

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/binding/domain/code.h"
#include "services/common/status/field_errors.h"
#include "tests/fuzz/fuzz_input.h"

namespace b = aggpay::binding;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view scanned = aggpay::fuzz::AsText(data, size);
  absl::StatusOr<std::string> id = b::ParseScannedCode(scanned);
  if (!id.ok()) {
    FUZZ_CHECK(id.status().code() == absl::StatusCode::kInvalidArgument, id.status().ToString());
    FUZZ_CHECK(aggpay::common::ErrorField(id.status()) == "code", id.status().ToString());
    return 0;
  }
  const std::string what = absl::StrCat("\"", absl::CEscape(scanned), "\" -> ", *id);
  FUZZ_CHECK(b::ValidateCodeId(*id).ok(), what);
  FUZZ_CHECK(scanned.size() <= b::kMaxScannedBytes, what);
  const absl::string_view s = absl::StripAsciiWhitespace(scanned);
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    FUZZ_CHECK(u > 0x20 && u != 0x7f, what);
  }
  if (s == *id) return 0;  // a bare id

  // A URL: http(s)://, no user info, the id right after "/c/".
  FUZZ_CHECK(absl::StartsWithIgnoreCase(s, "http://") || absl::StartsWithIgnoreCase(s, "https://"),
             what);
  const absl::string_view after_scheme = s.substr(s.find("://") + 3);
  const absl::string_view authority = after_scheme.substr(0, after_scheme.find_first_of("/?#"));
  FUZZ_CHECK(authority.find('@') == absl::string_view::npos && !authority.empty(), what);
  const absl::string_view rest = after_scheme.substr(authority.size());
  const absl::string_view path = rest.substr(0, rest.find_first_of("?#"));
  // The path ends with "/c/<id>", or that and one "/"; the query and fragment are ignored.
  const std::string want = absl::StrCat("/c/", *id);
  FUZZ_CHECK(absl::EndsWith(path, want) || absl::EndsWith(path, want + "/"), what);
  const size_t at = path.rfind(want);
  // The platform's own URL for the id, under the base the input had, reads back to the id.
  const std::string base =
      absl::StrCat(s.substr(0, s.size() - after_scheme.size()), authority, path.substr(0, at));
  absl::StatusOr<std::string> again = b::ParseScannedCode(b::CodeUrl(base, *id));
  FUZZ_CHECK(again.ok() && *again == *id,
             absl::StrCat(what, "; ", b::CodeUrl(base, *id), " -> ", again.status().ToString()));
  return 0;
}
