// UTF-8-safe cuts (services/common/text/utf8.h) and free-text validation
// (services/common/status/field_errors.h): a cut never splits a character, and an oversized,
// malformed or control-character reason is refused with the field named, never cut.
#include "services/common/text/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/text_field.h"

namespace aggpay::common {
namespace {

// "冻" U+51BB is E5 86 BB; "é" U+00E9 is C3 A9; U+1F600 is F0 9F 98 80.
constexpr absl::string_view kCjk = "\xE5\x86\xBB";
constexpr absl::string_view kTwoByte = "\xC3\xA9";
constexpr absl::string_view kFourByte = "\xF0\x9F\x98\x80";

// Strict UTF-8 well-formedness (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF),
// written independently of the code under test.
bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

TEST(Utf8LengthTest, CountsCharactersNotBytes) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("hello"), 5u);
  EXPECT_EQ(Utf8Length(kTwoByte), 1u);
  EXPECT_EQ(Utf8Length(kCjk), 1u);
  EXPECT_EQ(Utf8Length(kFourByte), 1u);
  EXPECT_EQ(Utf8Length(absl::StrCat("a", kTwoByte, kCjk, kFourByte, "z")), 5u);
  EXPECT_EQ(Utf8Length(Repeat(kCjk, 200)), 200u);
}

TEST(TruncateUtf8Test, ShortEnoughTextIsUnchanged) {
  EXPECT_EQ(TruncateUtf8("", 0), "");
  EXPECT_EQ(TruncateUtf8("abc", 3), "abc");
  EXPECT_EQ(TruncateUtf8(kCjk, 3), kCjk);
  EXPECT_EQ(TruncateUtf8(kFourByte, 10), kFourByte);
}

TEST(TruncateUtf8Test, AsciiIsCutAtTheByteLimit) {
  EXPECT_EQ(TruncateUtf8("abcdef", 4), "abcd");
  EXPECT_EQ(TruncateUtf8("abcdef", 0), "");
}

TEST(TruncateUtf8Test, NeverSplitsAMultiByteCharacter) {
  // Two CJK characters, 6 bytes: a limit of 4 or 5 keeps only the first, never 1 or 2 bytes of
  // the second (which MySQL utf8mb4 and protobuf would refuse).
  const std::string two = absl::StrCat(kCjk, kCjk);
  EXPECT_EQ(TruncateUtf8(two, 5), kCjk);
  EXPECT_EQ(TruncateUtf8(two, 4), kCjk);
  EXPECT_EQ(TruncateUtf8(two, 3), kCjk);
  EXPECT_EQ(TruncateUtf8(two, 2), "");
  EXPECT_EQ(TruncateUtf8(two, 1), "");
  EXPECT_EQ(TruncateUtf8(absl::StrCat("a", kTwoByte), 2), "a");
  EXPECT_EQ(TruncateUtf8(absl::StrCat("ab", kFourByte), 5), "ab");
  EXPECT_EQ(TruncateUtf8(absl::StrCat("ab", kFourByte), 4), "ab");
  EXPECT_EQ(TruncateUtf8(absl::StrCat("ab", kFourByte), 3), "ab");
  EXPECT_EQ(TruncateUtf8(absl::StrCat("ab", kFourByte), 6), absl::StrCat("ab", kFourByte));
}

TEST(TruncateUtf8Test, EveryCutOfAMixedStringIsAValidPrefix) {
  const std::string mixed =
      absl::StrCat("a", kTwoByte, kCjk, kFourByte, "b", kCjk, kTwoByte, kFourByte, kFourByte, "c");
  ASSERT_TRUE(IsValidUtf8(mixed));
  // Byte offsets at which a character starts, and the end.
  std::vector<size_t> boundaries;
  for (size_t i = 0; i <= mixed.size(); ++i) {
    if (i == mixed.size() || (static_cast<unsigned char>(mixed[i]) & 0xC0) != 0x80) {
      boundaries.push_back(i);
    }
  }
  for (size_t max = 0; max <= mixed.size() + 2; ++max) {
    const std::string cut = TruncateUtf8(mixed, max);
    SCOPED_TRACE(absl::StrCat("max_bytes ", max));
    EXPECT_LE(cut.size(), max);
    EXPECT_TRUE(IsValidUtf8(cut));
    EXPECT_EQ(mixed.compare(0, cut.size(), cut), 0) << "not a prefix";
    // The longest such prefix: the largest character boundary within the limit.
    size_t want = 0;
    for (size_t b : boundaries) {
      if (b <= max) want = b;
    }
    EXPECT_EQ(cut.size(), want);
  }
}

