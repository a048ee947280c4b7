#include "services/risk/domain/regions.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/status/field_errors.h"

namespace aggpay::risk {
namespace {

using common::InvalidField;

constexpr IpBytes kMappedStart = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0};
constexpr IpBytes kMappedEnd = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

std::string FormatIp(const IpBytes& b, bool v4) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, b.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, b.data(), buf, sizeof(buf));
  }
  return buf;
}

// Keeps the first `bits` bits of the 128; the rest set to `fill`.
IpBytes Mask(const IpBytes& b, int bits, bool fill) {
  IpBytes out = b;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(bits - i * 8, 0, 8);
    uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xFF << (8 - keep));
    out[i] = static_cast<uint8_t>((b[i] & mask) | (fill ? ~mask : 0));
  }
  return out;
}

bool ValidRegion(absl::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  return std::all_of(r.begin(), r.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; });
}

}  // namespace

absl::StatusOr<IpAddress> ParseIp(absl::string_view text, absl::string_view field) {
  std::string s(text);
  IpAddress ip;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    ip.v4 = true;
    ip.bytes[10] = 0xFF;
    ip.bytes[11] = 0xFF;
    std::memcpy(ip.bytes.data() + 12, &a4, 4);
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(ip.bytes.data(), &a6, 16);
    ip.v4 = std::equal(kMappedStart.begin(), kMappedStart.begin() + 12, ip.bytes.begin());
    return ip;
  }
  return InvalidField(field, absl::StrCat("\"", text, "\" is not an IPv4 or IPv6 address"));
}

absl::StatusOr<RegionRange> ParseCidr(absl::string_view text, absl::string_view field) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  if (parts.size() != 2) {
    return InvalidField(field, absl::StrCat("\"", text, "\" is not address/prefix"));
  }
  auto ip = ParseIp(parts[0], field);
  if (!ip.ok()) return ip.status();
  int prefix = -1;
  int max = ip->v4 ? 32 : 128;
  if (parts[1].empty() || parts[1].size() > 3 ||
      parts[1].find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(parts[1], &prefix) || prefix < 0 || prefix > max) {
    return InvalidField(field, absl::StrCat("\"", text, "\": the prefix must be 0 to ", max));
  }
  int bits = ip->v4 ? 96 + prefix : prefix;
  RegionRange r;
  r.start = Mask(ip->bytes, bits, false);
  if (r.start != ip->bytes) {
    return InvalidField(field, absl::StrCat("\"", text, "\" has host bits set; the network is ",
                                            FormatIp(r.start, ip->v4), "/", prefix));
  }
  r.end = Mask(ip->bytes, bits, true);
  // IPv4 addresses live in ::ffff:0:0/96 of the one 128-bit space the table is searched in, so
  // an IPv6 block reaching into it (::/0 ... ::/96, ::ffff:0:0/95) would hand its region to IPv4
  // payers that no IPv4 row names.
  if (!ip->v4 && r.start <= kMappedEnd && kMappedStart <= r.end) {
    return InvalidField(field, absl::StrCat("\"", text,
                                            "\" covers IPv4 addresses (::ffff:0:0/96); list IPv4 "
                                            "ranges in IPv4 form"));
  }
  r.cidr = absl::StrCat(FormatIp(r.start, ip->v4), "/", prefix);
  return r;
}

absl::StatusOr<std::vector<RegionRange>> ParseRegionCsv(absl::string_view csv) {
  std::vector<std::pair<RegionRange, int>> rows;
  int line_no = 0;
  bool seen_data = false;
  for (absl::string_view line : absl::StrSplit(csv, '\n')) {
    ++line_no;
    line = absl::StripSuffix(line, "\r");
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    // The header, when there is one, is the first line that is not a comment.
    if (!seen_data && absl::AsciiStrToLower(trimmed) == "cidr,region") {
      seen_data = true;
      continue;
    }
    seen_data = true;
    std::vector<absl::string_view> cols = absl::StrSplit(trimmed, ',');
    std::string where = absl::StrCat("csv line ", line_no);
    if (cols.size() != 2) {
      return InvalidField(
          "csv", absl::StrCat(where, ": want \"cidr,region\", got ", cols.size(), " column(s)"));
    }
    auto range = ParseCidr(absl::StripAsciiWhitespace(cols[0]), "cidr");
    if (!range.ok()) {
      return InvalidField("csv", absl::StrCat(where, ": ", range.status().message()));
    }
    absl::string_view region = absl::StripAsciiWhitespace(cols[1]);
    if (!ValidRegion(region)) {
      return InvalidField("csv", absl::StrCat(where, ": region \"", region,
                                              "\" must be 1-32 letters, digits, '-' or '_'"));
    }
    range->region = std::string(region);
    rows.emplace_back(*std::move(range), line_no);
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first.start < b.first.start; });
  std::vector<RegionRange> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i > 0 && rows[i].first.start <= rows[i - 1].first.end) {
      const auto& [later, earlier] = rows[i].second > rows[i - 1].second
                                         ? std::pair(rows[i], rows[i - 1])
                                         : std::pair(rows[i - 1], rows[i]);
      return InvalidField(
          "csv", absl::StrCat("csv line ", later.second, ": ", later.first.cidr, " overlaps ",
                              earlier.first.cidr, " of line ", earlier.second));
    }
    out.push_back(rows[i].first);
  }
  return out;
}

RegionTable::RegionTable(std::vector<RegionRange> ranges) : ranges_(std::move(ranges)) {
  std::sort(ranges_.begin(), ranges_.end(),
            [](const RegionRange& a, const RegionRange& b) { return a.start < b.start; });
}

std::optional<std::string> RegionTable::Lookup(const IpAddress& ip) const {
  // The last range starting at or before the address.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), ip.bytes,
                             [](const IpBytes& v, const RegionRange& r) { return v < r.start; });
  if (it == ranges_.begin()) return std::nullopt;
  --it;
  if (ip.bytes <= it->end) return it->region;
  return std::nullopt;
}

std::string SubnetOf(const IpAddress& ip, int prefix_v4) {
  int bits = ip.v4 ? 96 + prefix_v4 : 48;
  return absl::StrCat(FormatIp(Mask(ip.bytes, bits, false), ip.v4), "/", ip.v4 ? prefix_v4 : 48);
}

}  // namespace aggpay::risk
