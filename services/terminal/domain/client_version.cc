#include "services/terminal/domain/client_version.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status/field_errors.h"

namespace aggpay::terminal {
namespace {

// One version part: 1 to 5 digits, no leading zero unless the part is "0".
bool ParsePart(absl::string_view part, int* value) {
  if (part.empty() || part.size() > 5) return false;
  if (part.size() > 1 && part[0] == '0') return false;
  int result = 0;
  for (char c : part) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

bool PartInRange(int part) { return part >= 0 && part <= kMaxVersionPart; }

}  // namespace

absl::StatusOr<ClientVersion> ParseClientVersion(absl::string_view text, absl::string_view field) {
  if (text.empty()) return common::InvalidField(field, "is required");
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() > 3) {
    return common::InvalidField(field, "must be MAJOR[.MINOR[.PATCH]], e.g. 8.0.15");
  }
  ClientVersion version;
  int* const targets[] = {&version.major, &version.minor, &version.patch};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!ParsePart(parts[i], targets[i])) {
      return common::InvalidField(
          field, absl::StrCat("must be MAJOR[.MINOR[.PATCH]] of numbers 0 to ", kMaxVersionPart,
                              " without leading zeros, e.g. 8.0.15"));
    }
  }
  return version;
}

std::string ToString(ClientVersion version) {
  return absl::StrCat(version.major, ".", version.minor, ".", version.patch);
}

int64_t VersionRank(ClientVersion version) {
  return int64_t{version.major} * 10'000'000'000 + int64_t{version.minor} * 100'000 + version.patch;
}

absl::string_view CapabilityName(Capability capability) {
  switch (capability) {
    case Capability::kStaticCode:
      return "STATIC_CODE";
    case Capability::kDynamicCode:
      return "DYNAMIC_CODE";
    case Capability::kCodeSkins:
      return "CODE_SKINS";
  }
  return "UNKNOWN";
}

absl::StatusOr<Capability> ParseCapability(absl::string_view name, absl::string_view field) {
  for (Capability capability : kAllCapabilities) {
    if (CapabilityName(capability) == name) return capability;
  }
  return common::InvalidField(field,
                              absl::StrCat("unknown capability \"", name,
                                           "\" (want STATIC_CODE, DYNAMIC_CODE or CODE_SKINS)"));
}

absl::StatusOr<CapabilityTable> CapabilityTable::Create(std::vector<CapabilityRule> rules) {
  if (rules.empty()) {
    return common::InvalidField("terminal.capabilities", "at least one rule is needed");
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string field = absl::StrCat("terminal.capabilities[", i, "]");
    CapabilityRule& rule = rules[i];
    const ClientVersion v = rule.min_version;
    if (!PartInRange(v.major) || !PartInRange(v.minor) || !PartInRange(v.patch)) {
      return common::InvalidField(field,
                                  absl::StrCat("version parts must be 0 to ", kMaxVersionPart));
    }
    if (i > 0 && !(rules[i - 1].min_version < v)) {
      return common::InvalidField(field, absl::StrCat("min_version ", ToString(v),
                                                      " must be greater than the previous "
                                                      "rule's ",
                                                      ToString(rules[i - 1].min_version),
                                                      " (rules are sorted, versions unique)"));
    }
    for (Capability c : rule.capabilities) {
      if (std::find(kAllCapabilities.begin(), kAllCapabilities.end(), c) ==
          kAllCapabilities.end()) {
        return common::InvalidField(field, "unknown capability");
      }
    }
    std::sort(rule.capabilities.begin(), rule.capabilities.end());
    if (std::adjacent_find(rule.capabilities.begin(), rule.capabilities.end()) !=
        rule.capabilities.end()) {
      return common::InvalidField(field, "a capability is listed twice");
    }
  }
  return CapabilityTable(std::move(rules));
}

CapabilityTable CapabilityTable::Default() {
  using C = Capability;
  return CapabilityTable({
      {{7, 0, 0}, {C::kStaticCode}},
      {{8, 0, 0}, {C::kStaticCode, C::kDynamicCode}},
      {{8, 0, 15}, {C::kStaticCode, C::kDynamicCode, C::kCodeSkins}},
  });
}

std::vector<Capability> CapabilityTable::CapabilitiesFor(TerminalType type,
                                                         ClientVersion version) const {
  // The first rule above `version`; the one before it applies.
  auto above = std::upper_bound(
      rules_.begin(), rules_.end(), version,
      [](const ClientVersion& v, const CapabilityRule& rule) { return v < rule.min_version; });
  if (above == rules_.begin()) return {};
  std::vector<Capability> capabilities = std::prev(above)->capabilities;
  if (type == TerminalType::kQrStand) {
    std::erase_if(capabilities, [](Capability c) { return c != Capability::kStaticCode; });
  }
  return capabilities;
}

bool CapabilityTable::Allows(TerminalType type, ClientVersion version,
                             Capability capability) const {
  const std::vector<Capability> capabilities = CapabilitiesFor(type, version);
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

}  // namespace aggpay::terminal
