#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aggpay::common {

// The one check every handler applies to text a caller sends (names, reasons, remarks,
// descriptions, addresses, URLs, request ids): valid UTF-8, at most `max_chars` characters
// (code points, never bytes, so a CJK name has the same room as a Latin one and is never cut
// inside a character), and no control characters (C0, DEL, C1; `allow_newlines` admits \n and
// \t). A failure is INVALID_ARGUMENT naming `field`. Text over the limit is refused, never cut:
// nothing is stored. MySQL's VARCHAR(N) counts characters too, so a column of N holds a field
// whose limit is N. docs/api.md "Limits" lists every field's limit.
struct TextRule {
  size_t max_chars = 0;
  // Empty is "is required".
  bool required = false;
  // Only spaces is "must not be blank" (implies required).
  bool not_blank = false;
  bool allow_newlines = false;
};
absl::Status ValidateText(absl::string_view text, absl::string_view field, const TextRule& rule);

// Common limits, in characters.
inline constexpr size_t kMaxNameChars = 128;
inline constexpr size_t kMaxAddressChars = 512;
inline constexpr size_t kMaxUrlChars = 512;

}  // namespace aggpay::common
