#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "services/settlement/domain/calendar.h"
#include "services/settlement/domain/reconciliation.h"
#include "services/settlement/domain/settlement.h"
#include "tests/support/test_servers.h"

namespace aggpay::settlement {
namespace {

using absl::CivilDay;

BusinessCalendar Cn2026() {
  std::ifstream in(testing::SourceDir() + "/sql/calendars/CN-2026.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  auto days = ParseCalendarCsv(ss.str());
  EXPECT_TRUE(days.ok()) << days.status();
  return BusinessCalendar("CN", *days, {2026});
}

std::string Next(const BusinessCalendar& c, CivilDay d) {
  auto n = c.NextBusinessDay(d);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? FormatDate(*n) : "";
}

TEST(Calendar, China2026HolidaysAndMakeUpDays) {
  const BusinessCalendar c = Cn2026();
  // New Year: 1-3 Jan off, Sunday 4 Jan a make-up working day.
  EXPECT_EQ(Next(c, CivilDay(2025 + 1, 1, 1)), "2026-01-04");
  EXPECT_EQ(*c.IsBusinessDay(CivilDay(2026, 1, 4)), true);
  // Friday 13 Feb -> Saturday 14 Feb (make-up) -> Tuesday 24 Feb (after the Spring Festival).
  EXPECT_EQ(Next(c, CivilDay(2026, 2, 13)), "2026-02-14");
  EXPECT_EQ(Next(c, CivilDay(2026, 2, 14)), "2026-02-24");
  EXPECT_EQ(*c.IsBusinessDay(CivilDay(2026, 2, 28)), true);
  EXPECT_EQ(*c.IsBusinessDay(CivilDay(2026, 2, 23)), false);
  // An ordinary weekend.
  EXPECT_EQ(Next(c, CivilDay(2026, 3, 6)), "2026-03-09");
  // National Day: 1-7 Oct; Sunday 20 Sep and Saturday 10 Oct are worked.
  EXPECT_EQ(Next(c, CivilDay(2026, 9, 19)), "2026-09-20");
  EXPECT_EQ(Next(c, CivilDay(2026, 9, 30)), "2026-10-08");
  EXPECT_EQ(Next(c, CivilDay(2026, 10, 9)), "2026-10-10");
  // The next year is not guessed.
  EXPECT_EQ(c.NextBusinessDay(CivilDay(2026, 12, 31)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Calendar, NextPayoutDateFollowsTheCalendarByCycle) {
  const BusinessCalendar c = Cn2026();
  auto payout = [&](CivilDay today, const char* cycle) {
    auto d = NextPayoutDate(c, today, cycle);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? FormatDate(*d) : "";
  };
  // Friday 3 April, before Qingming (Saturday 4 to Monday 6 April): T+1 is Tuesday 7 April,
  // where counting weekdays would say Monday 6 April.
  EXPECT_EQ(payout(CivilDay(2026, 4, 3), "T1"), "2026-04-07");
  EXPECT_EQ(payout(CivilDay(2026, 4, 3), "D0"), "2026-04-03");
  // Thursday 24 September, before the Mid-Autumn Festival (a Friday off): Monday 28 September.
  EXPECT_EQ(payout(CivilDay(2026, 9, 24), "T1"), "2026-09-28");
  // D0 on a holiday waits for the next business day; on a make-up Sunday it is that Sunday.
  EXPECT_EQ(payout(CivilDay(2026, 10, 1), "D0"), "2026-10-08");
  EXPECT_EQ(payout(CivilDay(2026, 9, 20), "D0"), "2026-09-20");
  EXPECT_EQ(payout(CivilDay(2026, 12, 2), "T1"), "2026-12-03");
  auto bad = NextPayoutDate(c, CivilDay(2026, 4, 3), "T7");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cycle"), std::string::npos) << bad.status();
  // The next year is not guessed.
  EXPECT_EQ(NextPayoutDate(c, CivilDay(2026, 12, 31), "T1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Calendar, CsvRefusesWhatWouldHideATypo) {
  EXPECT_FALSE(ParseCalendarCsv("2026-03-02,WORKDAY,a Monday\n").ok());
  EXPECT_FALSE(ParseCalendarCsv("2026-03-02,HOLIDAY,x\n2026-03-02,HOLIDAY,y\n").ok());
  EXPECT_FALSE(ParseCalendarCsv("2026-02-30,HOLIDAY,x\n").ok());
  EXPECT_FALSE(ParseCalendarCsv("2026-03-02,CLOSED,x\n").ok());
  EXPECT_FALSE(ParseCalendarCsv("# only a comment\n").ok());
  auto ok = ParseCalendarCsv("date,kind,name\n# c\n2026-03-07,WORKDAY,make-up\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 1u);
}

TEST(Shard, ParsesAndRefuses) {
  EXPECT_EQ(ParseShard("2/3")->Name(), "2/3");
  for (const char* bad : {"3/2", "0/1", "1/0", "1/1025", "a/b", "1", "", "1/2/3", "-1/2"}) {
    EXPECT_EQ(ParseShard(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Line, StatusRule) {
  EXPECT_EQ(DecideStatus(-1, false), LineStatus::kCarried);
  EXPECT_EQ(DecideStatus(-1, true), LineStatus::kCarried);
  EXPECT_EQ(DecideStatus(5, true), LineStatus::kHeld);
  EXPECT_EQ(DecideStatus(0, true), LineStatus::kPaid);
  EXPECT_EQ(DecideStatus(5, false), LineStatus::kPaid);
  LineAmounts a{10000, 2000, 38, 8, -500};
  EXPECT_EQ(a.Net(), 10000 - 2000 - 38 + 8 - 500);
  EXPECT_EQ(CheckClosedDate(CivilDay(2026, 3, 2), CivilDay(2026, 3, 2)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckClosedDate(CivilDay(2026, 3, 3), CivilDay(2026, 3, 2)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckClosedDate(CivilDay(2026, 3, 1), CivilDay(2026, 3, 2)).ok());
}

TEST(PayoutFile, OneRowPerAccountWithCountAndSumPerCurrency) {
  const std::string f = FormatPayoutFile(
      "7 T1:2026-03-02:1/1",
      {{1, 10, "m1", "CNY", 1234, "2026-03-03"},
       {2, 11, "m2", "CNY", 66, "2026-03-03"},
       {3, 12, "m3", "USD", 5, "2026-03-03"}},
      {{"m1", {"CORPORATE", "中国工商银行", "上海小面馆, 有限公司", "6222020200112233"}},
       {"m3", {"CORPORATE", "HSBC", "Say \"Hi\" Ltd", "123456789012"}}});
  EXPECT_NE(f.find("1,10,m1,CORPORATE,中国工商银行,\"上海小面馆, 有限公司\",6222020200112233,CNY,"
                   "1234,2026-03-03\n"),
            std::string::npos)
      << f;
  EXPECT_NE(f.find("2,11,m2,MISSING,,,,CNY,66,2026-03-03\n"), std::string::npos) << f;
  EXPECT_NE(f.find("3,12,m3,CORPORATE,HSBC,\"Say \"\"Hi\"\" Ltd\",123456789012,USD,5,"),
            std::string::npos)
      << f;
  EXPECT_NE(f.find("CHECKSUM,CNY,2,1300\n"), std::string::npos) << f;
  EXPECT_NE(f.find("CHECKSUM,USD,1,5\n"), std::string::npos) << f;
  EXPECT_NE(f.find("CHECKSUM,ALL,3,2\n"), std::string::npos) << f;
}

TEST(Reconcile, FeeTotalsRoundHalfUpAtTheMinorUnit) {
  EXPECT_TRUE(FeeTotalsAgree(1499, 1000));
  EXPECT_FALSE(FeeTotalsAgree(1500, 1000));
  EXPECT_TRUE(FeeTotalsAgree(-1499, -1000));
  EXPECT_EQ(ExpectedFeeMilli(3705, 2000), 7410);  // 37.05 CNY at 0.20% = 0.07410
}

payment::BillLine Paid(const std::string& id, int64_t amount) {
  payment::BillLine l;
  l.trade_state = "SUCCESS";
  l.out_trade_no = id;
  l.currency = "CNY";
  l.amount_minor = amount;
  l.fee_milli_minor = ExpectedFeeMilli(amount, 2000);
  return l;
}

TEST(Reconcile, ATradeTwiceOnTheBillIsADifference) {
  const ReconResult r = Reconcile({Paid("P1", 1000), Paid("P1", 1000)},
                                  {{false, "P1", "SUCCESS", 1000, "CNY", true}}, 2000);
  EXPECT_EQ(r.matched, 1);
  EXPECT_EQ(r.differs, 1);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].kind, ItemKind::kAmountDiffers);
  EXPECT_NE(r.items[0].detail.find("twice"), std::string::npos);
}

TEST(Reconcile, ARefundTheChannelHasNotFinishedIsAStatusDifference) {
  payment::BillLine refund;
  refund.trade_state = "REFUND";
  refund.out_refund_no = "R1";
  refund.currency = "CNY";
  refund.refund_minor = 500;
  refund.refund_state = "PROCESSING";
  refund.fee_milli_minor = ExpectedFeeMilli(-500, 2000);
  const ReconResult r = Reconcile({refund}, {{true, "R1", "SUCCESS", 500, "CNY", true}}, 2000);
  EXPECT_EQ(r.matched, 0);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].kind, ItemKind::kStatusDiffers);
  EXPECT_EQ(r.items[0].channel_status, "PROCESSING");
}

}  // namespace
}  // namespace aggpay::settlement
