#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/common/status/field_errors.h"
#include "services/risk/domain/alerts.h"
#include "services/risk/domain/regions.h"
#include "services/risk/domain/rules.h"

namespace aggpay::risk {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone(name, &z)) << name;
  return z;
}

absl::Time At(const char* zone, int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), Zone(zone));
}

RuleConfig Rule(absl::string_view id) {
  for (auto& c : DefaultRules()) {
    if (c.rule_id == id) return c;
  }
  ADD_FAILURE() << id;
  return {};
}

RuleSet Only(RuleConfig c) {
  auto set = RuleSet::Build({std::move(c)});
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

PaymentFacts Facts(absl::Time now, const char* zone = "Asia/Shanghai", int64_t amount = 500) {
  PaymentFacts f;
  f.merchant_id = "m1";
  f.zone = Zone(zone);
  f.merchant_region = "CN-SH";
  f.amount_minor = amount;
  f.currency = "CNY";
  f.now = now;
  return f;
}

// --- amount surge ---

TEST(AmountSurge, FiresJustPastTwiceTheMeanWithSevenDaysOfHistory) {
  RuleSet set = Only(Rule(kAmountSurge));
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  // 7 days of history summing 7,000.00: a mean of 1,000.00 a day.
  History h{absl::CivilDay(2026, 11, 24), 700000};
  Counters at;
  at.today_minor = 200000;  // exactly 2.0 x: not past it
  EXPECT_EQ(set.Judge(f, at, h).decision, Decision::kAllow);
  Counters past = at;
  past.today_minor = 200001;  // one fen past
  Verdict v = set.Judge(f, past, h);
  ASSERT_EQ(v.decision, Decision::kFreeze);
  ASSERT_EQ(v.hits.size(), 1u);
  EXPECT_EQ(v.hits[0].rule_id, "amount_surge");
  EXPECT_EQ(v.hits[0].evidence.at("history_days"), "7");
  EXPECT_EQ(v.hits[0].evidence.at("daily_mean_minor"), "100000");
  EXPECT_EQ(v.hits[0].evidence.at("today_minor"), "200001");
}

TEST(AmountSurge, NeedsSevenDaysOfHistory) {
  RuleSet set = Only(Rule(kAmountSurge));
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  Counters c;
  c.today_minor = 10000000;
  // First day 6 days ago: 6 days of history.
  EXPECT_EQ(set.Judge(f, c, History{absl::CivilDay(2026, 11, 25), 600}).decision, Decision::kAllow);
  EXPECT_EQ(set.Judge(f, c, History{absl::CivilDay(2026, 11, 24), 700}).decision,
            Decision::kFreeze);
  EXPECT_EQ(set.Judge(f, c, History{}).decision, Decision::kAllow);
}

TEST(AmountSurge, MeanIsOverTheThirtyDayWindowForOldMerchants) {
  RuleSet set = Only(Rule(kAmountSurge));
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  // A merchant since January; 30 days sum to 30,000.00: mean 1,000.00.
  History h{absl::CivilDay(2026, 1, 1), 3000000};
  Counters c;
  c.today_minor = 200000;
  EXPECT_EQ(set.Judge(f, c, h).decision, Decision::kAllow);
  c.today_minor = 200001;
  Verdict v = set.Judge(f, c, h);
  EXPECT_EQ(v.decision, Decision::kFreeze);
  EXPECT_EQ(v.hits[0].evidence.at("history_days"), "30");
}

TEST(AmountSurge, TodayIsTheMerchantsLocalDay) {
  // 2026-12-01 23:30 in New York is already 2026-12-02 in Shanghai.
  absl::Time t = At("America/New_York", 2026, 12, 1, 23, 30);
  EXPECT_EQ(DayKey(LocalDay(t, Zone("America/New_York"))), "2026-12-01");
  EXPECT_EQ(DayKey(LocalDay(t, Zone("Asia/Shanghai"))), "2026-12-02");
  EXPECT_EQ(Only(Rule(kAmountSurge)).Plan(Facts(t, "Asia/Shanghai")).local_day, "2026-12-02");
}

// --- night small payments ---

TEST(NightSmall, TwentySmallPaymentsInTheNightFreeze) {
  RuleSet set = Only(Rule(kNightSmall));
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 2, 0), "Asia/Shanghai", 1000);
  Counters c;
  c.night_count = 19;
  EXPECT_EQ(set.Judge(f, c, {}).decision, Decision::kAllow);
  c.night_count = 20;
  Verdict v = set.Judge(f, c, {});
  EXPECT_EQ(v.decision, Decision::kFreeze);
  EXPECT_EQ(v.hits[0].evidence.at("night_small_payments"), "20");
  EXPECT_EQ(set.Plan(f).night_window, absl::Minutes(10));
}

