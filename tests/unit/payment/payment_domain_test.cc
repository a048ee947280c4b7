#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/common/crypto/crypto.h"
#include "services/common/money/money.h"
#include "services/fee/domain/refund.h"
#include "services/payment/domain/bill.h"
#include "services/payment/domain/ledger.h"
#include "services/payment/domain/notification.h"
#include "services/payment/domain/payment.h"
#include "services/payment/domain/refund.h"
#include "tests/support/status_expectations.h"

namespace aggpay::common {

void PrintTo(const Money& money, std::ostream* os) { *os << money.ToString(); }

}  // namespace aggpay::common

namespace aggpay::payment {

void PrintTo(PaymentStatus status, std::ostream* os) { *os << PaymentStatusName(status); }
void PrintTo(PaymentEvent event, std::ostream* os) { *os << PaymentEventName(event); }

namespace {

using ::aggpay::testing::ExpectFieldError;
using ::aggpay::testing::ExpectInvalid;
using ::aggpay::testing::MessageHas;
using common::Currency;
using common::Money;

Currency Cur(const char* code) { return Currency::Find(code).value(); }
Money Cny(int64_t fen) { return {fen, Cur("CNY")}; }

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

// ---------------------------------------------------------------- names

TEST(PaymentStatusTest, NamesRoundTrip) {
  const std::array<absl::string_view, 6> names = {"CREATED", "PAYING", "SUCCESS",
                                                  "FAILED",  "CLOSED", "UNKNOWN"};
  for (size_t i = 0; i < kAllPaymentStatuses.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kAllPaymentStatuses[i]), i);
    EXPECT_EQ(PaymentStatusName(kAllPaymentStatuses[i]), names[i]);
    absl::StatusOr<PaymentStatus> parsed = ParsePaymentStatus(names[i]);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kAllPaymentStatuses[i]);
  }
  for (const char* bad : {"", "success", "Success", "PAID", "SUCCESS ", "REFUNDED"}) {
    ExpectInvalid(ParsePaymentStatus(bad).status(), "status");
  }
  ExpectInvalid(ParsePaymentStatus("nope", "filter.status").status(), "filter.status");
}

TEST(PaymentStatusTest, OnlySuccessFailedAndClosedAreFinal) {
  EXPECT_FALSE(IsFinal(PaymentStatus::kCreated));
  EXPECT_FALSE(IsFinal(PaymentStatus::kPaying));
  EXPECT_TRUE(IsFinal(PaymentStatus::kSuccess));
  EXPECT_TRUE(IsFinal(PaymentStatus::kFailed));
  EXPECT_TRUE(IsFinal(PaymentStatus::kClosed));
  EXPECT_FALSE(IsFinal(PaymentStatus::kUnknown));
}

TEST(PaymentEventTest, Names) {
  const std::array<absl::string_view, 5> names = {"ACCEPTED", "PAID", "FAILED", "CLOSED",
                                                  "UNDECIDED"};
  for (size_t i = 0; i < kAllPaymentEvents.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kAllPaymentEvents[i]), i);
    EXPECT_EQ(PaymentEventName(kAllPaymentEvents[i]), names[i]);
  }
}

TEST(WalletTest, NamesRoundTripAndMatchTheSubMerchantKeys) {
  const std::array<absl::string_view, 3> names = {"wechat", "alipay", "unionpay"};
  for (size_t i = 0; i < kAllWallets.size(); ++i) {
    EXPECT_EQ(WalletName(kAllWallets[i]), names[i]);
    EXPECT_EQ(SubMerchantKey(kAllWallets[i]), names[i]);
    absl::StatusOr<Wallet> parsed = ParseWallet(names[i]);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kAllWallets[i]);
  }
  for (const char* bad : {"", "WeChat", "WECHAT", "visa", "alipay ", "union_pay"}) {
    ExpectInvalid(ParseWallet(bad).status(), "wallet");
  }
  ExpectInvalid(ParseWallet("paypal", "payment.wallet").status(), "payment.wallet");
}

TEST(FlowTest, NamesRoundTrip) {
  const std::array<std::pair<Flow, absl::string_view>, 4> flows = {{
      {Flow::kStaticCode, "STATIC_CODE"},
      {Flow::kDynamicCode, "DYNAMIC_CODE"},
      {Flow::kBarcode, "BARCODE"},
      {Flow::kNative, "NATIVE"},
  }};
  for (const auto& [flow, name] : flows) {
    EXPECT_EQ(FlowName(flow), name);
    absl::StatusOr<Flow> parsed = ParseFlow(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, flow);
  }
  for (const char* bad : {"", "static_code", "STATIC", "QR"}) {
    ExpectInvalid(ParseFlow(bad).status(), "flow");
  }
}

// ---------------------------------------------------------------- the state machine

using S = PaymentStatus;
using E = PaymentEvent;

struct Cell {
  std::optional<S> to;  // nullopt: FAILED_PRECONDITION naming "status"
  bool changed = false;
};
constexpr Cell Go(S to) { return {to, true}; }
constexpr Cell Same(S to) { return {to, false}; }
constexpr Cell xx = {std::nullopt, false};

// kExpected[from][event]: rows in the order of kAllPaymentStatuses, columns in the order of
// kAllPaymentEvents. Written out by hand from the header's contract.
const std::array<std::array<Cell, 5>, 6> kExpected = {{
    //  ACCEPTED              PAID                  FAILED               CLOSED
    //  UNDECIDED
    {{Go(S::kPaying), Go(S::kSuccess), Go(S::kFailed), Go(S::kClosed),
      Go(S::kUnknown)}},  // CREATED
    {{Same(S::kPaying), Go(S::kSuccess), Go(S::kFailed), Go(S::kClosed),
      Go(S::kUnknown)}},                    // PAYING
    {{xx, Same(S::kSuccess), xx, xx, xx}},  // SUCCESS
    {{xx, xx, Same(S::kFailed), xx, xx}},   // FAILED
    {{xx, xx, xx, Same(S::kClosed), xx}},   // CLOSED
    {{Go(S::kPaying), Go(S::kSuccess), Go(S::kFailed), Go(S::kClosed),
      Same(S::kUnknown)}},  // UNKNOWN
}};

class TransitionTest : public ::testing::TestWithParam<std::tuple<S, E>> {};