TEST(ValidateFreeTextTest, TwoHundredCjkCharactersAreAccepted) {
  const std::string reason = Repeat(kCjk, 200);
  ASSERT_EQ(reason.size(), 600u) << "600 bytes: a byte limit of 200 would refuse it";
  EXPECT_TRUE(ValidateFreeText(reason, "reason", kMaxReasonChars).ok());
  EXPECT_TRUE(ValidateFreeText(Repeat(kFourByte, 200), "reason", kMaxReasonChars).ok());
  EXPECT_TRUE(ValidateFreeText(Repeat("x", 200), "reason", kMaxReasonChars).ok());
  EXPECT_TRUE(ValidateFreeText("", "reason", kMaxReasonChars).ok());
  EXPECT_TRUE(
      ValidateFreeText(absl::StrCat("lost ", kCjk, kTwoByte, kFourByte), "reason", kMaxReasonChars)
          .ok());
}

TEST(ValidateFreeTextTest, TwoHundredAndOneCharactersAreRefusedNamingTheField) {
  absl::Status s = ValidateFreeText(Repeat(kCjk, 201), "reason", kMaxReasonChars);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorField(s), "reason");
  absl::Status ascii = ValidateFreeText(Repeat("x", 201), "block.reason", kMaxReasonChars);
  EXPECT_EQ(ascii.code(), absl::StatusCode::kInvalidArgument) << ascii;
  EXPECT_EQ(ErrorField(ascii), "block.reason");
}

TEST(ValidateFreeTextTest, InvalidUtf8IsRefused) {
  const std::string truncated_cjk = std::string(kCjk.substr(0, 2));
  for (const std::string& bad :
       {absl::StrCat("ok", truncated_cjk), std::string("\x80"),
        std::string("a\xFF"
                    "b"),
        absl::StrCat(truncated_cjk, "x"), std::string(kFourByte.substr(0, 3))}) {
    absl::Status s = ValidateFreeText(bad, "reason", kMaxReasonChars);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(ErrorField(s), "reason");
  }
}

TEST(ValidateFreeTextTest, ControlCharactersAreRefused) {
  for (const std::string& bad :
       {std::string("line\nbreak"), std::string("tab\there"), std::string("nul\0byte", 8),
        std::string("bell\x07"), std::string("del\x7F"), std::string("\r")}) {
    absl::Status s = ValidateFreeText(bad, "note", kMaxReasonChars);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(ErrorField(s), "note");
  }
}

TEST(ValidateFreeTextTest, A64KilobyteStringIsRefused) {
  constexpr size_t k64Kb = size_t{64} * 1024;
  const std::string huge(k64Kb, 'a');
  absl::Status s = ValidateFreeText(huge, "reason", kMaxReasonChars);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(ErrorField(s), "reason");
  absl::Status cjk =
      ValidateFreeText(Repeat(kCjk, static_cast<int>(k64Kb / 3)), "reason", kMaxReasonChars);
  EXPECT_EQ(cjk.code(), absl::StatusCode::kInvalidArgument) << cjk;
}

}  // namespace
}  // namespace aggpay::common

namespace aggpay::common {
namespace {

TEST(TextFieldTest, LimitsCountCharactersNotBytes) {
  std::string at;
  for (int i = 0; i < 128; ++i) at += "\xE5\x86\xBB";  // 128 CJK characters, 384 bytes
  EXPECT_TRUE(ValidateText(at, "name", TextRule{.max_chars = 128}).ok());
  const absl::Status over = ValidateText(at + "a", "name", TextRule{.max_chars = 128});
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorField(over), "name");
  EXPECT_EQ(TruncateUtf8Chars(at + "abc", 128), at);
  EXPECT_EQ(TruncateUtf8Chars(at, 1), "\xE5\x86\xBB");
  EXPECT_EQ(TruncateUtf8Chars("ab", 5), "ab");
}

TEST(TextFieldTest, RequiredBlankNewlinesAndControlsFollowTheRule) {
  EXPECT_TRUE(ValidateText("", "reason", TextRule{.max_chars = 10}).ok());
  EXPECT_EQ(ErrorField(ValidateText("", "name", TextRule{.max_chars = 10, .required = true})),
            "name");
  EXPECT_FALSE(ValidateText("   ", "name", TextRule{.max_chars = 10, .not_blank = true}).ok());
  EXPECT_FALSE(ValidateText("a\nb", "note", TextRule{.max_chars = 10}).ok());
  EXPECT_TRUE(ValidateText("a\nb", "note", TextRule{.max_chars = 10, .allow_newlines = true}).ok());
  EXPECT_FALSE(ValidateText("a\xC2\x85", "note", TextRule{.max_chars = 10}).ok());     // C1 NEL
  EXPECT_FALSE(ValidateText("\xC0\xAF", "note", TextRule{.max_chars = 10}).ok());      // overlong
  EXPECT_FALSE(ValidateText("\xED\xA0\x80", "note", TextRule{.max_chars = 10}).ok());  // surrogate
}

}  // namespace
}  // namespace aggpay::common
