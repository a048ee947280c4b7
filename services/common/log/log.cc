#include "services/common/log/log.h"

#include "absl/strings/str_cat.h"
#include "services/common/log/logging.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace aggpay::common {

absl::Status InitLogging(const LogOptions& options) {
  const auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("log.level: unknown level \"", options.level, "\""));
  }
  auto logger = spdlog::stderr_logger_mt("aggpay");
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
  if (options.format == "json") {
    // Messages are escaped by the call sites that log client-controlled text.
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","thread":%t,"msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else if (options.format == "text") {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  } else {
    return absl::InvalidArgumentError("log.format: must be text or json");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::common
