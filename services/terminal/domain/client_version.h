#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/terminal/domain/terminal.h"

namespace aggpay::terminal {

// The version of the software a terminal runs, "major.minor.patch". Compares part by part.
struct ClientVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  // clang-tidy reads the 0 that a defaulted <=> compares against as a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  friend std::strong_ordering operator<=>(const ClientVersion&, const ClientVersion&) = default;
};

inline constexpr int kMaxVersionPart = 99999;

// "8", "7.0" or "8.0.15": one to three parts of decimal digits, each 0..99999 and without
// leading zeros (so that each version has one spelling), missing parts 0. Anything else
// ("v8.0", "8.0.", "8.0.0.1", " 8", "08.1") is INVALID_ARGUMENT naming `field`.
absl::StatusOr<ClientVersion> ParseClientVersion(absl::string_view text,
                                                 absl::string_view field = "client_version");
// Always three parts: "8.0.15", "7.0.0".
std::string ToString(ClientVersion version);
// major * 10^10 + minor * 10^5 + patch: orders like the version itself, for the
// `terminals.version_rank` column that version filters compare.
int64_t VersionRank(ClientVersion version);

// What a client version can show.
enum class Capability : uint8_t {
  kStaticCode,   // the basic printed / displayed code the payer types an amount into
  kDynamicCode,  // a per-order code with the amount fixed
  kCodeSkins,    // templates for the rendered code image
};
inline constexpr std::array<Capability, 3> kAllCapabilities = {
    Capability::kStaticCode, Capability::kDynamicCode, Capability::kCodeSkins};

// "STATIC_CODE", "DYNAMIC_CODE", "CODE_SKINS".
absl::string_view CapabilityName(Capability capability);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<Capability> ParseCapability(absl::string_view name,
                                           absl::string_view field = "capability");

// From `min_version` on (until the next rule), a client can do `capabilities`.
struct CapabilityRule {
  ClientVersion min_version;
  std::vector<Capability> capabilities;
};

// The version -> capability table (config key `terminal.capabilities`). A later rule replaces
// an earlier one rather than adding to it, so a capability can also be withdrawn from a
// version on.
class CapabilityTable {
 public:
  // Rules in strictly increasing min_version order, each version part in 0..99999, no
  // capability twice in one rule, at least one rule. INVALID_ARGUMENT naming
  // "terminal.capabilities[i]" for the first bad rule ("terminal.capabilities" when empty).
  static absl::StatusOr<CapabilityTable> Create(std::vector<CapabilityRule> rules);

  // The domain's example: 7.0 basic static code only; dynamic codes from 8.0; skins from 8.0.15.
  static CapabilityTable Default();

  // The capabilities of the rule with the highest min_version <= version, in the order of
  // kAllCapabilities; empty below the first rule. A QR_STAND is printed: it keeps at most
  // STATIC_CODE, whatever its version.
  [[nodiscard]] std::vector<Capability> CapabilitiesFor(TerminalType type,
                                                        ClientVersion version) const;
  [[nodiscard]] bool Allows(TerminalType type, ClientVersion version, Capability capability) const;

  // The rules, validated, each rule's capabilities in the order of kAllCapabilities.
  [[nodiscard]] const std::vector<CapabilityRule>& rules() const { return rules_; }

 private:
  explicit CapabilityTable(std::vector<CapabilityRule> rules) : rules_(std::move(rules)) {}

  std::vector<CapabilityRule> rules_;
};

}  // namespace aggpay::terminal
