#include "services/common/money/money.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"

namespace aggpay::common {

struct CurrencyTable {
  static constexpr std::array<Currency, 18> kCurrencies = {
      Currency({'C', 'N', 'Y'}, 2), Currency({'U', 'S', 'D'}, 2), Currency({'E', 'U', 'R'}, 2),
      Currency({'J', 'P', 'Y'}, 0), Currency({'H', 'K', 'D'}, 2), Currency({'G', 'B', 'P'}, 2),
      Currency({'S', 'G', 'D'}, 2), Currency({'A', 'U', 'D'}, 2), Currency({'C', 'A', 'D'}, 2),
      Currency({'C', 'H', 'F'}, 2), Currency({'M', 'O', 'P'}, 2), Currency({'T', 'W', 'D'}, 2),
      Currency({'T', 'H', 'B'}, 2), Currency({'M', 'Y', 'R'}, 2), Currency({'K', 'R', 'W'}, 0),
      Currency({'V', 'N', 'D'}, 0), Currency({'K', 'W', 'D'}, 3), Currency({'B', 'H', 'D'}, 3),
  };
};

namespace {

constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000};

int64_t Pow10(int exponent) { return kPow10[exponent]; }

}  // namespace

absl::StatusOr<Currency> Currency::Find(absl::string_view code, absl::string_view field) {
  if (code.empty()) return InvalidField(field, "is required");
  if (code.size() == 3) {
    for (const Currency& c : CurrencyTable::kCurrencies) {
      if (c.code() == code) return c;
    }
  }
  return InvalidField(field, absl::StrCat("unknown currency code \"", code,
                                          "\" (want an ISO 4217 code such as CNY, USD, EUR, JPY)"));
}

int64_t Currency::minor_per_major() const { return Pow10(exponent_); }

absl::StatusOr<RoundingMode> ParseRoundingMode(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  if (lower.empty() || lower == "half_up" || lower == "half-up") return RoundingMode::kHalfUp;
  if (lower == "half_even" || lower == "half-even") return RoundingMode::kHalfEven;
  if (lower == "down") return RoundingMode::kDown;
  if (lower == "up") return RoundingMode::kUp;
  return InvalidField("rounding", "must be one of half_up, half_even, down, up");
}

absl::string_view RoundingModeName(RoundingMode mode) {
  switch (mode) {
    case RoundingMode::kHalfUp:
      return "half_up";
    case RoundingMode::kHalfEven:
      return "half_even";
    case RoundingMode::kDown:
      return "down";
    case RoundingMode::kUp:
      return "up";
  }
  return "half_up";
}

absl::StatusOr<int64_t> MulDiv(int64_t value, int64_t numerator, int64_t denominator,
                               RoundingMode mode) {
  if (denominator <= 0) return absl::InvalidArgumentError("denominator must be positive");
  const __int128 product = static_cast<__int128>(value) * numerator;
  const bool negative = product < 0;
  const __int128 magnitude = negative ? -product : product;
  __int128 quotient = magnitude / denominator;
  const __int128 remainder = magnitude % denominator;
  switch (mode) {
    case RoundingMode::kDown:
      break;
    case RoundingMode::kUp:
      if (remainder != 0) ++quotient;
      break;
    case RoundingMode::kHalfUp:
      if (2 * remainder >= denominator) ++quotient;
      break;
    case RoundingMode::kHalfEven:
      if (2 * remainder > denominator || (2 * remainder == denominator && (quotient & 1) != 0)) {
        ++quotient;
      }
      break;
  }
  const __int128 result = negative ? -quotient : quotient;
  if (result > std::numeric_limits<int64_t>::max() ||
      result < std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError("amount overflows");
  }
  return static_cast<int64_t>(result);
}

absl::StatusOr<Money> Money::Of(int64_t amount_minor, absl::string_view currency_code) {
  auto currency = Currency::Find(currency_code);
  if (!currency.ok()) return currency.status();
  return Money(amount_minor, *currency);
}