TEST_P(TransitionTest, MatchesTheTable) {
  const auto [from, event] = GetParam();
  const Cell expected = kExpected[static_cast<size_t>(from)][static_cast<size_t>(event)];
  absl::StatusOr<TransitionResult> result = Transition(from, event);
  if (expected.to.has_value()) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->to, *expected.to);
    EXPECT_EQ(result->changed, expected.changed);
    EXPECT_EQ(result->changed, result->to != from);
  } else {
    ExpectFieldError(result.status(), absl::StatusCode::kFailedPrecondition, "status");
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, TransitionTest,
                         ::testing::Combine(::testing::ValuesIn(kAllPaymentStatuses),
                                            ::testing::ValuesIn(kAllPaymentEvents)),
                         [](const ::testing::TestParamInfo<TransitionTest::ParamType>& info) {
                           return absl::StrCat(PaymentStatusName(std::get<0>(info.param)), "_",
                                               PaymentEventName(std::get<1>(info.param)));
                         });

TEST(PaymentTransitionTest, ThirtyPairsTwelveRefusedAndOnlyFromFinalStates) {
  int pairs = 0;
  int refused = 0;
  for (S from : kAllPaymentStatuses) {
    for (E event : kAllPaymentEvents) {
      ++pairs;
      if (!Transition(from, event).ok()) {
        ++refused;
        EXPECT_TRUE(IsFinal(from)) << PaymentStatusName(from);
      }
    }
  }
  EXPECT_EQ(pairs, 30);
  EXPECT_EQ(refused, 12);
}

TEST(PaymentTransitionTest, PaidAfterClosedIsAMismatchForReconciliation) {
  absl::Status status = Transition(S::kClosed, E::kPaid).status();
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "status");
  EXPECT_TRUE(MessageHas(status, "CLOSED"));
  EXPECT_TRUE(MessageHas(status, "reconciliation"));
}

TEST(PaymentTransitionTest, RefusalsNameTheStateAndTheEvent) {
  absl::Status status = Transition(S::kSuccess, E::kClosed).status();
  EXPECT_TRUE(MessageHas(status, "SUCCESS"));
  EXPECT_TRUE(MessageHas(status, "CLOSED"));
  status = Transition(S::kFailed, E::kPaid).status();
  EXPECT_TRUE(MessageHas(status, "FAILED"));
  EXPECT_TRUE(MessageHas(status, "PAID"));
}

TEST(PaymentTransitionTest, AnUnknownAnswerResolvedByRequery) {
  S state = S::kCreated;
  const std::vector<std::pair<E, S>> steps = {
      {E::kAccepted, S::kPaying}, {E::kUndecided, S::kUnknown}, {E::kUndecided, S::kUnknown},
      {E::kAccepted, S::kPaying}, {E::kPaid, S::kSuccess},      {E::kPaid, S::kSuccess},
  };
  for (const auto& [event, want] : steps) {
    absl::StatusOr<TransitionResult> result = Transition(state, event);
    ASSERT_TRUE(result.ok()) << PaymentEventName(event) << ": " << result.status();
    EXPECT_EQ(result->to, want) << PaymentEventName(event);
    state = result->to;
  }
}

// ---------------------------------------------------------------- amounts and order numbers

TEST(ValidatePaymentAmountTest, PositiveUpToTheMaximum) {
  EXPECT_TRUE(ValidatePaymentAmount(Cny(1), 5'000'000).ok());
  EXPECT_TRUE(ValidatePaymentAmount(Cny(5'000'000), 5'000'000).ok());
  for (int64_t bad : {int64_t{0}, int64_t{-1}, int64_t{-5'000'000}}) {
    absl::Status status = ValidatePaymentAmount(Cny(bad), 5'000'000);
    ExpectInvalid(status, "amount");
    EXPECT_TRUE(MessageHas(status, "must be positive"));
  }
  ExpectInvalid(ValidatePaymentAmount(Cny(0), 100, "total"), "total");
}

TEST(ValidatePaymentAmountTest, TheMaximumIsNamedInMajorUnitsWithTheCurrencysDecimals) {
  absl::Status status = ValidatePaymentAmount(Cny(5'000'001), 5'000'000);
  ExpectInvalid(status, "amount");
  EXPECT_TRUE(MessageHas(status, "at most 50000.00 CNY")) << status;

  status = ValidatePaymentAmount(Money(50'001, Cur("JPY")), 50'000);
  ExpectInvalid(status, "amount");
  EXPECT_TRUE(MessageHas(status, "at most 50000 JPY")) << status;
  EXPECT_FALSE(MessageHas(status, "50000.00"));
  EXPECT_TRUE(ValidatePaymentAmount(Money(50'000, Cur("JPY")), 50'000).ok());

  status = ValidatePaymentAmount(Money(5'001, Cur("KWD")), 5'000);
  EXPECT_TRUE(MessageHas(status, "at most 5.000 KWD")) << status;

  status = ValidatePaymentAmount(Money(1'000'000'01, Cur("USD")), 1'000'000'00);
  EXPECT_TRUE(MessageHas(status, "at most 1000000.00 USD")) << status;
}

TEST(ValidateOrderNoTest, OneToThirtyTwoCharactersOfWeChatsSet) {
  EXPECT_TRUE(ValidateOrderNo("a", "out_trade_no").ok());
  EXPECT_TRUE(ValidateOrderNo("Order_2024-01|x*y@z.1", "out_trade_no").ok());
  EXPECT_TRUE(ValidateOrderNo(std::string(32, 'Z'), "out_trade_no").ok());
  EXPECT_TRUE(ValidateOrderNo("0123456789abcdefghijklmnopqrstuv", "out_trade_no").ok());

  absl::Status status = ValidateOrderNo("", "out_trade_no");
  ExpectInvalid(status, "out_trade_no");
  status = ValidateOrderNo(std::string(33, 'Z'), "out_refund_no");
  ExpectInvalid(status, "out_refund_no");
  EXPECT_TRUE(MessageHas(status, "32"));
}

TEST(ValidateOrderNoTest, EveryByteOutsideTheSetIsRefused) {
  // "_-|" is three characters, not a range from '_' to '|' (which would let in '`', '{' and the
  // lower-case letters by accident).
  const std::string allowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-|*@.";
  int accepted = 0;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const std::string no = absl::StrCat("ab", std::string(1, c), "9");
    const bool want = allowed.find(c) != std::string::npos;
    absl::Status status = ValidateOrderNo(no, "client_request_id");
    EXPECT_EQ(status.ok(), want) << "byte " << b;
    if (!want) ExpectInvalid(status, "client_request_id");
    if (status.ok()) ++accepted;
  }
  EXPECT_EQ(accepted, 68);
  for (const char* bad : {"订单1", "a b", "a`b", "a{b", "a}b", "a~b", "a/b", "a+b", "a#b", "a,b"}) {
    ExpectInvalid(ValidateOrderNo(bad, "out_trade_no"), "out_trade_no");
  }
}

// ---------------------------------------------------------------- business dates

TEST(BusinessDateTest, ShanghaiMidnightIsSixteenHundredUtc) {
  const absl::TimeZone shanghai = Zone("Asia/Shanghai");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 15, 59, 59), shanghai), "2024-03-01");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 16, 0, 0) - absl::Nanoseconds(1), shanghai), "2024-03-01");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 16, 0, 0), shanghai), "2024-03-02");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 0, 0, 0), shanghai), "2024-03-01");
  // The last day of a year and of February in a leap year.
  EXPECT_EQ(BusinessDate(Utc(2024, 12, 31, 16, 0, 0), shanghai), "2025-01-01");
  EXPECT_EQ(BusinessDate(Utc(2024, 2, 28, 16, 0, 0), shanghai), "2024-02-29");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 15, 59, 59), absl::UTCTimeZone()), "2024-03-01");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 1, 16, 0, 0), absl::UTCTimeZone()), "2024-03-01");
}

