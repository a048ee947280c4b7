#include "services/common/text/text_field.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::common {
namespace {

// The code point at s[i] and its length in bytes; 0 for an invalid or overlong sequence, a
// surrogate or a value past U+10FFFF.
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c >> 5) == 0x6) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c >> 4) == 0xE) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c >> 3) == 0x1E) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsControl(uint32_t cp, bool allow_newlines) {
  if (allow_newlines && (cp == '\n' || cp == '\t')) return false;
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

}  // namespace

absl::Status ValidateText(absl::string_view text, absl::string_view field, const TextRule& rule) {
  if ((rule.required || rule.not_blank) && text.empty()) return InvalidField(field, "is required");
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, cp);
    if (len == 0) return InvalidField(field, "is not valid UTF-8");
    if (IsControl(cp, rule.allow_newlines)) {
      return InvalidField(field, "must not contain control characters");
    }
    if (++chars > rule.max_chars) {
      return InvalidField(field, absl::StrCat("must be at most ", rule.max_chars, " characters"));
    }
    i += len;
  }
  if (rule.not_blank && absl::StripAsciiWhitespace(text).empty()) {
    return InvalidField(field, "must not be blank");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::common