absl::StatusOr<Money> Money::Parse(absl::string_view decimal, Currency currency,
                                   absl::string_view field) {
  absl::string_view s = decimal;
  if (s.empty()) return InvalidField(field, "is required");
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  absl::string_view whole = s.substr(0, dot);
  absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : s.substr(dot + 1);
  const auto all_digits = [](absl::string_view p) {
    return std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (dot != absl::string_view::npos && fraction.empty())) {
    return InvalidField(field, absl::StrCat("\"", decimal, "\" is not a decimal amount"));
  }
  if (static_cast<int>(fraction.size()) > currency.exponent()) {
    return InvalidField(
        field,
        currency.exponent() == 0
            ? absl::StrCat(currency.code(), " has no minor unit; \"", decimal, "\" has a fraction")
            : absl::StrCat("\"", decimal, "\" has more than ", currency.exponent(),
                           " decimal places for ", currency.code()));
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  const auto push_digit = [&](char c) {
    const int64_t d = c - '0';
    if (value > (kMax - d) / 10) return false;
    value = value * 10 + d;
    return true;
  };
  bool ok = true;
  for (char c : whole) ok = ok && push_digit(c);
  for (char c : fraction) ok = ok && push_digit(c);
  for (int i = static_cast<int>(fraction.size()); i < currency.exponent(); ++i) {
    ok = ok && push_digit('0');
  }
  if (!ok) return InvalidField(field, "amount is too large");
  return Money(negative ? -value : value, currency);
}

std::string Money::ToDecimal() const {
  const int exponent = currency_.exponent();
  // Work in unsigned magnitude so that INT64_MIN prints correctly.
  const uint64_t magnitude = amount_minor_ < 0 ? 0 - static_cast<uint64_t>(amount_minor_)
                                               : static_cast<uint64_t>(amount_minor_);
  std::string out = amount_minor_ < 0 ? "-" : "";
  if (exponent == 0) return absl::StrCat(out, magnitude);
  const uint64_t unit = static_cast<uint64_t>(Pow10(exponent));
  std::string frac = std::to_string(magnitude % unit);
  frac.insert(0, static_cast<size_t>(exponent) - frac.size(), '0');
  return absl::StrCat(out, magnitude / unit, ".", frac);
}

std::string Money::ToString() const { return absl::StrCat(ToDecimal(), " ", currency_.code()); }

absl::StatusOr<Money> Money::Add(const Money& other) const {
  if (!(currency_ == other.currency_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency mismatch: ", currency_.code(), " and ", other.currency_.code()));
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(amount_minor_, other.amount_minor_, &sum)) {
    return absl::OutOfRangeError("amount overflows");
  }
  return Money(sum, currency_);
}

absl::StatusOr<Money> Money::Subtract(const Money& other) const {
  if (!(currency_ == other.currency_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency mismatch: ", currency_.code(), " and ", other.currency_.code()));
  }
  int64_t difference = 0;
  if (__builtin_sub_overflow(amount_minor_, other.amount_minor_, &difference)) {
    return absl::OutOfRangeError("amount overflows");
  }
  return Money(difference, currency_);
}

absl::StatusOr<Money> Money::Negate() const {
  if (amount_minor_ == std::numeric_limits<int64_t>::min()) {
    return absl::OutOfRangeError("amount overflows");
  }
  return Money(-amount_minor_, currency_);
}

absl::StatusOr<std::vector<Money>> Money::Allocate(std::span<const int64_t> weights) const {
  if (weights.empty()) return absl::InvalidArgumentError("weights: at least one is required");
  __int128 total_weight = 0;
  for (int64_t w : weights) {
    if (w < 0) return absl::InvalidArgumentError("weights: must not be negative");
    total_weight += w;
  }
  if (total_weight == 0) return absl::InvalidArgumentError("weights: must not all be zero");

  const bool negative = amount_minor_ < 0;
  const __int128 magnitude =
      negative ? -static_cast<__int128>(amount_minor_) : static_cast<__int128>(amount_minor_);
  // Magnitudes in 128 bits: the magnitude of INT64_MIN, a whole part of it, does not fit int64.
  std::vector<__int128> parts(weights.size());
  std::vector<std::pair<__int128, size_t>> remainders;
  remainders.reserve(weights.size());
  __int128 allocated = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 exact = magnitude * weights[i];
    parts[i] = exact / total_weight;
    allocated += parts[i];
    remainders.emplace_back(exact % total_weight, i);
  }
  // Hand the leftover minor units to the largest remainders; ties go to the earlier part so
  // the result is deterministic.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (__int128 left = magnitude - allocated, k = 0; left > 0; --left, ++k) {
    ++parts[remainders[static_cast<size_t>(k)].second];
  }
  std::vector<Money> out;
  out.reserve(parts.size());
  for (__int128 p : parts) out.emplace_back(static_cast<int64_t>(negative ? -p : p), currency_);
  return out;
}

}  // namespace aggpay::common
