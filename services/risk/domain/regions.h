#pragma once

// Where a payer's address comes from: the provider's CIDR -> region table, and the subnet a
// payment is counted under. Pure.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::risk {

// 16 bytes, big-endian; IPv4 as ::ffff:a.b.c.d.
using IpBytes = std::array<uint8_t, 16>;

struct IpAddress {
  IpBytes bytes{};
  bool v4 = false;
};

// INVALID_ARGUMENT naming `field` unless `text` is a plain IPv4 or IPv6 address.
absl::StatusOr<IpAddress> ParseIp(absl::string_view text, absl::string_view field);

struct RegionRange {
  IpBytes start{};
  IpBytes end{};
  std::string cidr;  // canonical: network address / prefix
  std::string region;
};

// "a.b.c.d/n" or "v6::/n" -> its range. The address must be the network's (no host bits), and an
// IPv6 block must not reach into the IPv4-mapped ::ffff:0:0/96 (::/0 would claim every IPv4
// address): INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<RegionRange> ParseCidr(absl::string_view text, absl::string_view field);

// The provider's CSV: one "cidr,region" per line; blank lines, lines starting with '#' and a
// header "cidr,region" before the first range are skipped. Region: 1-32 of [A-Za-z0-9_-]. Any
// malformed line, or a range overlapping another, refuses the whole file: INVALID_ARGUMENT "csv
// line N: ...".
absl::StatusOr<std::vector<RegionRange>> ParseRegionCsv(absl::string_view csv);

// Longest ranges first would only matter with overlaps, which the import refuses; lookups are a
// binary search over the sorted ranges.
class RegionTable {
 public:
  RegionTable() = default;
  explicit RegionTable(std::vector<RegionRange> ranges);
  std::optional<std::string> Lookup(const IpAddress& ip) const;
  size_t size() const { return ranges_.size(); }

 private:
  std::vector<RegionRange> ranges_;
};

// The network `ip` is counted under: IPv4 /prefix_v4, IPv6 /48. "203.0.113.0/24".
std::string SubnetOf(const IpAddress& ip, int prefix_v4);

}  // namespace aggpay::risk