TEST(BusinessDateTest, NewYorkAcrossBothDaylightSavingChanges) {
  const absl::TimeZone new_york = Zone("America/New_York");
  // 2024-03-10: clocks go from 02:00 EST to 03:00 EDT, a 23-hour day. It starts at 05:00Z
  // (midnight EST) and ends at 04:00Z on the 11th (midnight EDT).
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 10, 4, 59, 59), new_york), "2024-03-09");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 10, 5, 0, 0), new_york), "2024-03-10");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 10, 6, 59, 59), new_york), "2024-03-10");  // 01:59:59 EST
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 10, 7, 0, 0), new_york), "2024-03-10");    // 03:00 EDT
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 11, 3, 59, 59), new_york), "2024-03-10");
  EXPECT_EQ(BusinessDate(Utc(2024, 3, 11, 4, 0, 0), new_york), "2024-03-11");
  // 2024-11-03: clocks go from 02:00 EDT back to 01:00 EST, a 25-hour day from 04:00Z to 05:00Z
  // on the 4th.
  EXPECT_EQ(BusinessDate(Utc(2024, 11, 3, 3, 59, 59), new_york), "2024-11-02");
  EXPECT_EQ(BusinessDate(Utc(2024, 11, 3, 4, 0, 0), new_york), "2024-11-03");
  EXPECT_EQ(BusinessDate(Utc(2024, 11, 4, 4, 30, 0), new_york), "2024-11-03");  // 23:30 EST
  EXPECT_EQ(BusinessDate(Utc(2024, 11, 4, 4, 59, 59), new_york), "2024-11-03");
  EXPECT_EQ(BusinessDate(Utc(2024, 11, 4, 5, 0, 0), new_york), "2024-11-04");
}

TEST(ParseBusinessDateTest, OnlyRealCalendarDatesInIsoForm) {
  for (const char* good : {"2024-02-29", "2023-12-31", "2024-01-01", "1999-06-15"}) {
    absl::StatusOr<std::string> parsed = ParseBusinessDate(good);
    ASSERT_TRUE(parsed.ok()) << good << ": " << parsed.status();
    EXPECT_EQ(*parsed, good);
  }
  for (const char* bad :
       {"", "2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
        "2024-1-01", "2024-01-1", "20240101", "2024/01/01", "2024-01-01 ", " 2024-01-01",
        "2024-01-01T00:00:00", "+024-01-01", "abcd-ef-gh", "2024-0a-01"}) {
    ExpectInvalid(ParseBusinessDate(bad).status(), "business_date");
  }
  ExpectInvalid(ParseBusinessDate("x", "date").status(), "date");
}

// ---------------------------------------------------------------- idempotency

TEST(CheckSameOrderTest, TheSameRequestMatches) {
  const OrderFingerprint first{.amount_minor = 1234, .currency = "CNY", .wallet = "wechat"};
  EXPECT_TRUE(CheckSameOrder(first, first, "out_trade_no").ok());
}

TEST(CheckSameOrderTest, AnyDifferenceIsAlreadyExistsNamingTheFirstDifferingField) {
  const OrderFingerprint first{.amount_minor = 1234, .currency = "CNY", .wallet = "wechat"};
  struct Case {
    OrderFingerprint retry;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{.amount_minor = 1235, .currency = "CNY", .wallet = "wechat"}, "amount"},
      {{.amount_minor = 1234, .currency = "USD", .wallet = "wechat"}, "currency"},
      {{.amount_minor = 1234, .currency = "CNY", .wallet = "alipay"}, "wallet"},
      {{.amount_minor = 1, .currency = "USD", .wallet = "alipay"}, "amount"},
      {{.amount_minor = 1234, .currency = "JPY", .wallet = "unionpay"}, "currency"},
  };
  for (const Case& c : cases) {
    absl::Status status = CheckSameOrder(first, c.retry, "out_trade_no");
    ExpectFieldError(status, absl::StatusCode::kAlreadyExists, c.field);
    EXPECT_TRUE(MessageHas(status, "out_trade_no"));
  }
  absl::Status status = CheckSameOrder(
      first, {.amount_minor = 1000, .currency = "CNY", .wallet = "wechat"}, "client_request_id");
  EXPECT_TRUE(MessageHas(status, "client_request_id"));
  EXPECT_TRUE(MessageHas(status, "12.34 CNY")) << status;
  EXPECT_TRUE(MessageHas(status, "10.00 CNY")) << status;
  status = CheckSameOrder(first, {.amount_minor = 1234, .currency = "CNY", .wallet = "alipay"},
                          "out_trade_no");
  EXPECT_TRUE(MessageHas(status, "wechat"));
  EXPECT_TRUE(MessageHas(status, "alipay"));
}

// ---------------------------------------------------------------- refunds

TEST(RefundStatusTest, NamesRoundTrip) {
  const std::array<std::pair<RefundStatus, absl::string_view>, 4> statuses = {{
      {RefundStatus::kProcessing, "PROCESSING"},
      {RefundStatus::kSuccess, "SUCCESS"},
      {RefundStatus::kFailed, "FAILED"},
      {RefundStatus::kUnknown, "UNKNOWN"},
  }};
  for (const auto& [status, name] : statuses) {
    EXPECT_EQ(RefundStatusName(status), name);
    absl::StatusOr<RefundStatus> parsed = ParseRefundStatus(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, status);
  }
  for (const char* bad : {"", "processing", "PENDING", "CLOSED"}) {
    ExpectInvalid(ParseRefundStatus(bad).status(), "status");
  }
  ExpectInvalid(ParseRefundStatus("x", "refund.status").status(), "refund.status");
}

const absl::Time kNow = Utc(2025, 6, 1, 12, 0, 0);