TEST(NightSmall, OnlySmallPaymentsCount) {
  RuleSet set = Only(Rule(kNightSmall));
  Counters c;
  c.night_count = 50;
  absl::Time t = At("Asia/Shanghai", 2026, 12, 1, 2, 0);
  EXPECT_EQ(set.Judge(Facts(t, "Asia/Shanghai", 1000), c, {}).decision, Decision::kFreeze);
  EXPECT_EQ(set.Judge(Facts(t, "Asia/Shanghai", 1001), c, {}).decision, Decision::kAllow);
  EXPECT_FALSE(set.Plan(Facts(t, "Asia/Shanghai", 1001)).night);
}

TEST(NightSmall, SixOClockIsNoLongerNight) {
  RuleSet set = Only(Rule(kNightSmall));
  Counters c;
  c.night_count = 50;
  EXPECT_EQ(set.Judge(Facts(At("Asia/Shanghai", 2026, 12, 1, 5, 59, 59)), c, {}).decision,
            Decision::kFreeze);
  EXPECT_EQ(set.Judge(Facts(At("Asia/Shanghai", 2026, 12, 1, 6, 0, 0)), c, {}).decision,
            Decision::kAllow);
  EXPECT_EQ(set.Judge(Facts(At("Asia/Shanghai", 2026, 12, 1, 0, 0, 0)), c, {}).decision,
            Decision::kFreeze);
  EXPECT_EQ(set.Judge(Facts(At("Asia/Shanghai", 2026, 11, 30, 23, 59, 59)), c, {}).decision,
            Decision::kAllow);
}

TEST(NightSmall, NightIsInTheMerchantsZone) {
  RuleSet set = Only(Rule(kNightSmall));
  Counters c;
  c.night_count = 50;
  // 03:00 in Shanghai is 19:00 the day before in UTC and 14:00 in New York.
  absl::Time t = At("Asia/Shanghai", 2026, 12, 1, 3, 0);
  EXPECT_EQ(set.Judge(Facts(t, "Asia/Shanghai"), c, {}).decision, Decision::kFreeze);
  EXPECT_EQ(set.Judge(Facts(t, "UTC"), c, {}).decision, Decision::kAllow);
  EXPECT_EQ(set.Judge(Facts(t, "America/New_York"), c, {}).decision, Decision::kAllow);
  // A window across midnight (22 -> 6) as staff may set it.
  RuleConfig late = Rule(kNightSmall);
  late.params["start_hour"] = "22";
  RuleSet wrap = Only(late);
  EXPECT_EQ(wrap.Judge(Facts(At("Asia/Shanghai", 2026, 12, 1, 22, 0)), c, {}).decision,
            Decision::kFreeze);
  EXPECT_EQ(wrap.Judge(Facts(At("Asia/Shanghai", 2026, 12, 1, 21, 59)), c, {}).decision,
            Decision::kAllow);
}

// --- foreign IPs ---

PaymentFacts IpFacts(const char* region, const char* subnet) {
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  f.payer_ip = "203.0.113.7";
  f.payer_region = region;
  f.payer_subnet = subnet;
  return f;
}

TEST(ForeignIp, MostPaymentsFromOneForeignRegion) {
  RuleSet set = Only(Rule(kForeignIp));
  PaymentFacts f = IpFacts("US", "203.0.113.0/24");
  Counters c;
  c.ip_total = 10;
  c.ip_region = 5;  // half is not most
  c.ip_subnet = 1;
  EXPECT_EQ(set.Judge(f, c, {}).decision, Decision::kAllow);
  c.ip_region = 6;
  Verdict v = set.Judge(f, c, {});
  EXPECT_EQ(v.decision, Decision::kReview);
  EXPECT_EQ(v.hits[0].evidence.at("region"), "US");
  // The merchant's own region is never foreign.
  EXPECT_EQ(set.Judge(IpFacts("CN-SH", "203.0.113.0/24"), c, {}).decision, Decision::kAllow);
  // Fewer payments than the minimum say nothing.
  c.ip_total = 9;
  c.ip_region = 9;
  EXPECT_EQ(set.Judge(f, c, {}).decision, Decision::kAllow);
}

