#pragma once

// What the fuzz targets share: the input as lines (every target's seeds are plain text, one
// field a line, so that they can be written and read by hand) and a check that aborts, so that
// libFuzzer keeps the input that broke a property.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace aggpay::fuzz {

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// The input split at '\n' into exactly `count` fields: missing ones are empty, and the last
// takes the rest (newlines included).
inline std::vector<std::string> Fields(absl::string_view text, size_t count) {
  std::vector<std::string> out = absl::StrSplit(text, absl::MaxSplits('\n', count - 1));
  out.resize(count);
  return out;
}

// The same, each field read as a C string literal's contents (\n, \x00, \\) when it is one,
// so that a seed can put any byte, a newline among them, into any field.
inline std::vector<std::string> EscapedFields(absl::string_view text, size_t count) {
  std::vector<std::string> out = Fields(text, count);
  for (std::string& field : out) {
    std::string unescaped;
    if (absl::CUnescape(field, &unescaped)) field = std::move(unescaped);
  }
  return out;
}

// A broken property: says which and what, then aborts (libFuzzer saves the input as crash-*).
[[noreturn]] inline void Fail(const char* property, const std::string& detail) {
  std::fprintf(stderr, "PROPERTY FAILED: %s\n  %s\n", property, detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                        \
  do {                                                  \
    if (!(cond)) ::aggpay::fuzz::Fail(#cond, (detail)); \
  } while (0)

}  // namespace aggpay::fuzz