// A paid 12.34 CNY payment, 2.00 already refunded in two refunds, paid 10 days ago.
RefundContext Paid() {
  return RefundContext{.payment_status = PaymentStatus::kSuccess,
                       .payment_amount = Cny(1234),
                       .refunded = Cny(200),
                       .refund_count = 2,
                       .paid_at = kNow - absl::Hours(240)};
}

TEST(CheckRefundTest, OnlyAPaidPaymentCanBeRefunded) {
  for (PaymentStatus s : kAllPaymentStatuses) {
    RefundContext context = Paid();
    context.payment_status = s;
    absl::Status status = CheckRefund(context, Cny(100), kNow);
    if (s == PaymentStatus::kSuccess) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "payment_id");
      EXPECT_TRUE(MessageHas(status, "only a paid payment can be refunded"));
      EXPECT_TRUE(MessageHas(status, PaymentStatusName(s)));
    }
  }
}

TEST(CheckRefundTest, TheAmountIsPositiveAndInThePaymentsCurrency) {
  ExpectInvalid(CheckRefund(Paid(), Cny(0), kNow), "amount");
  ExpectInvalid(CheckRefund(Paid(), Cny(-1), kNow), "amount");
  absl::Status status = CheckRefund(Paid(), Money(100, Cur("USD")), kNow);
  ExpectInvalid(status, "amount");
  EXPECT_TRUE(MessageHas(status, "CNY"));
  EXPECT_TRUE(MessageHas(status, "USD"));
}

TEST(CheckRefundTest, ExactlyWhatIsLeftButNotOneFenMore) {
  EXPECT_TRUE(CheckRefund(Paid(), Cny(1034), kNow).ok());
  EXPECT_TRUE(CheckRefund(Paid(), Cny(1), kNow).ok());
  absl::Status status = CheckRefund(Paid(), Cny(1035), kNow);
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "amount");
  EXPECT_TRUE(MessageHas(status, "at most 10.34 CNY left")) << status;

  RefundContext all_refunded = Paid();
  all_refunded.refunded = Cny(1234);
  status = CheckRefund(all_refunded, Cny(1), kNow);
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "amount");
  EXPECT_TRUE(MessageHas(status, "at most 0.00 CNY left")) << status;

  RefundContext fresh = Paid();
  fresh.refunded = Cny(0);
  fresh.refund_count = 0;
  EXPECT_TRUE(CheckRefund(fresh, Cny(1234), kNow).ok());
  ExpectFieldError(CheckRefund(fresh, Cny(1235), kNow), absl::StatusCode::kFailedPrecondition,
                   "amount");
}

TEST(CheckRefundTest, WhatIsLeftIsNamedWithTheCurrencysDecimals) {
  RefundContext yen = Paid();
  yen.payment_amount = Money(5000, Cur("JPY"));
  yen.refunded = Money(1000, Cur("JPY"));
  EXPECT_TRUE(CheckRefund(yen, Money(4000, Cur("JPY")), kNow).ok());
  absl::Status status = CheckRefund(yen, Money(4001, Cur("JPY")), kNow);
  EXPECT_TRUE(MessageHas(status, "at most 4000 JPY left")) << status;
}

TEST(CheckRefundTest, TheFiftiethRefundIsAllowedAndTheFiftyFirstIsNot) {
  RefundContext context = Paid();
  context.refund_count = kMaxRefundsPerPayment - 1;  // this is the 50th
  EXPECT_TRUE(CheckRefund(context, Cny(1), kNow).ok());
  context.refund_count = kMaxRefundsPerPayment;  // this would be the 51st
  absl::Status status = CheckRefund(context, Cny(1), kNow);
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "payment_id");
  EXPECT_TRUE(MessageHas(status, "50"));
  EXPECT_EQ(kMaxRefundsPerPayment, 50);
}

TEST(CheckRefundTest, WithinThreeHundredSixtyFiveDaysOfThePayment) {
  EXPECT_EQ(kRefundWindow, absl::Hours(24 * 365));
  RefundContext context = Paid();
  context.paid_at = kNow - kRefundWindow + absl::Nanoseconds(1);
  EXPECT_TRUE(CheckRefund(context, Cny(100), kNow).ok());
  context.paid_at = kNow - kRefundWindow;
  ExpectFieldError(CheckRefund(context, Cny(100), kNow), absl::StatusCode::kFailedPrecondition,
                   "payment_id");
  context.paid_at = kNow - absl::Hours(24 * 400);
  ExpectFieldError(CheckRefund(context, Cny(100), kNow), absl::StatusCode::kFailedPrecondition,
                   "payment_id");
  // A success time slightly ahead of this instance's clock is not a reason to refuse.
  context.paid_at = kNow + absl::Seconds(2);
  EXPECT_TRUE(CheckRefund(context, Cny(100), kNow).ok());
}

TEST(CheckRefundTest, AContextInTwoCurrenciesIsInternal) {
  RefundContext context = Paid();
  context.refunded = Money(200, Cur("USD"));
  EXPECT_EQ(CheckRefund(context, Cny(100), kNow).code(), absl::StatusCode::kInternal);
}

// ---------------------------------------------------------------- ledger

TEST(LedgerTest, AccountNames) {
  EXPECT_EQ(ChannelAccount("wechat", "CNY"), "channel:wechat:CNY");
  EXPECT_EQ(MerchantAccount("m_42", "JPY"), "merchant:m_42:JPY");
  EXPECT_EQ(FeeAccount("USD"), "fee:USD");
}

void ExpectPosting(const Posting& p, const std::string& debit, const std::string& credit,
                   int64_t amount, const std::string& currency, const std::string& kind) {
  EXPECT_EQ(p.debit_account, debit);
  EXPECT_EQ(p.credit_account, credit);
  EXPECT_EQ(p.amount_minor, amount);
  EXPECT_EQ(p.currency, currency);
  EXPECT_EQ(p.kind, kind);
}

TEST(LedgerTest, CaptureWithAndWithoutAFee) {
  std::vector<Posting> postings = CapturePostings("m1", "wechat", Cny(10000), Cny(60));
  ASSERT_EQ(postings.size(), 2u);
  ExpectPosting(postings[0], "channel:wechat:CNY", "merchant:m1:CNY", 10000, "CNY", "capture");
  ExpectPosting(postings[1], "merchant:m1:CNY", "fee:CNY", 60, "CNY", "fee");
  EXPECT_TRUE(CheckPostings(postings).ok());

  postings = CapturePostings("m1", "alipay", Cny(100), Cny(0));
  ASSERT_EQ(postings.size(), 1u);
  ExpectPosting(postings[0], "channel:alipay:CNY", "merchant:m1:CNY", 100, "CNY", "capture");
  EXPECT_TRUE(CheckPostings(postings).ok());
}

