// aggpayd's config file (services/aggpayd/config.cc on common::ConfigReader): any YAML text
// either loads or is refused with INVALID_ARGUMENT whose message starts with the key (or the
// file) at fault; nothing throws or aborts. A config that loads loads the same again.
//
// Input: the file's text.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/aggpayd/config.h"
#include "services/common/config/config_reader.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

constexpr absl::string_view kFile = "aggpayd.yaml";

// The message starts with the key at fault: one of the file's sections or top-level keys
// ("mysql.port: ...", "payment: ..."), or, for a key nobody reads, that key as the file spells
// it ("settlement.out`ut_dir: unknown key").
bool NamesAKey(absl::string_view message) {
  static constexpr absl::string_view kKeys[] = {
      "grpc_listen", "http_listen", "services",   "migrations_dir", "mysql",    "redis",
      "log",         "auth",        "audit",      "merchant_api",   "terminal", "binding",
      "payment",     "risk",        "settlement", "peers"};
  for (absl::string_view key : kKeys) {
    if (absl::StartsWith(message, absl::StrCat(key, ": ")) ||
        absl::StartsWith(message, absl::StrCat(key, "."))) {
      return true;
    }
  }
  return absl::EndsWith(message, ": unknown key") || absl::StrContains(message, ": unknown key") ||
         absl::StartsWith(message, "config: ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(aggpay::fuzz::AsText(data, size));
  absl::StatusOr<YAML::Node> root = aggpay::common::LoadYamlText(text, kFile);
  if (!root.ok()) {
    FUZZ_CHECK(root.status().code() == absl::StatusCode::kInvalidArgument,
               root.status().ToString());
    FUZZ_CHECK(absl::StartsWith(root.status().message(), kFile), root.status().ToString());
    return 0;
  }
  absl::StatusOr<aggpay::aggpayd::Config> config = aggpay::aggpayd::ConfigFromYaml(*root);
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument,
               config.status().ToString());
    FUZZ_CHECK(NamesAKey(config.status().message()),
               absl::StrCat("the error names no key: ", config.status().ToString()));
    return 0;
  }
  absl::StatusOr<aggpay::aggpayd::Config> again = aggpay::aggpayd::ConfigFromYaml(*root);
  FUZZ_CHECK(again.ok() && again->grpc_listen == config->grpc_listen &&
                 again->mysql.port == config->mysql.port,
             "a config that loaded once failed the second time");
  return 0;
}