TEST(ForeignIp, MostPaymentsFromOneSubnetEvenAtHome) {
  RuleSet set = Only(Rule(kForeignIp));
  Counters c;
  c.ip_total = 10;
  c.ip_subnet = 6;
  Verdict v = set.Judge(IpFacts("CN-SH", "198.51.100.0/24"), c, {});
  EXPECT_EQ(v.decision, Decision::kReview);
  EXPECT_EQ(v.hits[0].evidence.at("subnet"), "198.51.100.0/24");
}

TEST(ForeignIp, StaffCanMakeItFreeze) {
  RuleConfig c = Rule(kForeignIp);
  c.action = Action::kFreeze;
  Counters n;
  n.ip_total = 10;
  n.ip_region = 10;
  EXPECT_EQ(Only(c).Judge(IpFacts("US", "x"), n, {}).decision, Decision::kFreeze);
}

// --- device hopping ---

TEST(DeviceHopping, ThreeMerchantsForceOffline) {
  RuleSet set = Only(Rule(kDeviceHopping));
  PaymentFacts f = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  f.device_id = "dev-1";
  Counters c;
  c.device_merchants = {"m2", "m1"};
  EXPECT_EQ(set.Judge(f, c, {}).decision, Decision::kAllow);
  c.device_merchants = {"m3", "m1", "m2"};
  Verdict v = set.Judge(f, c, {});
  EXPECT_EQ(v.decision, Decision::kBlock);
  ASSERT_EQ(v.hits.size(), 1u);
  EXPECT_EQ(v.hits[0].action, Action::kForceOffline);
  EXPECT_EQ(v.hits[0].merchants, (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(v.hits[0].evidence.at("merchants"), "m1 m2 m3");
  EXPECT_EQ(set.Plan(f).device_window, absl::Hours(1));
  f.device_id.clear();
  EXPECT_FALSE(set.Plan(f).device);
}

// --- failure modes and combination ---

TEST(FailModes, UnavailableCountersFailEachRuleItsWay) {
  auto set = RuleSet::Build(DefaultRules());
  ASSERT_TRUE(set.ok());
  // Daytime, with an IP and a device: amount surge (OPEN), foreign IP (OPEN) and device
  // hopping (CLOSED) are in scope; the night rule is not.
  PaymentFacts f = IpFacts("US", "203.0.113.0/24");
  f.device_id = "dev-1";
  Verdict v = set->Judge(f, std::nullopt, {});
  EXPECT_EQ(v.decision, Decision::kBlock);
  ASSERT_EQ(v.hits.size(), 3u);
  for (const Hit& h : v.hits) {
    EXPECT_EQ(h.evidence.at("counters"), "unavailable");
    EXPECT_EQ(h.action, h.rule_id == "device_hopping" ? Action::kBlock : Action::kReview)
        << h.rule_id;
  }
  // A daytime payment with no device: only OPEN rules, so it proceeds flagged.
  PaymentFacts plain = Facts(At("Asia/Shanghai", 2026, 12, 1, 12, 0));
  EXPECT_EQ(set->Judge(plain, std::nullopt, {}).decision, Decision::kReview);
  // A small night payment: the CLOSED night rule refuses it; never a freeze.
  PaymentFacts night = Facts(At("Asia/Shanghai", 2026, 12, 1, 2, 0));
  EXPECT_EQ(set->Judge(night, std::nullopt, {}).decision, Decision::kBlock);
}

TEST(FailModes, DisabledRulesSayNothing) {
  RuleConfig c = Rule(kNightSmall);
  c.enabled = false;
  PaymentFacts night = Facts(At("Asia/Shanghai", 2026, 12, 1, 2, 0));
  EXPECT_EQ(Only(c).Judge(night, std::nullopt, {}).decision, Decision::kAllow);
}

TEST(FailModes, FreezeBeatsBlockBeatsReview) {
  auto set = RuleSet::Build(DefaultRules());
  ASSERT_TRUE(set.ok());
  PaymentFacts f = IpFacts("US", "203.0.113.0/24");
  f.now = At("Asia/Shanghai", 2026, 12, 1, 2, 0);
  f.device_id = "d";
  Counters c;
  c.ip_total = 10;
  c.ip_region = 10;                      // REVIEW
  c.device_merchants = {"a", "b", "c"};  // BLOCK + force offline
  EXPECT_EQ(set->Judge(f, c, {}).decision, Decision::kBlock);
  c.night_count = 20;  // FREEZE
  Verdict v = set->Judge(f, c, {});
  EXPECT_EQ(v.decision, Decision::kFreeze);
  EXPECT_EQ(v.hits.size(), 3u);
}

// --- configuration ---

TEST(RuleConfig, BadParametersNameTheField) {
  auto bad = [](const char* key, const char* value) {
    RuleConfig c = Rule(kNightSmall);
    c.params[key] = value;
    return MakeRule(c).status();
  };
  EXPECT_EQ(common::ErrorField(bad("window_seconds", "-5")), "params.window_seconds");
  EXPECT_EQ(common::ErrorField(bad("window_seconds", "0")), "params.window_seconds");
  EXPECT_EQ(common::ErrorField(bad("count", "ten")), "params.count");
  EXPECT_EQ(common::ErrorField(bad("start_hour", "24")), "params.start_hour");
  EXPECT_EQ(common::ErrorField(bad("colour", "red")), "params.colour");
  RuleConfig surge = Rule(kAmountSurge);
  surge.params["multiplier"] = "0.5";
  EXPECT_EQ(common::ErrorField(MakeRule(surge).status()), "params.multiplier");
  surge.params["multiplier"] = "2.00001";
  EXPECT_EQ(common::ErrorField(MakeRule(surge).status()), "params.multiplier");
  surge.params["multiplier"] = "2.5";
  EXPECT_TRUE(MakeRule(surge).ok());
  RuleConfig hop = Rule(kDeviceHopping);
  hop.action = Action::kFreeze;
  EXPECT_EQ(common::ErrorField(MakeRule(hop).status()), "action");
  EXPECT_EQ(ParseFailMode("SOMETIMES", "fail_mode").status().code(),
            absl::StatusCode::kInvalidArgument);
  RuleConfig unknown;
  unknown.rule_id = "no_such_rule";
  EXPECT_EQ(MakeRule(unknown).status().code(), absl::StatusCode::kNotFound);
}

TEST(RuleConfig, ParamsRoundTrip) {
  auto p = ParseParams("b=2,a=1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(FormatParams(*p), "a=1,b=2");
  EXPECT_FALSE(ParseParams("a=1,b").ok());
}

// --- regions ---

TEST(Regions, CsvImportAndLookup) {
  auto ranges = ParseRegionCsv(
      "cidr,region\n# sample\n10.0.0.0/8,CN-SH\n203.0.113.0/24,US\n\n2001:db8::/32,JP\r\n");
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  RegionTable table(*ranges);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.Lookup(*ParseIp("10.1.2.3", "ip")), "CN-SH");
  EXPECT_EQ(table.Lookup(*ParseIp("203.0.113.255", "ip")), "US");
  EXPECT_EQ(table.Lookup(*ParseIp("203.0.114.0", "ip")), std::nullopt);
  EXPECT_EQ(table.Lookup(*ParseIp("2001:db8:1::5", "ip")), "JP");
  EXPECT_EQ(table.Lookup(*ParseIp("::ffff:10.9.9.9", "ip")), "CN-SH");
  EXPECT_EQ(SubnetOf(*ParseIp("203.0.113.77", "ip"), 24), "203.0.113.0/24");
  EXPECT_EQ(SubnetOf(*ParseIp("2001:db8:1:2::5", "ip"), 24), "2001:db8:1::/48");
}

TEST(Regions, MalformedLinesAreRefusedWithTheirNumber) {
  auto msg = [](const char* csv) { return std::string(ParseRegionCsv(csv).status().message()); };
  EXPECT_TRUE(absl::StrContains(msg("10.0.0.0/8,CN\n10.0.0.300/32,US\n"), "csv line 2"));
  EXPECT_TRUE(absl::StrContains(msg("10.0.0.0/33,CN\n"), "csv line 1"));
  EXPECT_TRUE(
      absl::StrContains(msg("# c\n10.0.0.1/8,CN\n"), "csv line 2: cidr: \"10.0.0.1/8\" has host"));
  EXPECT_TRUE(absl::StrContains(msg("10.0.0.0/8\n"), "csv line 1"));
  EXPECT_TRUE(absl::StrContains(msg("10.0.0.0/8,C N\n"), "csv line 1"));
  EXPECT_TRUE(absl::StrContains(msg("10.0.0.0/8,CN\n1.0.0.0/8,US\n10.1.0.0/16,JP\n"),
                                "csv line 3: 10.1.0.0/16 overlaps 10.0.0.0/8 of line 1"));
  EXPECT_EQ(common::ErrorField(ParseRegionCsv("x,y\n").status()), "csv");
}

// Found by fuzzing (tests/fuzz/regressions/cidr): IPv4 addresses are ::ffff:a.b.c.d in the one
// 128-bit space, so an IPv6 row reaching into ::ffff:0:0/96 gave its region to IPv4 payers.
TEST(Regions, AnIpv6BlockMustNotHoldIpv4Addresses) {
  auto msg = [](const char* csv) { return std::string(ParseRegionCsv(csv).status().message()); };
  EXPECT_TRUE(absl::StrContains(msg("2001:db8::/32,JP\n::/0,ZZ\n"),
                                "csv line 2: cidr: \"::/0\" covers IPv4 addresses"));
  EXPECT_TRUE(absl::StrContains(msg("::/63,JP\n"), "csv line 1"));
  EXPECT_TRUE(absl::StrContains(msg("::fffe:0:0/95,JP\n"), "covers IPv4 addresses"));
  EXPECT_EQ(ParseCidr("::/0", "cidr").status().code(), absl::StatusCode::kInvalidArgument);
  // Below and above the mapped block, and IPv4 written in mapped form, are fine.
  auto ranges = ParseRegionCsv("::/97,A\n::1:0:0:0/80,B\n::ffff:198.51.100.0/24,SG\n");
  ASSERT_TRUE(ranges.ok()) << ranges.status();
  RegionTable table(*ranges);
  EXPECT_EQ(table.Lookup(*ParseIp("198.51.100.9", "ip")), "SG");
  EXPECT_EQ(table.Lookup(*ParseIp("203.0.113.9", "ip")), std::nullopt);
  EXPECT_EQ(table.Lookup(*ParseIp("::5", "ip")), "A");
}

// --- merchant thresholds ---

TEST(Alerts, EachThresholdJustPastItsLevel) {
  AlertThresholds t{"m1", "CNY", 50000, 100000, true};
  AlertFacts f{"a1", 50000, "CNY", 60000, "2026-12-01T10", "", false};
  EXPECT_TRUE(CrossedThresholds(t, f).empty());
  f.amount_minor = 50001;
  f.hour_total_minor = 100001;  // crosses: 49,999.99 -> 100,000.01 ... before was 50,000.00
  auto alerts = CrossedThresholds(t, f);
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].kind, "SINGLE_PAYMENT");
  EXPECT_EQ(alerts[1].kind, "HOURLY_VOLUME");
  EXPECT_EQ(alerts[1].dedupe_key, "hour:2026-12-01T10");
  // Already past the level before this payment: no second hourly alert.
  f.amount_minor = 100;
  f.hour_total_minor = 100101;
  EXPECT_TRUE(CrossedThresholds(t, f).empty());
  f.payer_region = "US";
  f.region_is_new = true;
  alerts = CrossedThresholds(t, f);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "NEW_REGION");
  AlertThresholds bad = t;
  bad.hourly_volume_minor = -1;
  EXPECT_EQ(common::ErrorField(ValidateThresholds(bad)), "hourly_volume_over.amount_minor");
}

}  // namespace
}  // namespace aggpay::risk