TEST(LedgerTest, RefundWithAndWithoutAFeeReturn) {
  std::vector<Posting> postings =
      RefundPostings("m2", "unionpay", Money(500, Cur("JPY")), Money(3, Cur("JPY")));
  ASSERT_EQ(postings.size(), 2u);
  ExpectPosting(postings[0], "merchant:m2:JPY", "channel:unionpay:JPY", 500, "JPY", "refund");
  ExpectPosting(postings[1], "fee:JPY", "merchant:m2:JPY", 3, "JPY", "fee_return");
  EXPECT_TRUE(CheckPostings(postings).ok());

  postings = RefundPostings("m2", "wechat", Cny(1), Cny(0));
  ASSERT_EQ(postings.size(), 1u);
  ExpectPosting(postings[0], "merchant:m2:CNY", "channel:wechat:CNY", 1, "CNY", "refund");
}

TEST(LedgerTest, CheckPostingsRefusesMalformedPostings) {
  const Posting good{.debit_account = "a",
                     .credit_account = "b",
                     .amount_minor = 1,
                     .currency = "CNY",
                     .kind = "capture"};
  EXPECT_TRUE(CheckPostings({good}).ok());
  EXPECT_TRUE(CheckPostings({}).ok());
  std::vector<Posting> bad(6, good);
  bad[0].amount_minor = 0;
  bad[1].amount_minor = -5;
  bad[2].debit_account = "";
  bad[3].credit_account = "";
  bad[4].credit_account = "a";
  bad[5].currency = "";
  for (const Posting& p : bad) {
    EXPECT_EQ(CheckPostings({good, p}).code(), absl::StatusCode::kInternal)
        << p.debit_account << " " << p.credit_account << " " << p.amount_minor;
  }
  // A capture with a negative fee is caught rather than posted.
  EXPECT_EQ(CheckPostings(CapturePostings("m", "wechat", Cny(100), Cny(-1))).code(),
            absl::StatusCode::kInternal);
}

// Each account's debits minus its credits, computed here independently of the ledger code.
struct Books {
  std::map<std::string, int64_t> balance;
  std::map<std::string, int64_t> currency_sum;
  size_t postings = 0;

  void Post(const std::vector<Posting>& postings_to_add) {
    ASSERT_TRUE(CheckPostings(postings_to_add).ok());
    for (const Posting& p : postings_to_add) {
      // Every account is named with the posting's currency as its last part.
      EXPECT_TRUE(absl::EndsWith(p.debit_account, p.currency)) << p.debit_account;
      EXPECT_TRUE(absl::EndsWith(p.credit_account, p.currency)) << p.credit_account;
      balance[p.debit_account] += p.amount_minor;
      balance[p.credit_account] -= p.amount_minor;
      ++postings;
    }
  }

  // Sum of all balances per currency.
  [[nodiscard]] std::map<std::string, int64_t> PerCurrency() const {
    std::map<std::string, int64_t> sums;
    for (const auto& [account, amount] : balance) {
      const std::vector<std::string> parts = absl::StrSplit(account, ':');
      sums[parts.back()] += amount;
    }
    return sums;
  }
};

struct GeneratedPayment {
  std::string merchant;
  std::string wallet;
  Money amount;
  Money fee;
};

