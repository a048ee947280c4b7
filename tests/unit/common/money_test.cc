#include "services/common/money/money.h"

#include <gtest/gtest.h>

#include <limits>
#include <numeric>
#include <random>

namespace aggpay::common {
namespace {

Currency Cur(absl::string_view code) { return *Currency::Find(code); }

TEST(CurrencyTest, ExponentsFollowIso4217) {
  EXPECT_EQ(Cur("CNY").exponent(), 2);
  EXPECT_EQ(Cur("USD").exponent(), 2);
  EXPECT_EQ(Cur("EUR").exponent(), 2);
  EXPECT_EQ(Cur("JPY").exponent(), 0);
  EXPECT_EQ(Cur("KWD").exponent(), 3);
  EXPECT_EQ(Cur("JPY").minor_per_major(), 1);
  EXPECT_EQ(Cur("CNY").minor_per_major(), 100);
}

TEST(CurrencyTest, UnknownCodeNamesTheField) {
  auto c = Currency::Find("XYZ", "plan.currency");
  ASSERT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("plan.currency"), absl::string_view::npos);
  EXPECT_FALSE(Currency::Find("cny").ok());
  EXPECT_FALSE(Currency::Find("").ok());
}

struct ParseCase {
  const char* text;
  const char* currency;
  bool ok;
  int64_t minor;
};

class MoneyParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(MoneyParseTest, ParsesExactlyOrRejects) {
  const ParseCase& c = GetParam();
  auto m = Money::Parse(c.text, Cur(c.currency));
  ASSERT_EQ(m.ok(), c.ok) << c.text << " " << c.currency << " " << m.status();
  if (c.ok) {
    EXPECT_EQ(m->amount_minor(), c.minor);
  } else {
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("amount"), absl::string_view::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, MoneyParseTest,
    ::testing::Values(ParseCase{"123.45", "CNY", true, 12345}, ParseCase{"0.01", "CNY", true, 1},
                      ParseCase{"100", "CNY", true, 10000}, ParseCase{"1.5", "CNY", true, 150},
                      ParseCase{"-0.05", "CNY", true, -5}, ParseCase{"1.005", "CNY", false, 0},
                      ParseCase{"1500", "JPY", true, 1500}, ParseCase{"1.5", "JPY", false, 0},
                      ParseCase{"1.", "CNY", false, 0}, ParseCase{".5", "CNY", false, 0},
                      ParseCase{"1e3", "CNY", false, 0}, ParseCase{"", "CNY", false, 0},
                      ParseCase{"12a", "CNY", false, 0}, ParseCase{"1.234", "KWD", true, 1234},
                      ParseCase{"92233720368547758.07", "CNY", true, INT64_MAX},
                      ParseCase{"92233720368547758.08", "CNY", false, 0}));

TEST(MoneyTest, FormatsInMajorUnits) {
  EXPECT_EQ(Money(12345, Cur("CNY")).ToDecimal(), "123.45");
  EXPECT_EQ(Money(-5, Cur("CNY")).ToDecimal(), "-0.05");
  EXPECT_EQ(Money(1500, Cur("JPY")).ToDecimal(), "1500");
  EXPECT_EQ(Money(7, Cur("USD")).ToString(), "0.07 USD");
  EXPECT_EQ(Money(INT64_MIN, Cur("CNY")).ToDecimal(), "-92233720368547758.08");
}

TEST(MoneyTest, ArithmeticIsChecked) {
  Money a(100, Cur("CNY"));
  EXPECT_EQ(a.Add(Money(23, Cur("CNY")))->amount_minor(), 123);
  EXPECT_EQ(a.Subtract(Money(123, Cur("CNY")))->amount_minor(), -23);
  EXPECT_EQ(a.Add(Money(1, Cur("USD"))).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Money(INT64_MAX, Cur("CNY")).Add(Money(1, Cur("CNY"))).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Money(INT64_MIN, Cur("CNY")).Negate().status().code(), absl::StatusCode::kOutOfRange);
}

TEST(MulDivTest, RoundingModesAtTheHalf) {
  // 0.38% of 131.58 = 49.9999...; 0.6% of 0.75 CNY = 0.45 fen; 25 * 1/10 = 2.5
  EXPECT_EQ(*MulDiv(25, 1, 10, RoundingMode::kHalfUp), 3);
  EXPECT_EQ(*MulDiv(25, 1, 10, RoundingMode::kHalfEven), 2);
  EXPECT_EQ(*MulDiv(35, 1, 10, RoundingMode::kHalfEven), 4);
  EXPECT_EQ(*MulDiv(25, 1, 10, RoundingMode::kDown), 2);
  EXPECT_EQ(*MulDiv(21, 1, 10, RoundingMode::kUp), 3);
  EXPECT_EQ(*MulDiv(75, 6000, 1000000, RoundingMode::kHalfUp), 0);
  EXPECT_EQ(*MulDiv(-25, 1, 10, RoundingMode::kHalfUp), -3);
  EXPECT_EQ(*MulDiv(INT64_MAX, 1000000, 1000000, RoundingMode::kHalfUp), INT64_MAX);
  EXPECT_EQ(MulDiv(INT64_MAX, 2, 1, RoundingMode::kHalfUp).status().code(),
            absl::StatusCode::kOutOfRange);
  for (int64_t v : {0, 1, 49, 50, 51, 99, 12345, 999999}) {
    for (auto mode :
         {RoundingMode::kHalfUp, RoundingMode::kHalfEven, RoundingMode::kDown, RoundingMode::kUp}) {
      EXPECT_EQ(MulDivNonNegative(v, 3800, 1000000, mode), *MulDiv(v, 3800, 1000000, mode));
    }
  }
  // A denominator above INT64_MAX / 2: the remainder must not be doubled (found by fuzz_money).
  const int64_t big = INT64_MAX - 4;
  EXPECT_EQ(MulDivNonNegative(big - 1, 1, big, RoundingMode::kHalfUp), 1);
  EXPECT_EQ(MulDivNonNegative(big - 1, 1, big, RoundingMode::kHalfEven), 1);
  EXPECT_EQ(MulDivNonNegative(big / 2, 1, big, RoundingMode::kHalfUp), 0);
  EXPECT_EQ(MulDivNonNegative(big / 2 + 1, 1, big, RoundingMode::kHalfUp), 1);
  EXPECT_EQ(MulDivNonNegative(INT64_MAX / 2, 1, INT64_MAX - 1, RoundingMode::kHalfUp), 1);
  EXPECT_EQ(MulDivNonNegative(INT64_MAX / 2, 1, INT64_MAX - 1, RoundingMode::kHalfEven), 0);
}

TEST(AllocateTest, SplitsExactlyByLargestRemainder) {
  Money total(100, Cur("CNY"));
  auto parts = total.Allocate(std::vector<int64_t>{1, 1, 1});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[0].amount_minor(), 34);
  EXPECT_EQ((*parts)[1].amount_minor(), 33);
  EXPECT_EQ((*parts)[2].amount_minor(), 33);
  EXPECT_FALSE(total.Allocate(std::vector<int64_t>{}).ok());
  EXPECT_FALSE(total.Allocate(std::vector<int64_t>{0, 0}).ok());
  EXPECT_FALSE(total.Allocate(std::vector<int64_t>{1, -1}).ok());
  auto neg = Money(-7, Cur("JPY")).Allocate(std::vector<int64_t>{1, 1});
  EXPECT_EQ((*neg)[0].amount_minor() + (*neg)[1].amount_minor(), -7);
}

// Found by fuzzing (tests/fuzz/regressions/money): the magnitude of INT64_MIN does not fit int64,
// and the leftover loop then ran past the parts.
TEST(AllocateTest, TheMostNegativeAmountSplitsToo) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  auto whole = Money(kMin, Cur("CNY")).Allocate(std::vector<int64_t>{1});
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ((*whole)[0].amount_minor(), kMin);
  auto halves = Money(kMin, Cur("CNY")).Allocate(std::vector<int64_t>{1, 1, 0});
  ASSERT_TRUE(halves.ok()) << halves.status();
  EXPECT_EQ((*halves)[0].amount_minor(), kMin / 2);
  EXPECT_EQ((*halves)[1].amount_minor(), kMin / 2);
  EXPECT_EQ((*halves)[2].amount_minor(), 0);
}

