#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::common {

// An ISO 4217 currency: its three-letter code and the exponent of its minor unit
// (CNY 2: 1 yuan = 100 fen; JPY 0: the yen has no minor unit).
class Currency {
 public:
  // Looks a code up in the table of supported currencies. INVALID_ARGUMENT naming `field`
  // for an unknown or malformed code.
  static absl::StatusOr<Currency> Find(absl::string_view code,
                                       absl::string_view field = "currency");

  absl::string_view code() const { return {code_.data(), 3}; }
  int exponent() const { return exponent_; }
  // 10^exponent: how many minor units make one major unit.
  int64_t minor_per_major() const;

  friend bool operator==(const Currency& a, const Currency& b) { return a.code_ == b.code_; }

 private:
  constexpr Currency(std::array<char, 3> code, int8_t exponent)
      : code_(code), exponent_(exponent) {}
  friend struct CurrencyTable;

  std::array<char, 3> code_;
  int8_t exponent_;
};

// How a division that does not come out even is rounded to a whole minor unit.
enum class RoundingMode {
  kHalfUp,    // 0.5 goes away from zero (the fee rule of DOMAIN.md)
  kHalfEven,  // banker's rounding
  kDown,      // towards zero (truncate)
  kUp,        // away from zero
};

absl::StatusOr<RoundingMode> ParseRoundingMode(absl::string_view name);
absl::string_view RoundingModeName(RoundingMode mode);

// value * numerator / denominator, rounded by `mode`, computed exactly in 128-bit integers.
// Preconditions: denominator > 0. OUT_OF_RANGE when the result does not fit in int64.
absl::StatusOr<int64_t> MulDiv(int64_t value, int64_t numerator, int64_t denominator,
                               RoundingMode mode);

// The unchecked fast path of MulDiv for callers that have bounded their inputs so that
// value * numerator fits in int64. Only non-negative value and numerator. The fee hot path
// (fee::ApplyRatePpm) calls it only for amounts up to INT64_MAX / 10^6 with ppm <= 10^6, and
// splits larger amounts: 10^15 * 10^6 would not fit.
inline int64_t MulDivNonNegative(int64_t value, int64_t numerator, int64_t denominator,
                                 RoundingMode mode) {
  const int64_t product = value * numerator;
  const int64_t quotient = product / denominator;
  const int64_t remainder = product % denominator;
  switch (mode) {
    case RoundingMode::kDown:
      return quotient;
    case RoundingMode::kUp:
      return quotient + (remainder != 0 ? 1 : 0);
    // The remainder is compared with what is left of the denominator, never doubled:
    // 2 * remainder overflows once the denominator passes INT64_MAX / 2.
    case RoundingMode::kHalfUp:
      return quotient + (remainder >= denominator - remainder ? 1 : 0);
    case RoundingMode::kHalfEven: {
      const int64_t rest = denominator - remainder;
      if (remainder > rest || (remainder == rest && (quotient & 1) != 0)) return quotient + 1;
      return quotient;
    }
  }
  return quotient;
}

// An amount of money: an integer count of minor units in one currency. Never floating point.
class Money {
 public:
  Money(int64_t amount_minor, Currency currency)
      : amount_minor_(amount_minor), currency_(currency) {}

  // From minor units and a currency code.
  static absl::StatusOr<Money> Of(int64_t amount_minor, absl::string_view currency_code);
  static Money Zero(Currency currency) { return Money(0, currency); }

  // Parses a decimal string in major units ("123.45", "-0.5", "100"), exactly. More fraction
  // digits than the currency's exponent is INVALID_ARGUMENT naming `field` ("1.005" CNY,
  // "1.5" JPY); so is anything that is not a plain decimal or overflows.
  static absl::StatusOr<Money> Parse(absl::string_view decimal, Currency currency,
                                     absl::string_view field = "amount");

  int64_t amount_minor() const { return amount_minor_; }
  Currency currency() const { return currency_; }
  bool is_zero() const { return amount_minor_ == 0; }
  bool is_negative() const { return amount_minor_ < 0; }
  bool is_positive() const { return amount_minor_ > 0; }

  // "123.45 CNY" style decimal in major units, without the code: "123.45", "-0.05", "100" (JPY).
  std::string ToDecimal() const;
  std::string ToString() const;  // "123.45 CNY"

  // Checked arithmetic: INVALID_ARGUMENT on mixed currencies, OUT_OF_RANGE on overflow.
  absl::StatusOr<Money> Add(const Money& other) const;
  absl::StatusOr<Money> Subtract(const Money& other) const;
  absl::StatusOr<Money> Negate() const;

  // Splits this amount in proportion to the weights by the largest-remainder method: the parts
  // are each within one minor unit of the exact share and always add up exactly to this amount.
  // INVALID_ARGUMENT when weights are empty, negative or all zero.
  absl::StatusOr<std::vector<Money>> Allocate(std::span<const int64_t> weights) const;

  friend bool operator==(const Money& a, const Money& b) {
    return a.amount_minor_ == b.amount_minor_ && a.currency_ == b.currency_;
  }

 private:
  int64_t amount_minor_;
  Currency currency_;
};

}  // namespace aggpay::common