class LedgerPropertyTest : public ::testing::Test {
 protected:
  GeneratedPayment Generate() {
    static constexpr std::array<const char*, 3> kCurrencies = {"CNY", "JPY", "USD"};
    const Currency currency = Cur(kCurrencies[Uniform(0, 2)]);
    // Mostly small amounts, sometimes a single minor unit, sometimes a large one.
    const int64_t amount = Uniform(0, 9) == 0 ? 1 : Uniform(1, 5'000'000);
    // 0 to 1% (0.38% and 0.6% included by chance), rounded half up like the fee rule.
    const int64_t ppm = Uniform(0, 4) == 0 ? 6000 : Uniform(0, 10'000);
    const int64_t fee =
        common::MulDiv(amount, ppm, 1'000'000, common::RoundingMode::kHalfUp).value();
    return GeneratedPayment{
        .merchant = absl::StrCat("m", Uniform(1, 12)),
        .wallet = std::string(WalletName(kAllWallets[static_cast<size_t>(Uniform(0, 2))])),
        .amount = Money(amount, currency),
        .fee = Money(fee, currency)};
  }

  // Refunds `p` in up to `max_parts` random parts; all of it when `all` is set. Returns the
  // refunded amount and the fee returned.
  std::pair<int64_t, int64_t> Refund(const GeneratedPayment& p, int max_parts, bool all,
                                     Books& books) {
    const Currency currency = p.amount.currency();
    int64_t refunded = 0;
    int64_t returned = 0;
    const int parts = static_cast<int>(Uniform(1, max_parts));
    for (int i = 0; i < parts; ++i) {
      const int64_t left = p.amount.amount_minor() - refunded;
      if (left == 0) break;
      const bool last = i == parts - 1;
      const int64_t amount = last && all ? left : Uniform(1, left);
      absl::StatusOr<Money> fee_return =
          fee::FeeToReturn({.payment_amount = p.amount,
                            .payment_fee = p.fee,
                            .refunded_before = Money(refunded, currency),
                            .fee_returned_before = Money(returned, currency),
                            .refund_amount = Money(amount, currency)});
      EXPECT_TRUE(fee_return.ok()) << fee_return.status();
      if (!fee_return.ok()) break;
      EXPECT_TRUE(CheckRefund({.payment_status = PaymentStatus::kSuccess,
                               .payment_amount = p.amount,
                               .refunded = Money(refunded, currency),
                               .refund_count = i,
                               .paid_at = kNow - absl::Hours(1)},
                              Money(amount, currency), kNow)
                      .ok());
      books.Post(RefundPostings(p.merchant, p.wallet, Money(amount, currency), *fee_return));
      refunded += amount;
      returned += fee_return->amount_minor();
    }
    return {refunded, returned};
  }

  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  std::mt19937_64 rng_{20240601};
};

TEST_F(LedgerPropertyTest, PartialRefundsBalancePerCurrencyAndPerAccount) {
  Books books;
  // What each account must hold, tracked from the payments themselves.
  std::map<std::string, int64_t> want;
  for (int n = 0; n < 3000; ++n) {
    const GeneratedPayment p = Generate();
    const std::string code(p.amount.currency().code());
    books.Post(CapturePostings(p.merchant, p.wallet, p.amount, p.fee));
    int64_t refunded = 0;
    int64_t returned = 0;
    if (Uniform(0, 2) != 0) std::tie(refunded, returned) = Refund(p, 6, Uniform(0, 3) == 0, books);
    EXPECT_LE(refunded, p.amount.amount_minor());
    EXPECT_LE(returned, p.fee.amount_minor());
    if (refunded == p.amount.amount_minor()) {
      EXPECT_EQ(returned, p.fee.amount_minor());
    }
    // Channel: an asset, debited on capture. Merchant and fee: credit balances (negative).
    want[ChannelAccount(p.wallet, code)] += p.amount.amount_minor() - refunded;
    want[MerchantAccount(p.merchant, code)] -=
        (p.amount.amount_minor() - p.fee.amount_minor()) - (refunded - returned);
    want[FeeAccount(code)] -= p.fee.amount_minor() - returned;
  }
  ASSERT_GT(books.postings, 6000u);
  for (const auto& [currency, sum] : books.PerCurrency()) {
    EXPECT_EQ(sum, 0) << currency;
  }
  EXPECT_EQ(books.PerCurrency().size(), 3u);
  ASSERT_EQ(books.balance.size(), want.size());
  for (const auto& [account, balance] : books.balance) {
    const auto expected = want.find(account);
    ASSERT_NE(expected, want.end()) << account;
    EXPECT_EQ(balance, expected->second) << account;
  }
}

TEST_F(LedgerPropertyTest, AfterFullRefundsEveryMerchantAndTheFeeAccountsAreZero) {
  Books books;
  int64_t fees = 0;
  for (int n = 0; n < 3000; ++n) {
    const GeneratedPayment p = Generate();
    books.Post(CapturePostings(p.merchant, p.wallet, p.amount, p.fee));
    fees += p.fee.amount_minor();
    const auto [refunded, returned] = Refund(p, 8, /*all=*/true, books);
    ASSERT_EQ(refunded, p.amount.amount_minor());
    ASSERT_EQ(returned, p.fee.amount_minor()) << p.amount.ToString() << " fee " << p.fee.ToString();
  }
  ASSERT_GT(fees, 0);  // the property is about fees, so some must have been charged
  for (const auto& [account, balance] : books.balance) {
    EXPECT_EQ(balance, 0) << account;
  }
  EXPECT_TRUE(books.balance.contains("fee:CNY"));
  for (const auto& [currency, sum] : books.PerCurrency()) EXPECT_EQ(sum, 0) << currency;
}

// ---------------------------------------------------------------- the daily statement

constexpr absl::string_view kDetailHeader =
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,"
    "费率备注";
constexpr absl::string_view kSummaryHeader =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

BillLine SuccessLine() {
  return BillLine{.at = Utc(2024, 3, 1, 16, 30, 5),  // 2024-03-02 00:30:05 in Beijing
                  .app_id = "wxsandbox0000001",
                  .mch_id = "1900000109",
                  .sub_mch_id = "1900000201",
                  .device = "SN-0001",
                  .channel_txn_id = "4200000001202403020000000001",
                  .out_trade_no = "P20240302000001",
                  .payer = "oSandboxPayer01",
                  .trade_type = "NATIVE",
                  .trade_state = "SUCCESS",
                  .currency = "CNY",
                  .amount_minor = 1234,
                  .channel_refund_id = "",
                  .out_refund_no = "",
                  .refund_minor = 0,
                  .refund_state = "",
                  .product = "鲜肉包子 x2（早餐）",
                  .fee_milli_minor = 7404,  // 0.6% of 12.34
                  .rate = "0.60%",
                  .exponent = 2};
}

BillLine RefundLine() {
  BillLine line = SuccessLine();
  line.at = Utc(2024, 3, 2, 3, 0, 0);
  line.trade_state = "REFUND";
  line.amount_minor = 0;
  line.channel_refund_id = "50000000012024030200000001";
  line.out_refund_no = "R20240302000001";
  line.refund_minor = 500;
  line.refund_state = "SUCCESS";
  line.fee_milli_minor = -3000;
  return line;
}

void ExpectSameLine(const BillLine& got, const BillLine& want) {
  EXPECT_EQ(got.at, want.at);
  EXPECT_EQ(got.app_id, want.app_id);
  EXPECT_EQ(got.mch_id, want.mch_id);
  EXPECT_EQ(got.sub_mch_id, want.sub_mch_id);
  EXPECT_EQ(got.device, want.device);
  EXPECT_EQ(got.channel_txn_id, want.channel_txn_id);
  EXPECT_EQ(got.out_trade_no, want.out_trade_no);
  EXPECT_EQ(got.payer, want.payer);
  EXPECT_EQ(got.trade_type, want.trade_type);
  EXPECT_EQ(got.trade_state, want.trade_state);
  EXPECT_EQ(got.currency, want.currency);
  EXPECT_EQ(got.amount_minor, want.amount_minor);
  EXPECT_EQ(got.channel_refund_id, want.channel_refund_id);
  EXPECT_EQ(got.out_refund_no, want.out_refund_no);
  EXPECT_EQ(got.refund_minor, want.refund_minor);
  EXPECT_EQ(got.refund_state, want.refund_state);
  EXPECT_EQ(got.product, want.product);
  EXPECT_EQ(got.fee_milli_minor, want.fee_milli_minor);
  EXPECT_EQ(got.rate, want.rate);
  EXPECT_EQ(got.exponent, want.exponent);
}

std::vector<std::string> Rows(const std::string& csv) {
  EXPECT_TRUE(absl::EndsWith(csv, "\r\n"));
  std::vector<std::string> rows = absl::StrSplit(csv, "\r\n");
  EXPECT_EQ(rows.back(), "");
  rows.pop_back();
  return rows;
}

TEST(DownloadBillTest, TheLayoutOfWeChatsAllBill) {
  const std::string csv = FormatDownloadBill({SuccessLine(), RefundLine()});
  const std::vector<std::string> rows = Rows(csv);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], kDetailHeader);
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(rows[0], ',')).size(), 27u);
  EXPECT_EQ(rows[1],
            "`2024-03-02 00:30:05,`wxsandbox0000001,`1900000109,`1900000201,`SN-0001,"
            "`4200000001202403020000000001,`P20240302000001,`oSandboxPayer01,`NATIVE,`SUCCESS,"
            "`OTHERS,`CNY,`12.34,`0.00,`0,`0,`0.00,`0.00,`,`,`鲜肉包子 x2（早餐）,`,`0.07404,"
            "`0.60%,`12.34,`0.00,`");
  EXPECT_EQ(rows[2],
            "`2024-03-02 11:00:00,`wxsandbox0000001,`1900000109,`1900000201,`SN-0001,"
            "`4200000001202403020000000001,`P20240302000001,`oSandboxPayer01,`NATIVE,`REFUND,"
            "`OTHERS,`CNY,`0.00,`0.00,`50000000012024030200000001,`R20240302000001,`5.00,`0.00,"
            "`ORIGINAL,`SUCCESS,`鲜肉包子 x2（早餐）,`,`-0.03000,`0.60%,`0.00,`5.00,`");
  EXPECT_EQ(rows[3], kSummaryHeader);
  EXPECT_EQ(rows[4], "`2,`12.34,`5.00,`0.00,`0.04404,`12.34,`5.00");
  for (size_t i : {size_t{1}, size_t{2}, size_t{4}}) {
    for (absl::string_view field : absl::StrSplit(rows[i], ',')) {
      EXPECT_TRUE(absl::StartsWith(field, "`")) << "row " << i << ": " << field;
    }
  }
}

