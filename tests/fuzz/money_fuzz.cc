// Money and amount parsing (services/common/money): Money::Parse against an independent
// reading of the same grammar, ToDecimal round trips, MulDiv, its unchecked fast path and the
// fee's ApplyRatePpm against 128-bit arithmetic, and Allocate's parts adding up to the whole.
//
// Input, one field a line: currency code; decimal amount; "VALUE NUMERATOR DENOMINATOR MODE"
// for MulDiv; "AMOUNT_MINOR WEIGHT..." for Allocate.

#include <limits>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/money/money.h"
#include "services/fee/domain/fee_calculator.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using aggpay::common::Currency;
using aggpay::common::Money;
using aggpay::common::RoundingMode;

// What Money::Parse must accept, read independently: [+-]digits[.digits], at most `exponent`
// fraction digits, magnitude within int64. nullopt for anything else.
std::optional<int64_t> ReferenceParse(absl::string_view s, int exponent) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  __int128 value = 0;
  size_t whole_digits = 0;
  size_t i = 0;
  for (; i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i])); ++i) {
    value = value * 10 + (s[i] - '0');
    if (value > std::numeric_limits<int64_t>::max())
      value = std::numeric_limits<int64_t>::max() + static_cast<__int128>(1);
    ++whole_digits;
  }
  if (whole_digits == 0) return std::nullopt;
  int fraction_digits = 0;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    ++i;
    if (i == s.size()) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
      if (++fraction_digits > exponent) return std::nullopt;
      value = value * 10 + (s[i] - '0');
      if (value > std::numeric_limits<int64_t>::max())
        value = std::numeric_limits<int64_t>::max() + static_cast<__int128>(1);
    }
  }
  for (; fraction_digits < exponent; ++fraction_digits) {
    value *= 10;
    if (value > std::numeric_limits<int64_t>::max())
      value = std::numeric_limits<int64_t>::max() + static_cast<__int128>(1);
  }
  if (value > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return static_cast<int64_t>(negative ? -value : value);
}

std::string Str128(__int128 v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  unsigned __int128 m = negative ? -static_cast<unsigned __int128>(v) : v;
  std::string out;
  while (m > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(m % 10)));
    m /= 10;
  }
  return negative ? "-" + out : out;
}

void CheckParse(absl::string_view text, Currency currency) {
  absl::StatusOr<Money> parsed = Money::Parse(text, currency);
  const std::optional<int64_t> want = ReferenceParse(text, currency.exponent());
  const std::string what = absl::StrCat("\"", text, "\" in ", currency.code());
  FUZZ_CHECK(parsed.ok() == want.has_value(),
             absl::StrCat(what, ": Parse says ", parsed.status().ToString(), ", the grammar says ",
                          want ? absl::StrCat(*want) : "invalid"));
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
               parsed.status().ToString());
    return;
  }
  FUZZ_CHECK(parsed->amount_minor() == *want,
             absl::StrCat(what, ": ", parsed->amount_minor(), " != ", *want));
  FUZZ_CHECK(parsed->currency() == currency, what);
  // The formatted amount is canonical: it parses back to the same money and formats the same.
  const std::string decimal = parsed->ToDecimal();
  absl::StatusOr<Money> again = Money::Parse(decimal, currency);
  FUZZ_CHECK(again.ok() && *again == *parsed,
             absl::StrCat(what, " formats as \"", decimal, "\", which does not parse back"));
  FUZZ_CHECK(again->ToDecimal() == decimal, decimal);
}

int64_t Round(__int128 product, int64_t denominator, RoundingMode mode, bool* fits) {
  // Floor division, then the rounding rule on the exact remainder.
  __int128 q = product / denominator;
  __int128 r = product % denominator;
  if (r < 0) {
    --q;
    r += denominator;
  }
  // Now product = q*d + r, 0 <= r < d.
  const bool negative = product < 0;
  switch (mode) {
    case RoundingMode::kDown:  // towards zero
      if (negative && r != 0) ++q;
      break;
    case RoundingMode::kUp:  // away from zero
      if (!negative && r != 0) ++q;
      break;
    case RoundingMode::kHalfUp:  // ties away from zero
      if (2 * r > denominator || (2 * r == denominator && !negative)) ++q;
      break;
    case RoundingMode::kHalfEven:
      if (2 * r > denominator || (2 * r == denominator && (q & 1) != 0)) ++q;
      break;
  }
  *fits = q >= std::numeric_limits<int64_t>::min() && q <= std::numeric_limits<int64_t>::max();
  return *fits ? static_cast<int64_t>(q) : 0;
}

