#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aggpay::common {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json (one JSON object per line)
};

// Configures spdlog's default logger on stderr. Called once, by main.
absl::Status InitLogging(const LogOptions& options);

// `text` as the inside of a JSON string: quotes, backslashes and control characters escaped.
std::string JsonEscape(absl::string_view text);

}  // namespace aggpay::common
