#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace aggpay::common {

// The longest prefix of `s` that is at most `max_bytes` long and ends on a UTF-8 character
// boundary, so a cut never splits a character (protobuf and MySQL refuse half a character).
// Invalid bytes are passed through unchanged; only the cut position is adjusted.
std::string TruncateUtf8(absl::string_view s, size_t max_bytes);

// The longest prefix of `s` with at most `max_chars` characters: for a VARCHAR(N) column, which
// counts characters, not bytes.
std::string TruncateUtf8Chars(absl::string_view s, size_t max_chars);

// The number of characters (code points) in valid UTF-8 `s`; continuation bytes are not counted.
size_t Utf8Length(absl::string_view s);

}  // namespace aggpay::common