TEST(DownloadBillTest, RoundTripsEveryField) {
  BillLine no_device = SuccessLine();
  no_device.device = "";
  no_device.trade_type = "MICROPAY";
  no_device.at = Utc(2024, 3, 2, 15, 59, 59);  // 23:59:59 in Beijing
  no_device.amount_minor = 5'000'000;
  no_device.fee_milli_minor = 0;
  no_device.product = "";
  BillLine tiny = SuccessLine();
  tiny.amount_minor = 1;
  tiny.fee_milli_minor = 6;  // 0.6% of one fen: 0.00006
  tiny.product = "冰糖葫芦🍡";
  const std::vector<BillLine> lines = {SuccessLine(), RefundLine(), no_device, tiny};
  const std::string csv = FormatDownloadBill(lines);
  EXPECT_TRUE(absl::StrContains(csv, "`0.00006,"));
  EXPECT_TRUE(absl::StrContains(csv, "`50000.00,"));
  absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(csv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameLine((*parsed)[i], lines[i]);
  }
  EXPECT_EQ(Rows(csv).back(), "`4,`50012.35,`5.00,`0.00,`0.04410,`50012.35,`5.00");
}

TEST(DownloadBillTest, YenHasNoDecimalsAndTheFeeThree) {
  BillLine yen = SuccessLine();
  yen.currency = "JPY";
  yen.exponent = 0;
  yen.amount_minor = 1500;
  yen.fee_milli_minor = 9000;  // 0.6% of 1500 yen: 9.000
  const std::string csv = FormatDownloadBill({yen});
  EXPECT_TRUE(absl::StrContains(csv, "`JPY,`1500,`0,`0,`0,`0,`0,")) << csv;
  EXPECT_TRUE(absl::StrContains(csv, "`9.000,"));
  EXPECT_EQ(Rows(csv).back(), "`1,`1500,`0,`0,`9.000,`1500,`0");
  absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(csv, 0);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  ExpectSameLine(parsed->front(), yen);
  // Read as if it had two decimals, the yen line is refused instead of being read 100x off.
  absl::Status status = ParseDownloadBill(csv, 2).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MessageHas(status, "line 2"));
}

TEST(DownloadBillTest, AnEmptyStatementRoundTrips) {
  const std::string csv = FormatDownloadBill({});
  EXPECT_EQ(Rows(csv).size(), 3u);
  for (int exponent : {0, 2}) {
    absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(csv, exponent);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->empty());
  }
}

TEST(DownloadBillTest, SeparatorsInsideAFieldCannotBreakTheFile) {
  BillLine line = SuccessLine();
  line.product = "包子,油条\r\n豆浆";
  const std::string csv = FormatDownloadBill({line});
  absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(csv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(parsed->front().product, "包子，油条  豆浆");
}

TEST(DownloadBillTest, ReadsBareLineFeedsAndAByteOrderMark) {
  const std::string csv = FormatDownloadBill({SuccessLine(), RefundLine()});
  const std::string unix_csv = absl::StrReplaceAll(csv, {{"\r\n", "\n"}});
  absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(unix_csv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 2u);
  parsed = ParseDownloadBill(absl::StrCat("\xEF\xBB\xBF", csv));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 2u);
}

// The bill with `row` (0-based, as Rows() numbers them) replaced.
std::string WithRow(size_t row, const std::string& replacement) {
  std::vector<std::string> rows = Rows(FormatDownloadBill({SuccessLine(), RefundLine()}));
  rows[row] = replacement;
  return absl::StrCat(absl::StrJoin(rows, "\r\n"), "\r\n");
}

// The bill with field `field` (0-based) of `row` replaced.
std::string WithField(size_t row, size_t field, const std::string& replacement) {
  std::vector<std::string> rows = Rows(FormatDownloadBill({SuccessLine(), RefundLine()}));
  std::vector<std::string> fields = absl::StrSplit(rows[row], ',');
  fields[field] = replacement;
  return WithRow(row, absl::StrJoin(fields, ","));
}

void ExpectRefusedAtLine(const std::string& csv, int line, absl::string_view text = "") {
  absl::StatusOr<std::vector<BillLine>> parsed = ParseDownloadBill(csv);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
  EXPECT_TRUE(MessageHas(parsed.status(), absl::StrCat("line ", line, ":")));
  if (!text.empty()) {
    EXPECT_TRUE(MessageHas(parsed.status(), text));
  }
}

TEST(DownloadBillTest, AMalformedLineIsRefusedNamingItsNumber) {
  ExpectRefusedAtLine(WithRow(0, "交易时间,公众账号ID"), 1, "header");
  ExpectRefusedAtLine(WithRow(2, "`2024-03-02 11:00:00,`wx"), 3, "27 fields");
  ExpectRefusedAtLine(WithRow(2, ""), 3);
  ExpectRefusedAtLine(WithField(1, 3, "1900000201"), 2, "backtick");
  ExpectRefusedAtLine(WithField(2, 0, "`2024-03-02 11:00"), 3, "交易时间");
  ExpectRefusedAtLine(WithField(2, 0, "`2024-02-30 11:00:00"), 3, "交易时间");
  ExpectRefusedAtLine(WithField(2, 0, "`2024-03-02T11:00:00"), 3, "交易时间");
  ExpectRefusedAtLine(WithField(1, 12, "`12.345"), 2, "应结订单金额");
  ExpectRefusedAtLine(WithField(1, 12, "`-12.34"), 2, "应结订单金额");
  ExpectRefusedAtLine(WithField(1, 12, "`12,34"), 2);
  ExpectRefusedAtLine(WithField(1, 12, "`"), 2, "应结订单金额");
  ExpectRefusedAtLine(WithField(1, 12, "`abc"), 2, "应结订单金额");
  ExpectRefusedAtLine(WithField(1, 12, "`99999999999999999999.00"), 2, "应结订单金额");
  ExpectRefusedAtLine(WithField(2, 16, "`5.001"), 3, "退款金额");
  ExpectRefusedAtLine(WithField(2, 22, "`-0.030001"), 3, "手续费");
  ExpectRefusedAtLine(WithField(1, 24, "`x"), 2, "订单金额");
  ExpectRefusedAtLine(WithField(1, 9, "`CLOSED"), 2, "交易状态");
  ExpectRefusedAtLine(WithField(1, 11, "`XYZ"), 2, "货币种类");
  // Found by fuzzing (tests/fuzz/regressions/downloadbill): a carriage return inside a field was
  // read into the id, which FormatDownloadBill can never write and no record would match.
  ExpectRefusedAtLine(WithField(1, 5, "`420000000\r1202403020000000001"), 2,
                      "field 6 holds a carriage return");
}