TEST(AllocateTest, PropertyPartsAlwaysAddBackToTheTotal) {
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int64_t> amount(-1'000'000'000'000, 1'000'000'000'000);
  std::uniform_int_distribution<int> count(1, 12);
  std::uniform_int_distribution<int64_t> weight(0, 1'000'000);
  for (int i = 0; i < 20000; ++i) {
    const Money total(amount(rng), Cur(i % 2 ? "CNY" : "JPY"));
    std::vector<int64_t> weights(static_cast<size_t>(count(rng)));
    for (auto& w : weights) w = weight(rng);
    weights[0] += 1;  // never all zero
    auto parts = total.Allocate(weights);
    ASSERT_TRUE(parts.ok());
    int64_t sum = 0;
    for (const auto& p : *parts) sum += p.amount_minor();
    ASSERT_EQ(sum, total.amount_minor());
    const int64_t weight_sum = std::accumulate(weights.begin(), weights.end(), int64_t{0});
    for (size_t k = 0; k < weights.size(); ++k) {
      // Each part is within one minor unit of its exact share.
      const long double exact = static_cast<long double>(total.amount_minor()) * weights[k] /
                                static_cast<long double>(weight_sum);
      ASSERT_LE(std::abs(static_cast<long double>((*parts)[k].amount_minor()) - exact), 1.0L);
    }
  }
}

}  // namespace
}  // namespace aggpay::common