void CheckMulDiv(absl::string_view line) {
  std::vector<absl::string_view> p = absl::StrSplit(line, ' ');
  if (p.size() != 4) return;
  int64_t value = 0, numerator = 0, denominator = 0;
  if (!absl::SimpleAtoi(p[0], &value) || !absl::SimpleAtoi(p[1], &numerator) ||
      !absl::SimpleAtoi(p[2], &denominator)) {
    return;
  }
  absl::StatusOr<RoundingMode> mode = aggpay::common::ParseRoundingMode(p[3]);
  if (!mode.ok()) return;
  FUZZ_CHECK(
      aggpay::common::ParseRoundingMode(aggpay::common::RoundingModeName(*mode)).value() == *mode,
      std::string(p[3]));
  absl::StatusOr<int64_t> got = aggpay::common::MulDiv(value, numerator, denominator, *mode);
  const std::string what = absl::StrCat(value, " * ", numerator, " / ", denominator, " ", p[3]);
  if (denominator <= 0) {
    FUZZ_CHECK(!got.ok(), what);
    return;
  }
  bool fits = false;
  const int64_t want = Round(static_cast<__int128>(value) * numerator, denominator, *mode, &fits);
  FUZZ_CHECK(got.ok() == fits, absl::StrCat(what, ": ", got.status().ToString()));
  if (fits) {
    FUZZ_CHECK(*got == want, absl::StrCat(what, " = ", *got, ", want ", want));
    // The unchecked fast path, within its precondition: the product fits in int64.
    const __int128 product = static_cast<__int128>(value) * numerator;
    if (value >= 0 && numerator >= 0 && product <= std::numeric_limits<int64_t>::max()) {
      FUZZ_CHECK(aggpay::common::MulDivNonNegative(value, numerator, denominator, *mode) == want,
                 what);
    }
  }
  // The fee hot path for every amount a plan may accept and every rate, whatever the
  // denominator given: amount * ppm / 10^6, split above INT64_MAX / 10^6.
  if (value >= 0 && value <= aggpay::fee::kMaxAmountLimit && numerator >= 0 &&
      numerator <= aggpay::fee::kPpmScale) {
    bool rate_fits = false;
    const int64_t rate_want =
        Round(static_cast<__int128>(value) * numerator, aggpay::fee::kPpmScale, *mode, &rate_fits);
    FUZZ_CHECK(rate_fits && aggpay::fee::ApplyRatePpm(value, numerator, *mode) == rate_want,
               absl::StrCat("ApplyRatePpm(", value, ", ", numerator, ", ", p[3],
                            ") = ", aggpay::fee::ApplyRatePpm(value, numerator, *mode), ", want ",
                            rate_want));
  }
}

void CheckAllocate(int64_t amount, const std::vector<int64_t>& weights, Currency currency,
                   absl::string_view line) {
  const Money total(amount, currency);
  absl::StatusOr<std::vector<Money>> parts = total.Allocate(weights);
  __int128 weight_sum = 0;
  bool any_negative = false;
  for (int64_t w : weights) {
    weight_sum += w;
    any_negative |= w < 0;
  }
  const std::string what = absl::StrCat("Allocate(", amount, ": ", line, ")");
  if (any_negative || weight_sum == 0) {
    FUZZ_CHECK(!parts.ok(), what);
    return;
  }
  FUZZ_CHECK(parts.ok(), absl::StrCat(what, ": ", parts.status().ToString()));
  FUZZ_CHECK(parts->size() == weights.size(), what);
  __int128 sum = 0;
  for (size_t i = 0; i < parts->size(); ++i) {
    const Money& part = (*parts)[i];
    FUZZ_CHECK(part.currency() == currency, what);
    sum += part.amount_minor();
    // Within one minor unit of the exact share amount * w / sum, so part * sum within sum of it.
    const __int128 exact = static_cast<__int128>(amount) * weights[i];
    const __int128 scaled = static_cast<__int128>(part.amount_minor()) * weight_sum;
    const __int128 diff = scaled > exact ? scaled - exact : exact - scaled;
    FUZZ_CHECK(diff < weight_sum,
               absl::StrCat(what, ": part ", i, " is ", part.amount_minor(), ", exact share ",
                            Str128(exact), "/", Str128(weight_sum)));
  }
  FUZZ_CHECK(sum == amount, absl::StrCat(what, ": parts add up to ", Str128(sum)));
}

// "AMOUNT WEIGHT...": that amount, and the int64 bounds, split by those weights.
void CheckAllocate(absl::string_view line, Currency currency) {
  std::vector<absl::string_view> p = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (p.size() < 2 || p.size() > 64) return;
  int64_t amount = 0;
  if (!absl::SimpleAtoi(p[0], &amount)) return;
  std::vector<int64_t> weights;
  for (size_t i = 1; i < p.size(); ++i) {
    int64_t w = 0;
    if (!absl::SimpleAtoi(p[i], &w)) return;
    weights.push_back(w);
  }
  for (int64_t a :
       {amount, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    CheckAllocate(a, weights, currency, line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> f = aggpay::fuzz::Fields(aggpay::fuzz::AsText(data, size), 4);
  absl::StatusOr<Currency> currency = Currency::Find(f[0]);
  if (currency.ok()) {
    FUZZ_CHECK(currency->code() == f[0], f[0]);
    FUZZ_CHECK(currency->exponent() >= 0 && currency->exponent() <= 3, f[0]);
    CheckParse(f[1], *currency);
  }
  // Every exponent, whatever the first line says.
  for (absl::string_view code : {"JPY", "CNY", "KWD"})
    CheckParse(f[1], Currency::Find(code).value());
  CheckMulDiv(f[2]);
  CheckAllocate(f[3], currency.ok() ? *currency : Currency::Find("CNY").value());
  return 0;
}
