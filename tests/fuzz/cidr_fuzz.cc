// The provider's CIDR -> region table (services/risk/domain/regions.h, ParseRegionCsv and
// RegionTable): every range it imports is exactly the block its canonical CIDR names, ranges
// never overlap, an IPv4 range holds only IPv4 addresses and an IPv6 range none, and a lookup
// finds the region of the one range holding the address and nothing outside every range.
//
// Input: the CSV, as imported. A first line "# ADDRESS" is also looked up.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/risk/domain/regions.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace r = aggpay::risk;
using r::IpBytes;

constexpr IpBytes kMappedStart = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0};
constexpr IpBytes kMappedEnd = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

bool Step(IpBytes* b, int delta) {  // +1 or -1; false on wrapping
  for (int i = 15; i >= 0; --i) {
    if (delta > 0 ? (*b)[i]++ != 0xFF : (*b)[i]-- != 0) return true;
  }
  return false;
}

// The region of the range holding `ip`, by a plain scan.
std::optional<std::string> Scan(const std::vector<r::RegionRange>& ranges, const IpBytes& ip) {
  for (const auto& range : ranges) {
    if (range.start <= ip && ip <= range.end) return range.region;
  }
  return std::nullopt;
}

void CheckLookup(const r::RegionTable& table, const std::vector<r::RegionRange>& ranges,
                 const IpBytes& ip) {
  r::IpAddress address;
  address.bytes = ip;
  address.v4 = std::equal(kMappedStart.begin(), kMappedStart.begin() + 12, ip.begin());
  FUZZ_CHECK(table.Lookup(address) == Scan(ranges, ip), "lookup and scan disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view csv = aggpay::fuzz::AsText(data, size);
  absl::StatusOr<std::vector<r::RegionRange>> ranges = r::ParseRegionCsv(csv);
  if (!ranges.ok()) {
    FUZZ_CHECK(ranges.status().code() == absl::StatusCode::kInvalidArgument,
               ranges.status().ToString());
    FUZZ_CHECK(absl::StartsWith(ranges.status().message(), "csv: csv line "),
               ranges.status().ToString());
    return 0;
  }
  for (size_t i = 0; i < ranges->size(); ++i) {
    const r::RegionRange& range = (*ranges)[i];
    const std::string what = absl::StrCat(range.cidr, ",", range.region);
    FUZZ_CHECK(range.start <= range.end, what);
    if (i > 0) FUZZ_CHECK((*ranges)[i - 1].end < range.start, what);
    // The canonical CIDR names exactly this block, and reads back to it.
    absl::StatusOr<r::RegionRange> again = r::ParseCidr(range.cidr, "cidr");
    FUZZ_CHECK(again.ok() && again->start == range.start && again->end == range.end &&
                   again->cidr == range.cidr,
               what);
    // A block: start and end differ only in a run of trailing bits, all 0 in start, 1 in end.
    bool in_host_bits = false;
    for (int bit = 0; bit < 128; ++bit) {
      const int s = (range.start[bit / 8] >> (7 - bit % 8)) & 1;
      const int e = (range.end[bit / 8] >> (7 - bit % 8)) & 1;
      if (!in_host_bits && s != e) in_host_bits = true;
      if (in_host_bits) FUZZ_CHECK(s == 0 && e == 1, what);
    }
    // One family per range: an IPv4 block lies inside ::ffff:0:0/96, an IPv6 block outside it
    // (else an IPv6 row such as ::/0 would claim every IPv4 payer).
    const bool v4 = range.cidr.find(':') == std::string::npos;
    if (v4) {
      FUZZ_CHECK(kMappedStart <= range.start && range.end <= kMappedEnd, what);
    } else {
      FUZZ_CHECK(range.end < kMappedStart || kMappedEnd < range.start,
                 absl::StrCat(what, " holds IPv4 addresses"));
    }
  }

  const r::RegionTable table(*ranges);
  FUZZ_CHECK(table.size() == ranges->size(), "table size");
  for (const r::RegionRange& range : *ranges) {
    CheckLookup(table, *ranges, range.start);
    CheckLookup(table, *ranges, range.end);
    IpBytes before = range.start;
    if (Step(&before, -1)) CheckLookup(table, *ranges, before);
    IpBytes after = range.end;
    if (Step(&after, +1)) CheckLookup(table, *ranges, after);
  }
  // A first line "# ADDRESS" (a comment to the import) is looked up too.
  const std::string first_line(
      absl::StripAsciiWhitespace(absl::StripPrefix(csv.substr(0, csv.find('\n')), "#")));
  absl::StatusOr<r::IpAddress> ip = r::ParseIp(first_line, "ip");
  if (ip.ok()) {
    FUZZ_CHECK(table.Lookup(*ip) == Scan(*ranges, ip->bytes), first_line);
  }
  return 0;
}