TEST(DownloadBillTest, TheSummaryMustBeThereAndAgreeWithTheLines) {
  ExpectRefusedAtLine(WithRow(4, "`3,`12.34,`5.00,`0.00,`0.04404,`12.34,`5.00"), 5, "总交易单数");
  ExpectRefusedAtLine(WithRow(4, "`2,`12.35,`5.00,`0.00,`0.04404,`12.34,`5.00"), 5,
                      "应结订单总金额");
  ExpectRefusedAtLine(WithRow(4, "`2,`12.34,`5.01,`0.00,`0.04404,`12.34,`5.00"), 5, "退款总金额");
  ExpectRefusedAtLine(WithRow(4, "`2,`12.34,`5.00,`0.00,`0.04405,`12.34,`5.00"), 5, "手续费总金额");
  ExpectRefusedAtLine(WithRow(4, "`2,`12.34,`5.00"), 5, "7 fields");
  // The summary header and row cut off, as in a truncated download.
  std::vector<std::string> rows = Rows(FormatDownloadBill({SuccessLine(), RefundLine()}));
  ExpectRefusedAtLine(absl::StrCat(absl::StrJoin(rows.begin(), rows.begin() + 3, "\r\n"), "\r\n"),
                      4, "summary");
  ExpectRefusedAtLine(absl::StrCat(absl::StrJoin(rows.begin(), rows.begin() + 4, "\r\n"), "\r\n"),
                      5, "summary");
  ExpectRefusedAtLine(absl::StrCat(absl::StrJoin(rows, "\r\n"), "\r\n`1\r\n"), 6);
  EXPECT_EQ(ParseDownloadBill("").status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- notifications

TEST(RetryDelayTest, WeChatsScheduleThenGiveUp) {
  const std::array<absl::Duration, 15> want = {
      absl::Seconds(15), absl::Seconds(15), absl::Seconds(30), absl::Minutes(3),  absl::Minutes(10),
      absl::Minutes(20), absl::Minutes(30), absl::Minutes(30), absl::Minutes(30), absl::Minutes(60),
      absl::Hours(3),    absl::Hours(3),    absl::Hours(3),    absl::Hours(6),    absl::Hours(6)};
  absl::Duration total;
  for (int attempt = 1; attempt <= 15; ++attempt) {
    const std::optional<absl::Duration> delay = RetryDelayAfter(attempt);
    ASSERT_TRUE(delay.has_value()) << attempt;
    EXPECT_EQ(*delay, want[static_cast<size_t>(attempt) - 1]) << attempt;
    total += *delay;
  }
  EXPECT_EQ(total, absl::Hours(24) + absl::Minutes(4));
  EXPECT_FALSE(RetryDelayAfter(16).has_value());
  EXPECT_FALSE(RetryDelayAfter(100).has_value());
  EXPECT_FALSE(RetryDelayAfter(0).has_value());
  EXPECT_FALSE(RetryDelayAfter(-1).has_value());
  // The first try plus one per retry delay.
  int tries = 1;
  while (RetryDelayAfter(tries).has_value()) ++tries;
  EXPECT_EQ(tries, kMaxNotificationAttempts);
}

constexpr absl::string_view kSecret = "whsec_test_secret";
constexpr absl::string_view kTimestamp = "1700000000";
constexpr absl::string_view kNonce = "n0nce-abc";
constexpr absl::string_view kBody =
    R"({"payment_id":"pay_1","status":"SUCCESS","amount":{"currency":"CNY","amount_minor":1234}})";

TEST(NotificationSignatureTest, TheCanonicalStringIsThreeLines) {
  EXPECT_EQ(NotificationCanonical(kTimestamp, kNonce, kBody),
            absl::StrCat("1700000000\nn0nce-abc\n", kBody, "\n"));
  EXPECT_EQ(NotificationCanonical("", "", ""), "\n\n\n");
}

TEST(NotificationSignatureTest, MatchesAnIndependentHmac) {
  // printf '1700000000\nn0nce-abc\n<body>\n' | openssl dgst -sha256 -hmac whsec_test_secret
  EXPECT_EQ(SignNotification(kSecret, kTimestamp, kNonce, kBody),
            "7baa425f7c16f873eadf161c3c997d202f6f65bdb3e8d6757cb2cc6d64ac5f2d");
  EXPECT_EQ(
      SignNotification(kSecret, kTimestamp, kNonce, kBody),
      common::HmacSha256Hex(kSecret, absl::StrCat(kTimestamp, "\n", kNonce, "\n", kBody, "\n")));
}

TEST(NotificationSignatureTest, EveryPartIsCovered) {
  const std::string base = SignNotification(kSecret, kTimestamp, kNonce, kBody);
  EXPECT_NE(SignNotification("whsec_test_secreT", kTimestamp, kNonce, kBody), base);
  EXPECT_NE(SignNotification(kSecret, "1700000001", kNonce, kBody), base);
  EXPECT_NE(SignNotification(kSecret, kTimestamp, "n0nce-abd", kBody), base);
  EXPECT_NE(SignNotification(kSecret, kTimestamp, kNonce, absl::StrCat(kBody, " ")), base);
  // The separators keep the parts apart: moving a character across one changes the signature.
  EXPECT_NE(SignNotification(kSecret, "170000000", "0n0nce-abc", kBody), base);
}

TEST(NotificationDeliveryTest, OnlyTwoHundredsAreDelivered) {
  for (int status : {200, 201, 202, 204, 299}) EXPECT_TRUE(Delivered(status)) << status;
  for (int status : {0, 100, 199, 300, 301, 302, 400, 404, 429, 500, 502, 503, -1}) {
    EXPECT_FALSE(Delivered(status)) << status;
  }
}

}  // namespace
}  // namespace aggpay::payment
