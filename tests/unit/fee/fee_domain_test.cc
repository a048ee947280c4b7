#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "services/common/money/money.h"
#include "services/common/status/field_errors.h"
#include "services/fee/domain/compare_plans.h"
#include "services/fee/domain/fee_calculator.h"
#include "services/fee/domain/fee_plan.h"
#include "services/fee/domain/profit_share.h"
#include "services/fee/domain/refund.h"
#include "services/fee/domain/seed_plans.h"

namespace aggpay::common {

void PrintTo(const Money& money, std::ostream* os) { *os << money.ToString(); }

}  // namespace aggpay::common

namespace aggpay::fee {
namespace {

using common::Currency;
using common::Money;
using common::RoundingMode;

Currency Cur(const char* code) { return Currency::Find(code).value(); }
Money Cny(int64_t fen) { return {fen, Cur("CNY")}; }

// A plan charging `ppm` on every channel, without cap or minimum.
FeePlan RatePlan(int64_t ppm, RoundingMode rounding = RoundingMode::kHalfUp,
                 const char* currency = "CNY") {
  return FeePlan{.id = "test-plan",
                 .currency = Cur(currency),
                 .rate_ppm = {ppm, ppm, ppm},
                 .rounding = rounding};
}

int64_t QuotedFee(const FeePlan& plan, int64_t amount_minor, Channel channel = Channel::kWechat) {
  absl::StatusOr<Quote> quote = QuoteFee(plan, channel, Money(amount_minor, plan.currency));
  EXPECT_TRUE(quote.ok()) << quote.status();
  if (!quote.ok()) return -1;
  EXPECT_EQ(quote->fee.amount_minor() + quote->net.amount_minor(), amount_minor);
  EXPECT_EQ(quote->fee.currency(), plan.currency);
  return quote->fee.amount_minor();
}

void ExpectInvalidField(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(common::ErrorField(status), field) << status;
}

// ---------------------------------------------------------------- plans, channels, seeds

TEST(FeePlanTest, ChannelNamesRoundTrip) {
  for (Channel channel : kAllChannels) {
    absl::StatusOr<Channel> parsed = ParseChannel(ChannelName(channel));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, channel);
  }
  EXPECT_EQ(ChannelName(Channel::kWechat), "wechat");
  EXPECT_EQ(ChannelName(Channel::kAlipay), "alipay");
  EXPECT_EQ(ChannelName(Channel::kUnionpay), "unionpay");
  for (const char* bad : {"", "WeChat", "visa", "alipay "}) {
    ExpectInvalidField(ParseChannel(bad).status(), "channel");
  }
}

TEST(FeePlanTest, SettlementCycleNamesRoundTrip) {
  EXPECT_EQ(ParseSettlementCycle("T1").value(), SettlementCycle::kT1);
  EXPECT_EQ(ParseSettlementCycle("D0").value(), SettlementCycle::kD0);
  EXPECT_EQ(SettlementCycleName(SettlementCycle::kT1), "T1");
  EXPECT_EQ(SettlementCycleName(SettlementCycle::kD0), "D0");
  for (const char* bad : {"", "t1", "T0", "D1"}) {
    ExpectInvalidField(ParseSettlementCycle(bad).status(), "settlement");
  }
}

TEST(FeePlanTest, MaxAmountDefaultsToTenMillionMajorUnits) {
  EXPECT_EQ(RatePlan(1000, RoundingMode::kHalfUp, "CNY").max_amount_minor, 1'000'000'000);
  EXPECT_EQ(RatePlan(1000, RoundingMode::kHalfUp, "JPY").max_amount_minor, 10'000'000);
  EXPECT_EQ(RatePlan(1000, RoundingMode::kHalfUp, "USD").max_amount_minor, 1'000'000'000);
}

TEST(FeePlanTest, SeededBankPlan) {
  const FeePlan plan = BankStandardPlan();
  EXPECT_TRUE(ValidatePlan(plan).ok());
  EXPECT_EQ(plan.id, "bank-standard");
  EXPECT_EQ(plan.version, 1);
  EXPECT_EQ(plan.currency, Cur("CNY"));
  EXPECT_EQ(plan.settlement, SettlementCycle::kT1);
  for (Channel channel : kAllChannels) EXPECT_EQ(plan.RatePpm(channel), 3800);
  EXPECT_EQ(plan.cap_minor, std::optional<int64_t>(2000));
  EXPECT_FALSE(plan.min_fee_minor.has_value());
  EXPECT_EQ(plan.channel_cost_ppm, 2000);
  EXPECT_EQ(plan.rounding, RoundingMode::kHalfUp);
  EXPECT_EQ(plan.max_amount_minor, 1'000'000'000);
  EXPECT_EQ(plan.effective_from, absl::FromUnixSeconds(1767225600));
  EXPECT_TRUE(plan.requires_corporate_account);
}

TEST(FeePlanTest, SeededIndependentPlan) {
  const FeePlan plan = IndependentStandardPlan();
  EXPECT_TRUE(ValidatePlan(plan).ok());
  EXPECT_EQ(plan.id, "independent-standard");
  EXPECT_EQ(plan.currency, Cur("CNY"));
  EXPECT_EQ(plan.settlement, SettlementCycle::kD0);
  for (Channel channel : kAllChannels) EXPECT_EQ(plan.RatePpm(channel), 6000);
  EXPECT_FALSE(plan.cap_minor.has_value());
  EXPECT_EQ(plan.channel_cost_ppm, 2000);
  EXPECT_FALSE(plan.requires_corporate_account);
}

TEST(FeePlanTest, ValidationNamesTheField) {
  struct Case {
    const char* name;
    void (*mutate)(FeePlan&);
    const char* field;  // nullptr: valid
  };
  const Case cases[] = {
      {"seed is valid", [](FeePlan&) {}, nullptr},
      {"empty id", [](FeePlan& p) { p.id = ""; }, "id"},
      {"upper-case id", [](FeePlan& p) { p.id = "Bank"; }, "id"},
      {"id with space", [](FeePlan& p) { p.id = "bank standard"; }, "id"},
      {"64-character id", [](FeePlan& p) { p.id = std::string(64, 'a'); }, nullptr},
      {"65-character id", [](FeePlan& p) { p.id = std::string(65, 'a'); }, "id"},
      {"rate 100%", [](FeePlan& p) { p.rate_ppm[1] = 1'000'000; }, nullptr},
      {"rate over 100%", [](FeePlan& p) { p.rate_ppm[1] = 1'000'001; }, "rate_ppm"},
      {"negative rate", [](FeePlan& p) { p.rate_ppm[2] = -1; }, "rate_ppm"},
      {"zero rate",
       [](FeePlan& p) {
         p.rate_ppm = {0, 0, 0};
       },
       nullptr},
      {"channel cost over 100%", [](FeePlan& p) { p.channel_cost_ppm = 1'000'001; },
       "channel_cost_ppm"},
      {"negative channel cost", [](FeePlan& p) { p.channel_cost_ppm = -1; }, "channel_cost_ppm"},
      {"negative cap", [](FeePlan& p) { p.cap_minor = -1; }, "cap"},
      {"zero cap", [](FeePlan& p) { p.cap_minor = 0; }, nullptr},
      {"cap below minimum",
       [](FeePlan& p) {
         p.cap_minor = 99;
         p.min_fee_minor = 100;
       },
       "cap"},
      {"cap equal to minimum",
       [](FeePlan& p) {
         p.cap_minor = 100;
         p.min_fee_minor = 100;
       },
       nullptr},
      {"negative minimum", [](FeePlan& p) { p.min_fee_minor = -1; }, "min"},
      {"zero max amount", [](FeePlan& p) { p.max_amount_minor = 0; }, "max_amount"},
      {"negative max amount", [](FeePlan& p) { p.max_amount_minor = -5; }, "max_amount"},
      {"max amount 10^15", [](FeePlan& p) { p.max_amount_minor = kMaxAmountLimit; }, nullptr},
      {"max amount over 10^15", [](FeePlan& p) { p.max_amount_minor = kMaxAmountLimit + 1; },
       "max_amount"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FeePlan plan = BankStandardPlan();
    c.mutate(plan);
    const absl::Status status = ValidatePlan(plan);
    if (c.field == nullptr) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      ExpectInvalidField(status, c.field);
    }
  }
}

// ---------------------------------------------------------------- quotes

TEST(QuoteFeeTest, DomainExamples) {
  // 0.38% of 1.00 CNY is 0.38 fen: 0 fen.
  EXPECT_EQ(QuotedFee(BankStandardPlan(), 100), 0);
  // 0.6% of 0.75 CNY is 0.45 fen: 0 fen.
  EXPECT_EQ(QuotedFee(IndependentStandardPlan(), 75), 0);
  // 0.38% of 10,000.00 CNY is 38.00 CNY uncapped, 20.00 CNY under the bank plan's cap.
  EXPECT_EQ(QuotedFee(RatePlan(3800), 1'000'000), 3800);
  EXPECT_EQ(QuotedFee(BankStandardPlan(), 1'000'000), 2000);
  // 0.6% of 10,000.00 CNY is 60.00 CNY, no cap.
  EXPECT_EQ(QuotedFee(IndependentStandardPlan(), 1'000'000), 6000);
}

TEST(QuoteFeeTest, NetIsAmountMinusFee) {
  absl::StatusOr<Quote> quote = QuoteFee(BankStandardPlan(), Channel::kAlipay, Cny(1'000'000));
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->fee, Cny(2000));
  EXPECT_EQ(quote->net, Cny(998'000));
}

struct RoundingCase {
  int64_t ppm;
  int64_t amount;
  int64_t half_up;
  int64_t half_even;
  int64_t down;
  int64_t up;
};

TEST(QuoteFeeTest, RoundingEdges) {
  const RoundingCase cases[] = {
      // 0.38%: 2500 fen -> 9.5 fen exactly; 7500 -> 28.5 exactly; neighbours just under/over.
      {3800, 2500, 10, 10, 9, 10},
      {3800, 2499, 9, 9, 9, 10},
      {3800, 2501, 10, 10, 9, 10},
      {3800, 7500, 29, 28, 28, 29},
      {3800, 7499, 28, 28, 28, 29},
      {3800, 7501, 29, 29, 28, 29},
      // 0.6%: 250 -> 1.5, 750 -> 4.5, 83 -> 0.498, 84 -> 0.504.
      {6000, 250, 2, 2, 1, 2},
      {6000, 249, 1, 1, 1, 2},
      {6000, 251, 2, 2, 1, 2},
      {6000, 750, 5, 4, 4, 5},
      {6000, 83, 0, 0, 0, 1},
      {6000, 84, 1, 1, 0, 1},
      // Too small to bear a fee at all, and an exact fee.
      {3800, 1, 0, 0, 0, 1},
      {3800, 131, 0, 0, 0, 1},  // 0.4978 fen
      {3800, 132, 1, 1, 0, 1},  // 0.5016 fen
      {3800, 1'000'000, 3800, 3800, 3800, 3800},
      // 100%, and 0%.
      {1'000'000, 12345, 12345, 12345, 12345, 12345},
      {0, 12345, 0, 0, 0, 0},
  };
  for (const RoundingCase& c : cases) {
    SCOPED_TRACE(testing::Message() << c.ppm << " ppm of " << c.amount);
    EXPECT_EQ(QuotedFee(RatePlan(c.ppm, RoundingMode::kHalfUp), c.amount), c.half_up);
    EXPECT_EQ(QuotedFee(RatePlan(c.ppm, RoundingMode::kHalfEven), c.amount), c.half_even);
    EXPECT_EQ(QuotedFee(RatePlan(c.ppm, RoundingMode::kDown), c.amount), c.down);
    EXPECT_EQ(QuotedFee(RatePlan(c.ppm, RoundingMode::kUp), c.amount), c.up);
  }
}

TEST(QuoteFeeTest, CapBoundary) {
  const FeePlan capped = BankStandardPlan();
  const FeePlan uncapped = RatePlan(3800);
  struct Case {
    int64_t amount;
    int64_t uncapped_fee;
    int64_t capped_fee;
  };
  const Case cases[] = {
      {526'184, 1999, 1999},  // 1999.4992 fen
      {526'185, 2000, 2000},  // 1999.503: first amount whose fee reaches the cap
      {526'316, 2000, 2000},  // 2000.0008
      {526'447, 2000, 2000},  // 2000.4986: the largest fee still equal to the cap uncapped
      {526'448, 2001, 2000},  // 2000.5024: one fen over, the cap applies
      {100'000'000, 380'000, 2000}, {1'000'000'000, 3'800'000, 2000},  // the plan's largest amount
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.amount);
    EXPECT_EQ(QuotedFee(uncapped, c.amount), c.uncapped_fee);
    EXPECT_EQ(QuotedFee(capped, c.amount), c.capped_fee);
  }
}

TEST(QuoteFeeTest, MinimumFee) {
  FeePlan plan = IndependentStandardPlan();
  plan.min_fee_minor = 10;
  plan.cap_minor = 5000;
  EXPECT_EQ(QuotedFee(plan, 1), 10);  // the minimum exceeds the amount: net is -9
  absl::StatusOr<Quote> quote = QuoteFee(plan, Channel::kWechat, Cny(1));
  ASSERT_TRUE(quote.ok());
  EXPECT_EQ(quote->net, Cny(-9));
  EXPECT_EQ(QuotedFee(plan, 100), 10);        // 0.6 fen
  EXPECT_EQ(QuotedFee(plan, 1583), 10);       // 9.498 fen
  EXPECT_EQ(QuotedFee(plan, 1584), 10);       // 9.504 fen rounds to 10
  EXPECT_EQ(QuotedFee(plan, 1750), 11);       // 10.5 fen
  EXPECT_EQ(QuotedFee(plan, 833'333), 5000);  // 4999.998 fen
  EXPECT_EQ(QuotedFee(plan, 900'000), 5000);  // 5400 fen, capped
}

TEST(QuoteFeeTest, PerChannelRates) {
  FeePlan plan = RatePlan(0);
  plan.rate_ppm = {6000, 5500, 3800};
  EXPECT_EQ(QuotedFee(plan, 1'000'000, Channel::kWechat), 6000);
  EXPECT_EQ(QuotedFee(plan, 1'000'000, Channel::kAlipay), 5500);
  EXPECT_EQ(QuotedFee(plan, 1'000'000, Channel::kUnionpay), 3800);
}

TEST(QuoteFeeTest, JapaneseYenHasNoMinorUnit) {
  const FeePlan plan = RatePlan(36'000, RoundingMode::kHalfUp, "JPY");  // 3.6%
  EXPECT_EQ(QuotedFee(plan, 1000), 36);
  EXPECT_EQ(QuotedFee(plan, 125), 5);               // 4.5 yen
  EXPECT_EQ(QuotedFee(plan, 124), 4);               // 4.464 yen
  EXPECT_EQ(QuotedFee(plan, 13), 0);                // 0.468 yen
  EXPECT_EQ(QuotedFee(plan, 14), 1);                // 0.504 yen
  EXPECT_EQ(QuotedFee(plan, 10'000'000), 360'000);  // the largest: 10,000,000 yen
  ExpectInvalidField(QuoteFee(plan, Channel::kAlipay, Money(10'000'001, Cur("JPY"))).status(),
                     "amount");
  EXPECT_EQ(QuotedFee(RatePlan(36'000, RoundingMode::kHalfEven, "JPY"), 125), 4);
}

TEST(QuoteFeeTest, UsDollars) {
  const FeePlan plan = RatePlan(29'000, RoundingMode::kHalfUp, "USD");  // 2.9%
  EXPECT_EQ(QuotedFee(plan, 500), 15);                                  // $5.00: 14.5 cents
  EXPECT_EQ(QuotedFee(plan, 499), 14);                                  // 14.471 cents
  EXPECT_EQ(QuotedFee(plan, 1050), 30);                                 // $10.50: 30.45 cents
  EXPECT_EQ(QuotedFee(plan, 1'000'000'000), 29'000'000);
  EXPECT_EQ(QuotedFee(RatePlan(29'000, RoundingMode::kHalfEven, "USD"), 500), 14);
}

TEST(QuoteFeeTest, RejectsBadAmounts) {
  const FeePlan plan = BankStandardPlan();
  ExpectInvalidField(QuoteFee(plan, Channel::kWechat, Cny(0)).status(), "amount");
  ExpectInvalidField(QuoteFee(plan, Channel::kWechat, Cny(-1)).status(), "amount");
  ExpectInvalidField(QuoteFee(plan, Channel::kWechat, Cny(1'000'000'001)).status(), "amount");
  EXPECT_TRUE(QuoteFee(plan, Channel::kWechat, Cny(1'000'000'000)).ok());
  ExpectInvalidField(QuoteFee(plan, Channel::kWechat, Money(100, Cur("USD"))).status(), "currency");
  ExpectInvalidField(QuoteFee(plan, static_cast<Channel>(7), Cny(100)).status(), "channel");
}

TEST(QuoteFeeTest, RejectsAnInvalidPlan) {
  FeePlan plan = BankStandardPlan();
  plan.rate_ppm[0] = 1'000'001;
  const absl::Status status = QuoteFee(plan, Channel::kWechat, Cny(100)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST(QuoteFeeTest, ItsFastTermsCheckAgreesWithValidatePlanTermsOnEveryBadTerm) {
  std::vector<std::pair<std::string, FeePlan>> plans;
  const auto with = [&](std::string name, auto change) {
    FeePlan plan = BankStandardPlan();
    change(plan);
    plans.emplace_back(std::move(name), plan);
  };
  with("valid", [](FeePlan&) {});
  with("rate above 100%", [](FeePlan& p) { p.rate_ppm[2] = 1'000'001; });
  with("negative rate", [](FeePlan& p) { p.rate_ppm[1] = -1; });
  with("channel cost above 100%", [](FeePlan& p) { p.channel_cost_ppm = 1'000'001; });
  with("negative cap", [](FeePlan& p) { p.cap_minor = -1; });
  with("cap below the minimum", [](FeePlan& p) {
    p.min_fee_minor = 10;
    p.cap_minor = 9;
  });
  with("cap at the minimum", [](FeePlan& p) {
    p.min_fee_minor = 10;
    p.cap_minor = 10;
  });
  with("negative minimum", [](FeePlan& p) { p.min_fee_minor = -1; });
  with("no largest amount", [](FeePlan& p) { p.max_amount_minor = 0; });
  with("largest amount over the limit",
       [](FeePlan& p) { p.max_amount_minor = kMaxAmountLimit + 1; });
  for (const auto& [name, plan] : plans) {
    EXPECT_EQ(PlanTermsValid(plan), ValidatePlanTerms(plan).ok()) << name;
    EXPECT_EQ(QuoteFee(plan, Channel::kWechat, Cny(100)).ok(), ValidatePlanTerms(plan).ok())
        << name;
  }
  EXPECT_TRUE(PlanTermsValid(plans[0].second));
  EXPECT_TRUE(PlanTermsValid(plans[6].second));
  EXPECT_FALSE(PlanTermsValid(plans[1].second));
}

TEST(QuoteFeeTest, AnInvalidIdDoesNotChangeTheFee) {
  FeePlan plan = BankStandardPlan();
  const auto good = QuoteFee(plan, Channel::kWechat, Cny(100'000));
  plan.id = "Not An Id";
  EXPECT_FALSE(ValidatePlan(plan).ok());
  const auto quoted = QuoteFee(plan, Channel::kWechat, Cny(100'000));
  ASSERT_TRUE(good.ok() && quoted.ok());
  EXPECT_EQ(quoted->fee.amount_minor(), good->fee.amount_minor());
  EXPECT_EQ(quoted->fee.amount_minor(), 380);  // 0.38% of 1,000.00 CNY, under the 20.00 cap
}

TEST(FeeMinorTest, AmountsBeyondTheDirectProductAreExact) {
  // Above about 9.2 * 10^12 minor units amount * ppm no longer fits in int64.
  FeePlan plan = RatePlan(500'000, RoundingMode::kHalfEven);  // 50%
  plan.max_amount_minor = kMaxAmountLimit;
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, 10'000'000'000'001), 5'000'000'000'000);
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, 10'000'000'000'003), 5'000'000'000'002);
  // Half-even depends on the parity of the whole quotient, not of the low part's quotient.
  plan.rate_ppm = {1, 999'999, 3};
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, 10'000'001'500'000), 10'000'002);         // ...001.5
  EXPECT_EQ(FeeMinor(plan, Channel::kAlipay, 10'000'001'500'000), 9'999'991'499'998);  // .5
  EXPECT_EQ(FeeMinor(plan, Channel::kAlipay, 10'000'002'500'000), 9'999'992'499'998);  // 7.5
  EXPECT_EQ(FeeMinor(plan, Channel::kUnionpay, 999'999'999'500'000), 2'999'999'998);   // 8.5
  plan.rounding = RoundingMode::kHalfUp;
  EXPECT_EQ(FeeMinor(plan, Channel::kAlipay, 10'000'001'500'000), 9'999'991'499'999);
  EXPECT_EQ(FeeMinor(plan, Channel::kUnionpay, 999'999'999'500'000), 2'999'999'999);
  plan.rate_ppm = {500'000, 500'000, 500'000};
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, 10'000'000'000'001), 5'000'000'000'001);
  plan.rate_ppm = {3800, 1'000'000, 999'999};
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, kMaxAmountLimit), 3'800'000'000'000);
  EXPECT_EQ(FeeMinor(plan, Channel::kWechat, kMaxAmountLimit - 1), 3'800'000'000'000);
  EXPECT_EQ(FeeMinor(plan, Channel::kAlipay, kMaxAmountLimit), kMaxAmountLimit);
  EXPECT_EQ(FeeMinor(plan, Channel::kUnionpay, kMaxAmountLimit), 999'999'000'000'000);
  EXPECT_EQ(FeeMinor(plan, Channel::kUnionpay, 999'999'999'999'999), 999'998'999'999'999);
  EXPECT_EQ(QuotedFee(plan, kMaxAmountLimit, Channel::kAlipay), kMaxAmountLimit);
}

// Independent of the split in ApplyRatePpm: the 128-bit MulDiv of money.h.
int64_t ReferenceFee(const FeePlan& plan, Channel channel, int64_t amount) {
  int64_t fee = common::MulDiv(amount, plan.RatePpm(channel), kPpmScale, plan.rounding).value();
  if (plan.min_fee_minor && fee < *plan.min_fee_minor) fee = *plan.min_fee_minor;
  if (plan.cap_minor && fee > *plan.cap_minor) fee = *plan.cap_minor;
  return fee;
}

TEST(FeeMinorTest, AgreesWithQuoteFeeOnRandomInputs) {
  std::mt19937_64 rng(20260101);
  const RoundingMode modes[] = {RoundingMode::kHalfUp, RoundingMode::kHalfEven, RoundingMode::kDown,
                                RoundingMode::kUp};
  const char* currencies[] = {"CNY", "JPY", "USD"};
  for (int i = 0; i < 20'000; ++i) {
    FeePlan plan = RatePlan(0, modes[rng() % 4], currencies[rng() % 3]);
    for (int64_t& ppm : plan.rate_ppm) {
      ppm = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 1'000'001)
                           : static_cast<int64_t>(rng() % 10'001);
    }
    if (rng() % 3 == 0) plan.min_fee_minor = static_cast<int64_t>(rng() % 1000);
    if (rng() % 3 == 0) {
      plan.cap_minor = plan.min_fee_minor.value_or(0) + static_cast<int64_t>(rng() % 100'000);
    }
    if (rng() % 2 == 0) plan.max_amount_minor = 1 + static_cast<int64_t>(rng() % kMaxAmountLimit);
    // Log-uniform amounts cover fen-sized payments as well as the largest.
    uint64_t magnitude = 1;
    for (int d = 1 + static_cast<int>(rng() % 16); d > 0; --d) magnitude *= 10;
    int64_t amount = 1 + static_cast<int64_t>(rng() % magnitude);
    if (amount > plan.max_amount_minor || i % 100 == 0) amount = plan.max_amount_minor;
    const Channel channel = kAllChannels[rng() % kChannelCount];
    SCOPED_TRACE(testing::Message() << "case " << i << " amount " << amount);
    const int64_t expected = ReferenceFee(plan, channel, amount);
    ASSERT_EQ(FeeMinor(plan, channel, amount), expected);
    ASSERT_EQ(QuotedFee(plan, amount, channel), expected);
  }
}

// ---------------------------------------------------------------- refunds

// Returns each refund's fee return, applying the parts in order.
std::vector<int64_t> RefundInParts(int64_t amount, int64_t fee, const std::vector<int64_t>& parts) {
  std::vector<int64_t> returns;
  int64_t refunded = 0;
  int64_t returned = 0;
  for (int64_t part : parts) {
    absl::StatusOr<Money> back = FeeToReturn({.payment_amount = Cny(amount),
                                              .payment_fee = Cny(fee),
                                              .refunded_before = Cny(refunded),
                                              .fee_returned_before = Cny(returned),
                                              .refund_amount = Cny(part)});
    EXPECT_TRUE(back.ok()) << back.status();
    if (!back.ok()) return returns;
    returns.push_back(back->amount_minor());
    refunded += part;
    returned += back->amount_minor();
  }
  return returns;
}

TEST(RefundTest, WholeRefundReturnsTheWholeFee) {
  EXPECT_EQ(RefundInParts(100'000, 380, {100'000}), (std::vector<int64_t>{380}));
  EXPECT_EQ(RefundInParts(1'000'000, 2000, {1'000'000}), (std::vector<int64_t>{2000}));
  EXPECT_EQ(RefundInParts(100, 0, {100}), (std::vector<int64_t>{0}));
}

TEST(RefundTest, TwoParts) {
  // 380 * 33,333 / 100,000 = 126.67 -> 127; the rest returns 253.
  EXPECT_EQ(RefundInParts(100'000, 380, {33'333, 66'667}), (std::vector<int64_t>{127, 253}));
  // Exactly half of an odd fee: 190.5 rounds up, the second half gets 190.
  EXPECT_EQ(RefundInParts(100'000, 381, {50'000, 50'000}), (std::vector<int64_t>{191, 190}));
}

TEST(RefundTest, ThreeParts) {
  // Cumulative 127, 253 (253.33), 380.
  EXPECT_EQ(RefundInParts(100'000, 380, {33'333, 33'333, 33'334}),
            (std::vector<int64_t>{127, 126, 127}));
}

TEST(RefundTest, ManyParts) {
  // 100 refunds of 1,000 fen: each returns 3.8 fen cumulatively, so 4 or 3 and 380 in all.
  const std::vector<int64_t> returns = RefundInParts(100'000, 380, std::vector<int64_t>(100, 1000));
  ASSERT_EQ(returns.size(), 100u);
  int64_t total = 0;
  for (int64_t r : returns) {
    EXPECT_TRUE(r == 3 || r == 4) << r;
    total += r;
  }
  EXPECT_EQ(total, 380);
  EXPECT_EQ(returns[0], 4);  // 3.8
  EXPECT_EQ(returns[1], 4);  // 7.6 -> 8
  EXPECT_EQ(returns[2], 3);  // 11.4 -> 11
}

TEST(RefundTest, OneFenFeeGoesBackWithTheLargerHalf) {
  // 0.38% of 263 fen = 0.9994 -> 1 fen.
  EXPECT_EQ(QuotedFee(BankStandardPlan(), 263), 1);
  EXPECT_EQ(RefundInParts(263, 1, {131, 132}), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(RefundInParts(263, 1, {132, 131}), (std::vector<int64_t>{1, 0}));
}

TEST(RefundTest, EarlierReturnsAheadOfTheProportionAreAbsorbedLater) {
  // 5 fen was returned for the first 10% (the proportion is 38): nothing now, the rest at the end.
  absl::StatusOr<Money> now = FeeToReturn({.payment_amount = Cny(100'000),
                                           .payment_fee = Cny(380),
                                           .refunded_before = Cny(10'000),
                                           .fee_returned_before = Cny(50),
                                           .refund_amount = Cny(1'000)});
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, Cny(0));
  absl::StatusOr<Money> last = FeeToReturn({.payment_amount = Cny(100'000),
                                            .payment_fee = Cny(380),
                                            .refunded_before = Cny(11'000),
                                            .fee_returned_before = Cny(50),
                                            .refund_amount = Cny(89'000)});
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, Cny(330));
}

TEST(RefundTest, Errors) {
  const RefundFeeInput ok{.payment_amount = Cny(10'000),
                          .payment_fee = Cny(38),
                          .refunded_before = Cny(4'000),
                          .fee_returned_before = Cny(15),
                          .refund_amount = Cny(6'000)};
  ASSERT_EQ(FeeToReturn(ok).value(), Cny(23));

  RefundFeeInput in = ok;
  in.refund_amount = Cny(0);
  ExpectInvalidField(FeeToReturn(in).status(), "refund_amount");
  in.refund_amount = Cny(-100);
  ExpectInvalidField(FeeToReturn(in).status(), "refund_amount");

  in = ok;
  in.refund_amount = Cny(6'001);
  absl::Status status = FeeToReturn(in).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(common::ErrorField(status), "refund_amount");

  in = ok;
  in.refunded_before = Cny(10'000);
  in.refund_amount = Cny(1);
  EXPECT_EQ(FeeToReturn(in).status().code(), absl::StatusCode::kFailedPrecondition);

  in = ok;
  in.refund_amount = Money(6'000, Cur("USD"));
  ExpectInvalidField(FeeToReturn(in).status(), "currency");
  in = ok;
  in.payment_fee = Money(38, Cur("JPY"));
  ExpectInvalidField(FeeToReturn(in).status(), "currency");

  in = ok;
  in.payment_amount = Cny(0);
  ExpectInvalidField(FeeToReturn(in).status(), "payment_amount");
  in = ok;
  in.payment_fee = Cny(-1);
  ExpectInvalidField(FeeToReturn(in).status(), "payment_fee");
  in = ok;
  in.refunded_before = Cny(-1);
  ExpectInvalidField(FeeToReturn(in).status(), "refunded_before");
  in = ok;
  in.fee_returned_before = Cny(39);
  ExpectInvalidField(FeeToReturn(in).status(), "fee_returned_before");
}

TEST(RefundTest, RandomSplitsAddUpToTheFee) {
  std::mt19937_64 rng(38);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t amount = 1 + static_cast<int64_t>(rng() % (rng() % 2 ? 1'000'000'000 : 10'000));
    FeePlan plan = RatePlan(static_cast<int64_t>(rng() % 10'001));
    if (rng() % 4 == 0) plan.cap_minor = static_cast<int64_t>(rng() % 3000);
    if (rng() % 8 == 0) plan.min_fee_minor = std::min<int64_t>(plan.cap_minor.value_or(50), 50);
    const int64_t fee = FeeMinor(plan, Channel::kWechat, amount);

    const int parts = 1 + static_cast<int>(rng() % (i % 10 == 0 ? 50 : 6));
    std::vector<int64_t> split;
    int64_t left = amount;
    for (int p = 0; p + 1 < parts && left > 1; ++p) {
      const int64_t part = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(left - 1));
      split.push_back(part);
      left -= part;
    }
    split.push_back(left);

    SCOPED_TRACE(testing::Message() << "case " << i << ": " << amount << " fen, fee " << fee);
    const std::vector<int64_t> returns = RefundInParts(amount, fee, split);
    ASSERT_EQ(returns.size(), split.size());
    int64_t refunded = 0;
    int64_t returned = 0;
    for (size_t k = 0; k < split.size(); ++k) {
      ASSERT_GE(returns[k], 0);
      refunded += split[k];
      returned += returns[k];
      // Every running total is the proportional fee rounded half up; fee * refunded <= 10^18.
      ASSERT_EQ(returned, (2 * fee * refunded + amount) / (2 * amount));
    }
    ASSERT_EQ(returned, fee);
  }
}

// ---------------------------------------------------------------- profit share

TEST(ProfitShareTest, TwoLevelChain) {
  const std::vector<AgentLevel> chain = {{"agent-top", 3000}, {"agent-local", 4500}};
  absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(100'000),
                                                .fee = Cny(600),
                                                .merchant_rate_ppm = 6000,
                                                .channel_cost_ppm = 2000,
                                                .agent_chain = chain});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->channel_cost, Cny(200));
  ASSERT_EQ(split->agent_shares.size(), 2u);
  EXPECT_EQ(split->agent_shares[0].agent_id, "agent-top");
  EXPECT_EQ(split->agent_shares[0].share, Cny(150));  // (4500 - 3000) ppm
  EXPECT_EQ(split->agent_shares[1].agent_id, "agent-local");
  EXPECT_EQ(split->agent_shares[1].share, Cny(150));  // (6000 - 4500) ppm
  EXPECT_EQ(split->provider_margin, Cny(100));
}

TEST(ProfitShareTest, SharesTruncateAndTheProviderKeepsTheResidue) {
  // 12,345 fen at 0.6%: fee 74.07 -> 74, channel 24.69 -> 25, share 37.035 -> 37.
  const std::vector<AgentLevel> chain = {{"agent-a", 3000}};
  absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(12'345),
                                                .fee = Cny(74),
                                                .merchant_rate_ppm = 6000,
                                                .channel_cost_ppm = 2000,
                                                .agent_chain = chain});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->channel_cost, Cny(25));
  EXPECT_EQ(split->agent_shares[0].share, Cny(37));
  EXPECT_EQ(split->provider_margin, Cny(12));
}

TEST(ProfitShareTest, NoAgents) {
  absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(1'000'000),
                                                .fee = Cny(6000),
                                                .merchant_rate_ppm = 6000,
                                                .channel_cost_ppm = 2000});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->channel_cost, Cny(2000));
  EXPECT_TRUE(split->agent_shares.empty());
  EXPECT_EQ(split->provider_margin, Cny(4000));
}

TEST(ProfitShareTest, CapBelowChannelCostGivesANegativeMargin) {
  // 100,000.00 CNY under the bank plan: fee capped at 20.00, the channel still takes 200.00.
  const FeePlan plan = BankStandardPlan();
  const int64_t fee = QuotedFee(plan, 10'000'000);
  ASSERT_EQ(fee, 2000);
  const std::vector<AgentLevel> chain = {{"agent-a", 2500}, {"agent-b", 3000}};
  absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(10'000'000),
                                                .fee = Cny(fee),
                                                .merchant_rate_ppm = 3800,
                                                .channel_cost_ppm = plan.channel_cost_ppm,
                                                .agent_chain = chain});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->channel_cost, Cny(20'000));
  EXPECT_EQ(split->agent_shares[0].share, Cny(0));
  EXPECT_EQ(split->agent_shares[1].share, Cny(0));
  EXPECT_EQ(split->provider_margin, Cny(-18'000));
}

TEST(ProfitShareTest, SharesScaleDownToWhatTheCapLeaves) {
  // Fee 2000 capped, channel 1000; uncapped shares 1000 and 800 scale to the 1000 left.
  const std::vector<AgentLevel> chain = {{"agent-a", 2000}, {"agent-b", 3000}};
  absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(1'000'000),
                                                .fee = Cny(2000),
                                                .merchant_rate_ppm = 3800,
                                                .channel_cost_ppm = 1000,
                                                .agent_chain = chain});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->channel_cost, Cny(1000));
  EXPECT_EQ(split->agent_shares[0].share, Cny(556));  // 555.56
  EXPECT_EQ(split->agent_shares[1].share, Cny(444));  // 444.44
  EXPECT_EQ(split->provider_margin, Cny(0));
}

TEST(ProfitShareTest, Errors) {
  const auto split = [](std::vector<AgentLevel> chain, int64_t merchant_rate = 6000) {
    return SplitFee({.amount = Cny(100'000),
                     .fee = Cny(600),
                     .merchant_rate_ppm = merchant_rate,
                     .channel_cost_ppm = 2000,
                     .agent_chain = chain})
        .status();
  };
  EXPECT_TRUE(split({{"a", 3000}, {"b", 3000}, {"c", 6000}}).ok());
  ExpectInvalidField(split({{"a", 4000}, {"b", 3000}}), "agent_chain");  // falls down the chain
  ExpectInvalidField(split({{"a", 3000}, {"b", 6001}}), "agent_chain");  // above the merchant
  ExpectInvalidField(split({{"a", -1}}), "agent_chain");
  ExpectInvalidField(split({{"", 3000}}), "agent_chain");
  ExpectInvalidField(split({{"a", 3000}, {"a", 4000}}), "agent_chain");
  ExpectInvalidField(split({}, 1'000'001), "merchant_rate_ppm");

  ExpectInvalidField(SplitFee({.amount = Cny(100), .fee = Money(1, Cur("USD"))}).status(),
                     "currency");
  ExpectInvalidField(SplitFee({.amount = Cny(0), .fee = Cny(0)}).status(), "amount");
  ExpectInvalidField(SplitFee({.amount = Cny(100), .fee = Cny(-1)}).status(), "fee");
  ExpectInvalidField(SplitFee({.amount = Cny(100), .fee = Cny(1), .channel_cost_ppm = -1}).status(),
                     "channel_cost_ppm");
}

TEST(ProfitShareTest, RandomSplitsAddUpToTheFee) {
  std::mt19937_64 rng(2000);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t amount = 1 + static_cast<int64_t>(rng() % (i % 2 ? 10'000'000'000 : 100'000));
    const auto merchant_rate = static_cast<int64_t>(rng() % 20'001);
    const auto channel_cost = static_cast<int64_t>(rng() % 10'001);
    std::vector<int64_t> costs(rng() % 5);
    for (int64_t& c : costs) c = static_cast<int64_t>(rng() % (merchant_rate + 1));
    std::sort(costs.begin(), costs.end());
    std::vector<AgentLevel> chain;
    for (size_t k = 0; k < costs.size(); ++k)
      chain.push_back({"agent-" + std::to_string(k), costs[k]});
    FeePlan plan = RatePlan(merchant_rate);
    if (rng() % 3 == 0) plan.cap_minor = static_cast<int64_t>(rng() % 5000);
    if (rng() % 5 == 0) plan.min_fee_minor = std::min<int64_t>(plan.cap_minor.value_or(30), 30);
    const int64_t fee = FeeMinor(plan, Channel::kAlipay, amount);

    SCOPED_TRACE(testing::Message() << "case " << i << ": " << amount << " fen, fee " << fee);
    absl::StatusOr<ProfitShare> split = SplitFee({.amount = Cny(amount),
                                                  .fee = Cny(fee),
                                                  .merchant_rate_ppm = merchant_rate,
                                                  .channel_cost_ppm = channel_cost,
                                                  .agent_chain = chain});
    ASSERT_TRUE(split.ok()) << split.status();
    ASSERT_EQ(split->channel_cost.amount_minor(),
              common::MulDiv(amount, channel_cost, kPpmScale, RoundingMode::kHalfUp).value());
    int64_t shares = 0;
    bool scaled = false;
    for (size_t k = 0; k < chain.size(); ++k) {
      const int64_t share = split->agent_shares[k].share.amount_minor();
      const int64_t below = k + 1 < chain.size() ? chain[k + 1].cost_ppm : merchant_rate;
      const int64_t uncapped = amount * (below - chain[k].cost_ppm) / kPpmScale;
      ASSERT_GE(share, 0);
      ASSERT_LE(share, uncapped);
      scaled = scaled || share != uncapped;
      shares += share;
    }
    const int64_t available = std::max<int64_t>(fee - split->channel_cost.amount_minor(), 0);
    ASSERT_LE(shares, available);
    if (scaled) {
      ASSERT_EQ(shares, available);
    }
    ASSERT_EQ(split->channel_cost.amount_minor() + shares + split->provider_margin.amount_minor(),
              fee);
  }
}

TEST(ProfitShareTest, AgentTotalsSumPerAgentAndCurrency) {
  const std::vector<AgentLevel> chain = {{"agent-top", 3000}, {"agent-local", 4500}};
  std::vector<ProfitShare> results;
  for (int64_t amount : {100'000, 200'000, 12'345}) {
    results.push_back(
        SplitFee({.amount = Cny(amount),
                  .fee = Cny(FeeMinor(IndependentStandardPlan(), Channel::kWechat, amount)),
                  .merchant_rate_ppm = 6000,
                  .channel_cost_ppm = 2000,
                  .agent_chain = chain})
            .value());
  }
  const std::vector<AgentLevel> usd_chain = {{"agent-top", 10'000}};
  results.push_back(SplitFee({.amount = Money(10'000, Cur("USD")),
                              .fee = Money(290, Cur("USD")),
                              .merchant_rate_ppm = 29'000,
                              .channel_cost_ppm = 5'000,
                              .agent_chain = usd_chain})
                        .value());
  absl::StatusOr<std::vector<AgentShare>> totals = AgentTotals(results);
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 3u);
  // 150 + 300 + 18 (18.5175 truncated) for each level, ordered by agent id then currency.
  EXPECT_EQ((*totals)[0].agent_id, "agent-local");
  EXPECT_EQ((*totals)[0].share, Cny(468));
  EXPECT_EQ((*totals)[1].agent_id, "agent-top");
  EXPECT_EQ((*totals)[1].share, Cny(468));
  EXPECT_EQ((*totals)[2].agent_id, "agent-top");
  EXPECT_EQ((*totals)[2].share, Money(190, Cur("USD")));
  EXPECT_TRUE(AgentTotals({}).value().empty());
}

// ---------------------------------------------------------------- comparing plans

TEST(ComparePlansTest, SeededPlansOnTheDomainExamples) {
  const std::vector<FeePlan> plans = {BankStandardPlan(), IndependentStandardPlan()};
  const std::vector<Payment> payments = {
      {100, Channel::kWechat}, {1'000'000, Channel::kAlipay}, {75, Channel::kUnionpay}};
  absl::StatusOr<std::vector<PlanTotals>> totals = ComparePlans(plans, payments);
  ASSERT_TRUE(totals.ok()) << totals.status();
  ASSERT_EQ(totals->size(), 2u);
  EXPECT_EQ((*totals)[0].plan_id, "bank-standard");
  EXPECT_EQ((*totals)[0].total_fee, Cny(2000));  // 0 + 2000 (capped) + 0
  EXPECT_EQ((*totals)[0].total_net, Cny(998'175));
  EXPECT_EQ((*totals)[1].plan_id, "independent-standard");
  EXPECT_EQ((*totals)[1].total_fee, Cny(6001));  // 1 (0.6) + 6000 + 0 (0.45)
  EXPECT_EQ((*totals)[1].total_net, Cny(994'174));
}

TEST(ComparePlansTest, NoPaymentsCostNothing) {
  const std::vector<FeePlan> plans = {BankStandardPlan()};
  absl::StatusOr<std::vector<PlanTotals>> totals = ComparePlans(plans, {});
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_EQ((*totals)[0].total_fee, Cny(0));
  EXPECT_EQ((*totals)[0].total_net, Cny(0));
}

TEST(ComparePlansTest, Errors) {
  std::vector<FeePlan> plans = {BankStandardPlan(), IndependentStandardPlan()};
  ExpectInvalidField(ComparePlans({}, {}).status(), "plans");
  ExpectInvalidField(
      ComparePlans(plans, std::vector<Payment>{{100, Channel::kWechat}, {0, Channel::kWechat}})
          .status(),
      "payments[1].amount");
  ExpectInvalidField(ComparePlans(plans, std::vector<Payment>{{-5, Channel::kAlipay}}).status(),
                     "payments[0].amount");
  ExpectInvalidField(
      ComparePlans(plans, std::vector<Payment>{{1'000'000'001, Channel::kAlipay}}).status(),
      "payments[0].amount");
  ExpectInvalidField(
      ComparePlans(plans, std::vector<Payment>{{1, static_cast<Channel>(3)}}).status(),
      "payments[0].channel");

  plans[1].rate_ppm[0] = 1'000'001;
  const absl::Status bad_plan = ComparePlans(plans, {}).status();
  ExpectInvalidField(bad_plan, "plans[1].rate_ppm");
  EXPECT_EQ(bad_plan.message().find("plans[1].rate_ppm: wechat rate 1000001"), 0u) << bad_plan;

  plans[1] = RatePlan(29'000, RoundingMode::kHalfUp, "USD");
  ExpectInvalidField(ComparePlans(plans, {}).status(), "plans[1].currency");
}

}  // namespace
}  // namespace aggpay::fee
