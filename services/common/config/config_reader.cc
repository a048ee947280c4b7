#include "services/common/config/config_reader.h"

#include <charconv>
#include <fstream>
#include <iterator>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aggpay::common {

ConfigReader::ConfigReader(YAML::Node node, std::string prefix)
    : node_(std::move(node)), prefix_(std::move(prefix)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(prefix_.empty() ? "config" : prefix_, ": must be a mapping"));
  }
}

std::string ConfigReader::Path(absl::string_view key) const {
  return prefix_.empty() ? std::string(key) : absl::StrCat(prefix_, ".", key);
}

YAML::Node ConfigReader::Lookup(absl::string_view key) {
  seen_.emplace(key);
  if (!node_.IsDefined() || !node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return node_[std::string(key)];
}

void ConfigReader::Fail(absl::string_view key, absl::string_view message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(absl::StrCat(Path(key), ": ", message));
}

std::string ConfigReader::String(absl::string_view key, absl::string_view default_value) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return std::string(default_value);
  if (!n.IsScalar()) {
    Fail(key, "must be a string");
    return std::string(default_value);
  }
  return n.Scalar();
}

int64_t ConfigReader::Int(absl::string_view key, int64_t default_value, int64_t min, int64_t max) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return default_value;
  int64_t value = 0;
  if (!n.IsScalar() || !absl::SimpleAtoi(n.Scalar(), &value) || value < min || value > max) {
    Fail(key, absl::StrCat("must be an integer between ", min, " and ", max));
    return default_value;
  }
  return value;
}

bool ConfigReader::Bool(absl::string_view key, bool default_value) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return default_value;
  if (n.IsScalar()) {
    if (n.Scalar() == "true") return true;
    if (n.Scalar() == "false") return false;
  }
  Fail(key, "must be true or false");
  return default_value;
}

absl::Duration ConfigReader::Duration(absl::string_view key, absl::Duration default_value) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return default_value;
  absl::Duration d;
  int64_t days = 0;
  // Whole days ("90d") for rotation ages; everything else in absl's units.
  if (n.IsScalar() && absl::EndsWith(n.Scalar(), "d") &&
      absl::SimpleAtoi(absl::string_view(n.Scalar()).substr(0, n.Scalar().size() - 1), &days) &&
      days >= 0 && days <= 36500) {
    return absl::Hours(24 * days);
  }
  if (!n.IsScalar() || !absl::ParseDuration(n.Scalar(), &d) || d < absl::ZeroDuration()) {
    Fail(key, "must be a duration such as 500ms, 10s, 5m, 24h or 90d");
    return default_value;
  }
  return d;
}

std::vector<std::string> ConfigReader::StringList(absl::string_view key,
                                                  std::vector<std::string> default_value) {
  YAML::Node n = Lookup(key);
  if (!n.IsDefined() || n.IsNull()) return default_value;
  if (!n.IsSequence()) {
    Fail(key, "must be a list of strings");
    return default_value;
  }
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) {
      Fail(key, "must be a list of strings");
      return default_value;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

std::string ConfigReader::Enum(absl::string_view key, absl::string_view default_value,
                               const std::vector<std::string>& allowed) {
  std::string value = String(key, default_value);
  for (const auto& a : allowed) {
    if (a == value) return value;
  }
  Fail(key, absl::StrCat("must be one of ", absl::StrJoin(allowed, ", ")));
  return std::string(default_value);
}

ConfigReader ConfigReader::Child(absl::string_view key) {
  return ConfigReader(Lookup(key), Path(key));
}

absl::Status ConfigReader::Finish() {
  if (!status_.ok()) return status_;
  if (node_.IsDefined() && node_.IsMap()) {
    for (const auto& kv : node_) {
      // YAML allows a list or a mapping as a key ("{[port]: 1}"), which no reader asks for;
      // as<std::string>() would throw on it.
      if (!kv.first.IsScalar()) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix_.empty() ? "config" : prefix_, ": keys must be plain names"));
      }
      const std::string& k = kv.first.Scalar();
      if (seen_.find(k) == seen_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(Path(k), ": unknown key"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<YAML::Node> LoadYamlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read the config file"));
  }
  return LoadYamlText(text, path);
}

absl::StatusOr<YAML::Node> LoadYamlText(const std::string& text, absl::string_view name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", e.what()));
  }
}

absl::Status ValidateHostPort(absl::string_view key, absl::string_view value) {
  const size_t colon = value.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be host:port, got \"", value, "\""));
  }
  return absl::OkStatus();
}

}  // namespace aggpay::common
