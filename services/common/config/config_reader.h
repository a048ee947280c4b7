#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace aggpay::common {

// Reads one YAML mapping into typed values. Every error names the full dotted key
// ("mysql.pool_size: must be an integer between 1 and 256"), and Finish() rejects keys nobody
// asked for, so a typo in a config file fails at start-up instead of being silently ignored.
class ConfigReader {
 public:
  // `node` may be null/undefined: every key then takes its default.
  ConfigReader(YAML::Node node, std::string prefix);

  std::string String(absl::string_view key, absl::string_view default_value);
  int64_t Int(absl::string_view key, int64_t default_value, int64_t min, int64_t max);
  bool Bool(absl::string_view key, bool default_value);
  absl::Duration Duration(absl::string_view key, absl::Duration default_value);
  std::vector<std::string> StringList(absl::string_view key,
                                      std::vector<std::string> default_value);
  // One of `allowed`.
  std::string Enum(absl::string_view key, absl::string_view default_value,
                   const std::vector<std::string>& allowed);
  ConfigReader Child(absl::string_view key);

  // The first error seen, or an error for an unknown key under this reader (children report
  // their own unknown keys when their Finish() is called).
  absl::Status Finish();

 private:
  std::string Path(absl::string_view key) const;
  YAML::Node Lookup(absl::string_view key);
  void Fail(absl::string_view key, absl::string_view message);

  YAML::Node node_;
  std::string prefix_;
  std::set<std::string, std::less<>> seen_;
  absl::Status status_;
};

// Reads a file into a YAML node; INVALID_ARGUMENT with the file name and line on a parse error.
absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path);
// The same for text already read; `name` (a file name) starts every error message.
absl::StatusOr<YAML::Node> LoadYamlText(const std::string& text, absl::string_view name);

// "127.0.0.1:5000" -> ok; INVALID_ARGUMENT naming `key` otherwise.
absl::Status ValidateHostPort(absl::string_view key, absl::string_view value);

}  // namespace aggpay::common
