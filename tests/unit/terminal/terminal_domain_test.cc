#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/common/clock/clock.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"
#include "services/terminal/domain/activation.h"
#include "services/terminal/domain/client_version.h"
#include "services/terminal/domain/terminal.h"
#include "services/terminal/domain/terminal_key.h"
#include "tests/support/status_expectations.h"

namespace aggpay::terminal {

void PrintTo(TerminalStatus status, std::ostream* os) { *os << TerminalStatusName(status); }
void PrintTo(TerminalAction action, std::ostream* os) { *os << TerminalActionName(action); }
void PrintTo(Capability capability, std::ostream* os) { *os << CapabilityName(capability); }
void PrintTo(const ClientVersion& version, std::ostream* os) { *os << ToString(version); }

namespace {

using ::aggpay::testing::ExpectFieldError;
using ::aggpay::testing::ExpectInvalid;
using ::aggpay::testing::MessageHas;

void ExpectUnauthenticated(const absl::Status& status, absl::string_view text) {
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_TRUE(MessageHas(status, text));
}

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

// ---------------------------------------------------------------- the state machine

using S = TerminalStatus;
using A = TerminalAction;
constexpr std::optional<S> REG = S::kRegistered;
constexpr std::optional<S> ACT = S::kActive;
constexpr std::optional<S> OFF = S::kOffline;
constexpr std::optional<S> FRZ = S::kFrozen;
constexpr std::optional<S> RET = S::kRetired;
constexpr std::optional<S> xx = std::nullopt;  // FAILED_PRECONDITION

// kExpected[from][action]: rows in the order of kAllTerminalStatuses, columns in the order of
// kAllTerminalActions.
constexpr std::array<std::array<std::optional<S>, 8>, 5> kExpected = {{
    // ACTIVATE CHECK_IN FORCE_OFFLINE CLEAR FREEZE UNFREEZE RETIRE UPDATE_CONFIG
    {{ACT, xx, xx, xx, xx, xx, RET, REG}},    // REGISTERED
    {{xx, ACT, OFF, xx, FRZ, xx, RET, ACT}},  // ACTIVE
    {{xx, xx, OFF, REG, xx, xx, RET, OFF}},   // OFFLINE
    {{xx, xx, OFF, xx, xx, ACT, RET, FRZ}},   // FROZEN
    {{xx, xx, xx, xx, xx, xx, xx, xx}},       // RETIRED
}};

TEST(TransitionTableTest, RowsAndColumnsFollowTheEnumOrder) {
  for (size_t i = 0; i < kAllTerminalStatuses.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kAllTerminalStatuses[i]), i);
  }
  for (size_t i = 0; i < kAllTerminalActions.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(kAllTerminalActions[i]), i);
  }
  EXPECT_EQ(TerminalStatusName(kAllTerminalStatuses[0]), "REGISTERED");
  EXPECT_EQ(TerminalStatusName(kAllTerminalStatuses[4]), "RETIRED");
  EXPECT_EQ(TerminalActionName(kAllTerminalActions[0]), "ACTIVATE");
  EXPECT_EQ(TerminalActionName(kAllTerminalActions[7]), "UPDATE_CONFIG");
}

class TransitionTest : public ::testing::TestWithParam<std::tuple<S, A>> {};

TEST_P(TransitionTest, MatchesTheTable) {
  const auto [from, action] = GetParam();
  const std::optional<S> expected =
      kExpected[static_cast<size_t>(from)][static_cast<size_t>(action)];
  absl::StatusOr<S> to = Transition(from, action);
  EXPECT_EQ(IsAllowed(from, action), expected.has_value());
  if (expected.has_value()) {
    ASSERT_TRUE(to.ok()) << to.status();
    EXPECT_EQ(*to, *expected);
  } else {
    ExpectFieldError(to.status(), absl::StatusCode::kFailedPrecondition, "status");
    EXPECT_TRUE(MessageHas(to.status(), TerminalStatusName(from)));
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, TransitionTest,
                         ::testing::Combine(::testing::ValuesIn(kAllTerminalStatuses),
                                            ::testing::ValuesIn(kAllTerminalActions)),
                         [](const ::testing::TestParamInfo<TransitionTest::ParamType>& info) {
                           return absl::StrCat(TerminalStatusName(std::get<0>(info.param)), "_",
                                               TerminalActionName(std::get<1>(info.param)));
                         });

TEST(TransitionTest, MessagesNameTheStateAndTheWayOut) {
  EXPECT_EQ(Transition(S::kRetired, A::kCheckIn).status().message(), "status: terminal is RETIRED");
  EXPECT_EQ(Transition(S::kRetired, A::kRetire).status().message(), "status: terminal is RETIRED");
  EXPECT_EQ(Transition(S::kOffline, A::kCheckIn).status().message(),
            "status: cannot check in a terminal in OFFLINE: it must be cleared and activated "
            "again");
  EXPECT_EQ(Transition(S::kRegistered, A::kCheckIn).status().message(),
            "status: cannot check in a terminal in REGISTERED: it must be activated first");
  EXPECT_EQ(Transition(S::kOffline, A::kActivate).status().message(),
            "status: cannot activate a terminal in OFFLINE: it must be cleared first");
  EXPECT_EQ(Transition(S::kActive, A::kActivate).status().message(),
            "status: cannot activate a terminal in ACTIVE: it is already active");
  EXPECT_EQ(Transition(S::kFrozen, A::kCheckIn).status().message(),
            "status: cannot check in a terminal in FROZEN: it is frozen pending risk review");
  EXPECT_EQ(Transition(S::kActive, A::kClear).status().message(),
            "status: cannot clear a terminal in ACTIVE: only an OFFLINE terminal can be cleared");
}

TEST(TransitionTest, TheWholeLifeOfATerminal) {
  S state = S::kRegistered;
  const std::vector<std::pair<A, S>> steps = {
      {A::kUpdateConfig, S::kRegistered}, {A::kActivate, S::kActive},
      {A::kCheckIn, S::kActive},          {A::kFreeze, S::kFrozen},
      {A::kUpdateConfig, S::kFrozen},     {A::kUnfreeze, S::kActive},
      {A::kForceOffline, S::kOffline},    {A::kForceOffline, S::kOffline},
      {A::kClear, S::kRegistered},        {A::kActivate, S::kActive},
      {A::kCheckIn, S::kActive},          {A::kRetire, S::kRetired},
  };
  for (const auto& [action, expected] : steps) {
    SCOPED_TRACE(TerminalActionName(action));
    absl::StatusOr<S> next = Transition(state, action);
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(*next, expected);
    state = *next;
  }
}

TEST(TransitionTest, ForcingAMerchantOfflineTwiceIsHarmless) {
  // Risk control forces every terminal of a merchant offline; the job may run again.
  for (S from : {S::kActive, S::kFrozen, S::kOffline}) {
    absl::StatusOr<S> once = Transition(from, A::kForceOffline);
    ASSERT_TRUE(once.ok()) << once.status();
    absl::StatusOr<S> twice = Transition(*once, A::kForceOffline);
    ASSERT_TRUE(twice.ok()) << twice.status();
    EXPECT_EQ(*twice, S::kOffline);
  }
  EXPECT_FALSE(IsAllowed(S::kRegistered, A::kForceOffline));
  EXPECT_FALSE(IsAllowed(S::kRetired, A::kForceOffline));
}

// ---------------------------------------------------------------- names

TEST(NamesTest, TypesRoundTrip) {
  const std::vector<std::pair<TerminalType, absl::string_view>> names = {
      {TerminalType::kPos, "POS"},
      {TerminalType::kSmartPos, "SMART_POS"},
      {TerminalType::kCloudSpeaker, "CLOUD_SPEAKER"},
      {TerminalType::kQrStand, "QR_STAND"},
      {TerminalType::kCashierSoftware, "CASHIER_SOFTWARE"},
  };
  ASSERT_EQ(names.size(), kAllTerminalTypes.size());
  for (const auto& [type, name] : names) {
    EXPECT_EQ(TerminalTypeName(type), name);
    absl::StatusOr<TerminalType> parsed = ParseTerminalType(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, type);
  }
  for (absl::string_view bad : {"", "pos", "POS ", "QR STAND", "SPEAKER"}) {
    ExpectInvalid(ParseTerminalType(bad).status(), "type");
  }
  ExpectInvalid(ParseTerminalType("x", "filter.type").status(), "filter.type");
}

TEST(NamesTest, StatusesRoundTrip) {
  const std::vector<std::pair<S, absl::string_view>> names = {
      {S::kRegistered, "REGISTERED"}, {S::kActive, "ACTIVE"},   {S::kOffline, "OFFLINE"},
      {S::kFrozen, "FROZEN"},         {S::kRetired, "RETIRED"},
  };
  for (const auto& [status, name] : names) {
    EXPECT_EQ(TerminalStatusName(status), name);
    absl::StatusOr<S> parsed = ParseTerminalStatus(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, status);
  }
  for (absl::string_view bad : {"", "active", "ONLINE", "RETIRED\n"}) {
    ExpectInvalid(ParseTerminalStatus(bad).status(), "status");
  }
  ExpectInvalid(ParseTerminalStatus("x", "filter.status").status(), "filter.status");
}

TEST(NamesTest, Actions) {
  const std::vector<absl::string_view> names = {"ACTIVATE", "CHECK_IN",     "FORCE_OFFLINE",
                                                "CLEAR",    "FREEZE",       "UNFREEZE",
                                                "RETIRE",   "UPDATE_CONFIG"};
  ASSERT_EQ(names.size(), kAllTerminalActions.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(TerminalActionName(kAllTerminalActions[i]), names[i]);
  }
}

// ---------------------------------------------------------------- identifiers

TEST(SerialTest, Bounds) {
  EXPECT_TRUE(ValidateSerial("SN01").ok());
  EXPECT_TRUE(ValidateSerial("N910-2024_000123").ok());
  EXPECT_TRUE(ValidateSerial(std::string(64, 'a')).ok());
  for (const std::string& bad :
       {std::string(), std::string("SN1"), std::string(65, 'a'), std::string("SN 0001"),
        std::string("SN.0001"), std::string("SN0001\n"), std::string("序列号0001")}) {
    ExpectInvalid(ValidateSerial(bad), "serial");
  }
  ExpectInvalid(ValidateSerial("x", "terminal.serial"), "terminal.serial");
}

TEST(DeviceIdTest, Bounds) {
  EXPECT_TRUE(ValidateDeviceId("dev-0001").ok());
  EXPECT_TRUE(ValidateDeviceId(std::string(128, 'Z')).ok());
  for (const std::string& bad : {std::string(), std::string("dev-001"), std::string(129, 'a'),
                                 std::string("dev:0001"), std::string("dev/0001/x")}) {
    ExpectInvalid(ValidateDeviceId(bad), "device_id");
  }
}

TEST(VendorTest, PrintableUtf8) {
  for (const std::string& ok : {std::string("N"), std::string("Newland"), std::string("新大陆"),
                                std::string("PAX Technology (HK)"), std::string(64, 'v')}) {
    EXPECT_TRUE(ValidateVendor(ok).ok()) << ok << ": " << ValidateVendor(ok);
  }
  for (const std::string& bad :
       {std::string(), std::string(65, 'v'), std::string(" Newland"), std::string("Newland "),
        std::string("New\tland"), std::string("New\nland"), std::string("New\x7f"),
        std::string("New\xc2\x85"),              // U+0085, a C1 control
        std::string("\xff\xfe"),                 // not UTF-8
        std::string("\xc0\xaf"),                 // overlong
        std::string("\xed\xa0\x80"),             // a surrogate
        std::string("\xe6\x96\xb0\xe5\xa4")}) {  // truncated
    ExpectInvalid(ValidateVendor(bad), "vendor");
  }
}

// ---------------------------------------------------------------- client versions

TEST(ClientVersionTest, Parses) {
  const std::vector<std::pair<absl::string_view, ClientVersion>> cases = {
      {"8", {8, 0, 0}},           {"7.0", {7, 0, 0}},
      {"8.0.15", {8, 0, 15}},     {"0", {0, 0, 0}},
      {"10.20.30", {10, 20, 30}}, {"99999.99999.99999", {99999, 99999, 99999}},
      {"7.9.9", {7, 9, 9}},
  };
  for (const auto& [text, expected] : cases) {
    absl::StatusOr<ClientVersion> parsed = ParseClientVersion(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, expected) << text;
  }
}

TEST(ClientVersionTest, RefusesEverythingElse) {
  for (absl::string_view bad :
       {"", "v8.0", "8.0.", ".8", "8..0", "8.0.0.1", " 8", "8 ", "+8", "-1", "8.-1", "08.1", "8.01",
        "100000", "8.100000", "8.0.15-beta", "8,0", "８.0", "8.0\n"}) {
    ExpectInvalid(ParseClientVersion(bad).status(), "client_version");
  }
  ExpectInvalid(ParseClientVersion("x", "terminal.client_version").status(),
                "terminal.client_version");
}

TEST(ClientVersionTest, ComparesPartByPart) {
  const ClientVersion v7{7, 0, 0}, v7_9_9{7, 9, 9}, v8{8, 0, 0}, v8_0_14{8, 0, 14},
      v8_0_15{8, 0, 15}, v8_1{8, 1, 0}, v10{10, 0, 0};
  const std::vector<ClientVersion> ascending = {v7, v7_9_9, v8, v8_0_14, v8_0_15, v8_1, v10};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      EXPECT_EQ(ascending[i] < ascending[j], i < j);
      EXPECT_EQ(ascending[i] == ascending[j], i == j);
      EXPECT_EQ(ascending[i] >= ascending[j], i >= j);
      EXPECT_EQ(VersionRank(ascending[i]) < VersionRank(ascending[j]), i < j);
    }
  }
  // Numbers, not strings: 10 > 9.
  EXPECT_LT(ParseClientVersion("9.9").value(), ParseClientVersion("10.0").value());
  EXPECT_NE(ParseClientVersion("8").value(), ParseClientVersion("8.0.1").value());
  EXPECT_EQ(ParseClientVersion("8").value(), ParseClientVersion("8.0.0").value());
}

TEST(ClientVersionTest, ToStringAndRank) {
  EXPECT_EQ(ToString({8, 0, 15}), "8.0.15");
  EXPECT_EQ(ToString(ParseClientVersion("7.0").value()), "7.0.0");
  for (absl::string_view text : {"8.0.15", "0.0.0", "99999.99999.99999", "12.3.456"}) {
    EXPECT_EQ(ToString(ParseClientVersion(text).value()), text);
  }
  EXPECT_EQ(VersionRank({8, 0, 15}), 80'000'000'015);
  EXPECT_EQ(VersionRank({7, 1, 0}), 70'000'100'000);
  EXPECT_EQ(VersionRank({99999, 99999, 99999}), 999'999'999'999'999);
}

// ---------------------------------------------------------------- capabilities

using C = Capability;
using Caps = std::vector<Capability>;

TEST(CapabilityTest, NamesRoundTrip) {
  EXPECT_EQ(CapabilityName(C::kStaticCode), "STATIC_CODE");
  EXPECT_EQ(CapabilityName(C::kDynamicCode), "DYNAMIC_CODE");
  EXPECT_EQ(CapabilityName(C::kCodeSkins), "CODE_SKINS");
  for (C c : kAllCapabilities) EXPECT_EQ(ParseCapability(CapabilityName(c)).value(), c);
  for (absl::string_view bad : {"", "static_code", "SKINS", "DYNAMIC"}) {
    ExpectInvalid(ParseCapability(bad).status(), "capability");
  }
  ExpectInvalid(ParseCapability("x", "terminal.capabilities[0].capabilities[1]").status(),
                "terminal.capabilities[0].capabilities[1]");
}

TEST(CapabilityTableTest, TheDomainsExample) {
  const CapabilityTable table = CapabilityTable::Default();
  const std::vector<std::pair<absl::string_view, Caps>> cases = {
      {"0", {}},
      {"6.9.99999", {}},
      {"7.0", {C::kStaticCode}},
      {"7.9.9", {C::kStaticCode}},
      {"8.0", {C::kStaticCode, C::kDynamicCode}},
      {"8.0.14", {C::kStaticCode, C::kDynamicCode}},
      {"8.0.15", {C::kStaticCode, C::kDynamicCode, C::kCodeSkins}},
      {"8.1", {C::kStaticCode, C::kDynamicCode, C::kCodeSkins}},
      {"9.1", {C::kStaticCode, C::kDynamicCode, C::kCodeSkins}},
      {"99999.99999.99999", {C::kStaticCode, C::kDynamicCode, C::kCodeSkins}},
  };
  for (TerminalType type : {TerminalType::kPos, TerminalType::kSmartPos,
                            TerminalType::kCloudSpeaker, TerminalType::kCashierSoftware}) {
    for (const auto& [text, expected] : cases) {
      SCOPED_TRACE(absl::StrCat(TerminalTypeName(type), " ", text));
      const ClientVersion v = ParseClientVersion(text).value();
      EXPECT_EQ(table.CapabilitiesFor(type, v), expected);
      for (C c : kAllCapabilities) {
        const bool listed = std::find(expected.begin(), expected.end(), c) != expected.end();
        EXPECT_EQ(table.Allows(type, v, c), listed) << CapabilityName(c);
      }
    }
  }
}

TEST(CapabilityTableTest, AQrStandIsOnlyEverStatic) {
  const CapabilityTable table = CapabilityTable::Default();
  EXPECT_EQ(table.CapabilitiesFor(TerminalType::kQrStand, {6, 0, 0}), Caps{});
  for (ClientVersion v : {ClientVersion{7, 0, 0}, ClientVersion{8, 0, 0}, ClientVersion{8, 0, 15},
                          ClientVersion{9, 1, 0}}) {
    SCOPED_TRACE(ToString(v));
    EXPECT_EQ(table.CapabilitiesFor(TerminalType::kQrStand, v), Caps{C::kStaticCode});
    EXPECT_TRUE(table.Allows(TerminalType::kQrStand, v, C::kStaticCode));
    EXPECT_FALSE(table.Allows(TerminalType::kQrStand, v, C::kDynamicCode));
    EXPECT_FALSE(table.Allows(TerminalType::kQrStand, v, C::kCodeSkins));
  }
}

TEST(CapabilityTableTest, ALaterRuleReplacesAnEarlierOne) {
  // 9.0 shipped broken dynamic codes; from 9.0 only the static code, fixed again in 9.0.1.
  absl::StatusOr<CapabilityTable> table = CapabilityTable::Create({
      {{7, 0, 0}, {C::kStaticCode}},
      {{8, 0, 0}, {C::kDynamicCode, C::kStaticCode}},
      {{9, 0, 0}, {C::kStaticCode}},
      {{9, 0, 1}, {C::kCodeSkins, C::kDynamicCode, C::kStaticCode}},
  });
  ASSERT_TRUE(table.ok()) << table.status();
  const TerminalType pos = TerminalType::kPos;
  EXPECT_EQ(table->CapabilitiesFor(pos, {8, 5, 0}), (Caps{C::kStaticCode, C::kDynamicCode}));
  EXPECT_EQ(table->CapabilitiesFor(pos, {9, 0, 0}), Caps{C::kStaticCode});
  // Stored and returned in the order of kAllCapabilities whatever order the config used.
  EXPECT_EQ(table->CapabilitiesFor(pos, {9, 0, 1}),
            (Caps{C::kStaticCode, C::kDynamicCode, C::kCodeSkins}));
  EXPECT_EQ(table->rules()[1].capabilities, (Caps{C::kStaticCode, C::kDynamicCode}));
  // A QR stand of a version whose rule has no static code gets nothing.
  absl::StatusOr<CapabilityTable> dynamic_only =
      CapabilityTable::Create({{{1, 0, 0}, {C::kDynamicCode}}});
  ASSERT_TRUE(dynamic_only.ok()) << dynamic_only.status();
  EXPECT_EQ(dynamic_only->CapabilitiesFor(TerminalType::kQrStand, {2, 0, 0}), Caps{});
}

TEST(CapabilityTableTest, DefaultIsAValidTable) {
  const CapabilityTable table = CapabilityTable::Default();
  absl::StatusOr<CapabilityTable> again = CapabilityTable::Create(table.rules());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(table.rules().size(), 3u);
  EXPECT_EQ(table.rules()[0].min_version, (ClientVersion{7, 0, 0}));
  EXPECT_EQ(table.rules()[1].min_version, (ClientVersion{8, 0, 0}));
  EXPECT_EQ(table.rules()[2].min_version, (ClientVersion{8, 0, 15}));
}

TEST(CapabilityTableTest, CreateRefusesBadRules) {
  ExpectInvalid(CapabilityTable::Create({}).status(), "terminal.capabilities");
  // Out of order.
  absl::Status status =
      CapabilityTable::Create({{{8, 0, 0}, {C::kStaticCode}}, {{7, 0, 0}, {C::kStaticCode}}})
          .status();
  ExpectInvalid(status, "terminal.capabilities[1]");
  EXPECT_TRUE(MessageHas(status, "7.0.0"));
  // The same version twice.
  ExpectInvalid(CapabilityTable::Create({{{7, 0, 0}, {C::kStaticCode}},
                                         {{8, 0, 0}, {C::kStaticCode}},
                                         {{8, 0, 0}, {C::kDynamicCode}}})
                    .status(),
                "terminal.capabilities[2]");
  // A capability twice.
  ExpectInvalid(CapabilityTable::Create({{{7, 0, 0}, {C::kStaticCode, C::kStaticCode}}}).status(),
                "terminal.capabilities[0]");
  // Version parts out of range.
  ExpectInvalid(CapabilityTable::Create({{{7, -1, 0}, {C::kStaticCode}}}).status(),
                "terminal.capabilities[0]");
  ExpectInvalid(
      CapabilityTable::Create({{{7, 0, 0}, {C::kStaticCode}}, {{100000, 0, 0}, {C::kStaticCode}}})
          .status(),
      "terminal.capabilities[1]");
  // An enum value that is none of the capabilities.
  ExpectInvalid(CapabilityTable::Create({{{7, 0, 0}, {static_cast<C>(9)}}}).status(),
                "terminal.capabilities[0]");
}

// ---------------------------------------------------------------- activation codes

const absl::Time kIssued =
    absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0), absl::UTCTimeZone());

ActivationCode SevenDayCode() {
  ActivationCode code;
  code.code = "ABCDEFGHJKMN";
  code.merchant_id = "m-1";
  code.store_id = "s-1";
  code.expires_at = kIssued + kDefaultActivationCodeLifetime;
  return code;
}

TEST(ActivationCodeTest, NewCodesHaveTheFormatAndDoNotRepeat) {
  std::set<std::string> seen;
  std::set<char> characters;
  for (int i = 0; i < 2000; ++i) {
    const std::string code = NewActivationCode();
    ASSERT_EQ(code.size(), 12u);
    ASSERT_TRUE(ValidateActivationCodeFormat(code).ok()) << code;
    seen.insert(code);
    characters.insert(code.begin(), code.end());
  }
  EXPECT_EQ(seen.size(), 2000u);
  // 24,000 draws from 32 characters: every one of them turns up.
  EXPECT_EQ(characters.size(), 32u);
}

TEST(ActivationCodeTest, Format) {
  EXPECT_TRUE(ValidateActivationCodeFormat("23456789ABCD").ok());
  EXPECT_TRUE(ValidateActivationCodeFormat("ZYXWVUTSRQPN").ok());
  for (absl::string_view bad :
       {"", "23456789ABC", "23456789ABCDE", "23456789ABCO", "23456789ABC1", "23456789ABCI",
        "23456789ABC0", "abcdefghjkmn", "2345-6789-AB", "23456789ABC "}) {
    ExpectInvalid(ValidateActivationCodeFormat(bad), "activation_code");
  }
  absl::Status status = ValidateActivationCodeFormat("23456789ABCO");
  EXPECT_FALSE(MessageHas(status, "23456789ABCO")) << "the code is not echoed back";
}

TEST(ActivationCodeTest, NormalizeForHandTypedCodes) {
  EXPECT_EQ(NormalizeActivationCode("abcd-efgh-jkmn"), "ABCDEFGHJKMN");
  EXPECT_EQ(NormalizeActivationCode(" 2345 6789 abcd "), "23456789ABCD");
  EXPECT_EQ(NormalizeActivationCode("ABCDEFGHJKMN"), "ABCDEFGHJKMN");
  EXPECT_TRUE(ValidateActivationCodeFormat(NormalizeActivationCode("abcd-efgh-jkmn")).ok());
  // Look-alikes are not guessed into valid characters.
  EXPECT_FALSE(ValidateActivationCodeFormat(NormalizeActivationCode("abcd-efgh-jkmo")).ok());
}

TEST(ActivationCodeTest, ExpiresExactlySevenDaysAfterIssue) {
  const ActivationCode code = SevenDayCode();
  EXPECT_EQ(code.expires_at - kIssued, absl::Hours(168));
  common::FakeClock clock(kIssued);
  EXPECT_TRUE(CheckActivationCodeUsable(code, clock.Now()).ok());
  clock.Advance(absl::Hours(168) - absl::Nanoseconds(1));
  EXPECT_TRUE(CheckActivationCodeUsable(code, clock.Now()).ok());
  clock.Advance(absl::Nanoseconds(1));
  absl::Status status = CheckActivationCodeUsable(code, clock.Now());
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "activation_code");
  EXPECT_TRUE(MessageHas(status, "activation code expired"));
}

TEST(ActivationCodeTest, SingleUseByDefault) {
  ActivationCode code = SevenDayCode();
  EXPECT_EQ(code.max_uses, 1);
  EXPECT_TRUE(CheckActivationCodeUsable(code, kIssued).ok());
  code.uses = 1;
  absl::Status status = CheckActivationCodeUsable(code, kIssued);
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "activation_code");
  EXPECT_TRUE(MessageHas(status, "activation code already used"));

  code.max_uses = 3;
  code.uses = 2;
  EXPECT_TRUE(CheckActivationCodeUsable(code, kIssued).ok());
  code.uses = 3;
  EXPECT_TRUE(MessageHas(CheckActivationCodeUsable(code, kIssued), "already used"));
}

TEST(ActivationCodeTest, RevokedComesFirstThenExpiredThenUsed) {
  ActivationCode code = SevenDayCode();
  code.revoked = true;
  code.uses = 1;
  const absl::Time late = code.expires_at + absl::Hours(1);
  absl::Status status = CheckActivationCodeUsable(code, kIssued);
  ExpectFieldError(status, absl::StatusCode::kFailedPrecondition, "activation_code");
  EXPECT_TRUE(MessageHas(status, "activation code revoked"));
  EXPECT_TRUE(MessageHas(CheckActivationCodeUsable(code, late), "revoked"));
  code.revoked = false;
  EXPECT_TRUE(MessageHas(CheckActivationCodeUsable(code, late), "expired"));
  EXPECT_TRUE(MessageHas(CheckActivationCodeUsable(code, kIssued), "already used"));
}

TEST(ActivationCodeTest, ABoundCodeActivatesOnlyInItsStore) {
  const ActivationCode code = SevenDayCode();
  EXPECT_TRUE(CheckActivationCodeMatchesTerminal(code, "m-1", "s-1").ok());
  ExpectFieldError(CheckActivationCodeMatchesTerminal(code, "m-1", "s-2"),
                   absl::StatusCode::kFailedPrecondition, "activation_code");
  ExpectFieldError(CheckActivationCodeMatchesTerminal(code, "m-2", "s-1"),
                   absl::StatusCode::kFailedPrecondition, "activation_code");
}

TEST(ActivationCodeTest, Options) {
  EXPECT_EQ(kDefaultActivationCodeLifetime, absl::Hours(24 * 7));
  EXPECT_TRUE(ValidateActivationCodeOptions(1, kDefaultActivationCodeLifetime).ok());
  EXPECT_TRUE(ValidateActivationCodeOptions(1000, absl::Minutes(1)).ok());
  EXPECT_TRUE(ValidateActivationCodeOptions(1, absl::Hours(24 * 30)).ok());
  ExpectInvalid(ValidateActivationCodeOptions(0, absl::Hours(1)), "max_uses");
  ExpectInvalid(ValidateActivationCodeOptions(-1, absl::Hours(1)), "max_uses");
  ExpectInvalid(ValidateActivationCodeOptions(1001, absl::Hours(1)), "max_uses");
  ExpectInvalid(ValidateActivationCodeOptions(1, absl::Seconds(59)), "ttl_seconds");
  ExpectInvalid(ValidateActivationCodeOptions(1, absl::ZeroDuration()), "ttl_seconds");
  ExpectInvalid(ValidateActivationCodeOptions(1, absl::Hours(24 * 30) + absl::Seconds(1)),
                "ttl_seconds");
}

// ---------------------------------------------------------------- key expiry

TEST(KeyExpiryTest, NextLocalMidnightInShanghai) {
  const absl::TimeZone shanghai = Zone("Asia/Shanghai");
  const auto local = [&](int y, int m, int d, int hh, int mm, int ss) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), shanghai);
  };
  EXPECT_EQ(KeyExpiry(local(2026, 3, 10, 23, 59, 59), shanghai) - local(2026, 3, 10, 23, 59, 59),
            absl::Seconds(1));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 10, 0, 0, 0), shanghai), local(2026, 3, 11, 0, 0, 0));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 10, 0, 0, 0), shanghai) - local(2026, 3, 10, 0, 0, 0),
            absl::Hours(24));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 10, 12, 34, 56) + absl::Milliseconds(789), shanghai),
            local(2026, 3, 11, 0, 0, 0));
  // The last nanosecond of the day still belongs to it.
  EXPECT_EQ(KeyExpiry(local(2026, 3, 11, 0, 0, 0) - absl::Nanoseconds(1), shanghai),
            local(2026, 3, 11, 0, 0, 0));
  // Midnight in Shanghai is 16:00 UTC the day before; the year rolls over.
  EXPECT_EQ(KeyExpiry(local(2026, 12, 31, 8, 0, 0), shanghai),
            absl::FromCivil(absl::CivilSecond(2026, 12, 31, 16, 0, 0), absl::UTCTimeZone()));
}

TEST(KeyExpiryTest, TheZoneIsTheMerchants) {
  // 2026-03-10 20:00 UTC is already 04:00 on the 11th in Shanghai, still the 10th in UTC.
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2026, 3, 10, 20, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(KeyExpiry(t, absl::UTCTimeZone()),
            absl::FromCivil(absl::CivilSecond(2026, 3, 11, 0, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(KeyExpiry(t, Zone("Asia/Shanghai")),
            absl::FromCivil(absl::CivilSecond(2026, 3, 11, 16, 0, 0), absl::UTCTimeZone()));
}

TEST(KeyExpiryTest, DaylightSavingDaysHave23Or25Hours) {
  const absl::TimeZone new_york = Zone("America/New_York");
  const auto local = [&](int y, int m, int d, int hh) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), new_york);
  };
  // 2026-03-08: clocks go from 02:00 to 03:00.
  EXPECT_EQ(KeyExpiry(local(2026, 3, 8, 0), new_york) - local(2026, 3, 8, 0), absl::Hours(23));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 8, 12), new_york), local(2026, 3, 9, 0));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 8, 1), new_york) - local(2026, 3, 8, 1), absl::Hours(22));
  EXPECT_EQ(KeyExpiry(local(2026, 3, 8, 12), new_york) - local(2026, 3, 8, 12), absl::Hours(12));
  // 2026-11-01: clocks go from 02:00 back to 01:00.
  EXPECT_EQ(KeyExpiry(local(2026, 11, 1, 0), new_york) - local(2026, 11, 1, 0), absl::Hours(25));
  EXPECT_EQ(KeyExpiry(local(2026, 11, 1, 1), new_york) - local(2026, 11, 1, 1), absl::Hours(24));
  // An ordinary day around them.
  EXPECT_EQ(KeyExpiry(local(2026, 3, 9, 0), new_york) - local(2026, 3, 9, 0), absl::Hours(24));
  // Each expiry is a local midnight.
  for (absl::Time issued : {local(2026, 3, 8, 1), local(2026, 3, 8, 5), local(2026, 11, 1, 1),
                            local(2026, 11, 1, 23)}) {
    const absl::CivilSecond at = absl::ToCivilSecond(KeyExpiry(issued, new_york), new_york);
    EXPECT_EQ(at.hour(), 0);
    EXPECT_EQ(at.minute(), 0);
    EXPECT_EQ(absl::CivilDay(at), absl::ToCivilDay(issued, new_york) + 1);
  }
}

TEST(KeyExpiryTest, WhereMidnightIsSkippedTheDayBeginsAtTheTransition) {
  // Sao Paulo, 2018-11-04: 00:00 -03 became 01:00 -02, so that day began at 03:00 UTC.
  const absl::TimeZone sao_paulo = Zone("America/Sao_Paulo");
  const absl::Time issued = absl::FromCivil(absl::CivilSecond(2018, 11, 3, 12, 0, 0), sao_paulo);
  const absl::Time expiry = KeyExpiry(issued, sao_paulo);
  EXPECT_EQ(expiry, absl::FromCivil(absl::CivilSecond(2018, 11, 4, 3, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(absl::ToCivilSecond(expiry, sao_paulo), absl::CivilSecond(2018, 11, 4, 1, 0, 0));
  EXPECT_EQ(absl::ToCivilDay(expiry - absl::Nanoseconds(1), sao_paulo),
            absl::CivilDay(2018, 11, 3));
}

// ---------------------------------------------------------------- key use

const absl::TimeZone& Shanghai() {
  static const absl::TimeZone* zone = new absl::TimeZone(Zone("Asia/Shanghai"));
  return *zone;
}

absl::Time Local(int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, d, hh, mm, 0), Shanghai());
}

TerminalKey KeyIssuedAt(int64_t version, absl::Time issued_at) {
  return TerminalKey{.version = version,
                     .secret = NewTerminalKeySecret(),
                     .issued_at = issued_at,
                     .expires_at = KeyExpiry(issued_at, Shanghai()),
                     .superseded_at = std::nullopt};
}

TEST(TerminalKeyTest, SecretsAre32RandomBytes) {
  const std::string a = NewTerminalKeySecret();
  const std::string b = NewTerminalKeySecret();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  absl::StatusOr<std::string> raw = common::Base64UrlDecode(a);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->size(), 32u);
}

TEST(TerminalKeyTest, UsableUntilItsExpiry) {
  const TerminalKey key = KeyIssuedAt(1, Local(10, 9));
  ASSERT_EQ(key.expires_at, Local(11, 0));
  EXPECT_TRUE(CheckKeyUsable(key, Local(10, 9), kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsable(key, key.expires_at - absl::Nanoseconds(1), kDefaultKeyOverlap).ok());
  ExpectUnauthenticated(CheckKeyUsable(key, key.expires_at, kDefaultKeyOverlap),
                        "terminal key expired");
}

TEST(TerminalKeyTest, OverlapWindowBoundaries) {
  EXPECT_EQ(kDefaultKeyOverlap, absl::Minutes(10));
  TerminalKey key = KeyIssuedAt(1, Local(10, 9));
  key.superseded_at = Local(10, 15);
  const absl::Time end = *key.superseded_at + kDefaultKeyOverlap;
  EXPECT_TRUE(CheckKeyUsable(key, *key.superseded_at, kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsable(key, end - absl::Nanoseconds(1), kDefaultKeyOverlap).ok());
  ExpectUnauthenticated(CheckKeyUsable(key, end, kDefaultKeyOverlap), "terminal key superseded");
  // The overlap is configurable.
  EXPECT_TRUE(CheckKeyUsable(key, end, absl::Minutes(30)).ok());
  ExpectUnauthenticated(CheckKeyUsable(key, *key.superseded_at, absl::ZeroDuration()),
                        "terminal key superseded");
}

TEST(TerminalKeyTest, TheOverlapDoesNotOutliveTheKeysDay) {
  TerminalKey key = KeyIssuedAt(1, Local(10, 9));
  key.superseded_at = Local(10, 23, 55);
  EXPECT_TRUE(CheckKeyUsable(key, Local(10, 23, 59), kDefaultKeyOverlap).ok());
  ExpectUnauthenticated(CheckKeyUsable(key, Local(11, 0, 0), kDefaultKeyOverlap),
                        "terminal key expired");
}

TEST(CheckInKeyTest, TheCurrentKeyChecksInUntilTheGraceEnds) {
  EXPECT_EQ(kDefaultCheckInGrace, absl::Hours(24 * 7));
  const TerminalKey key = KeyIssuedAt(3, Local(10, 9));
  const absl::Time last = key.expires_at + kDefaultCheckInGrace - absl::Nanoseconds(1);
  EXPECT_TRUE(CheckKeyUsableForCheckIn(key, Local(10, 9), kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsableForCheckIn(key, key.expires_at, kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsableForCheckIn(key, last, kDefaultKeyOverlap).ok());
  absl::Status status =
      CheckKeyUsableForCheckIn(key, last + absl::Nanoseconds(1), kDefaultKeyOverlap);
  ExpectUnauthenticated(status, "terminal key expired");
  EXPECT_TRUE(MessageHas(status, "activated again"));
  // A shorter grace.
  ExpectUnauthenticated(CheckKeyUsableForCheckIn(key, key.expires_at + absl::Hours(1),
                                                 kDefaultKeyOverlap, absl::Hours(1)),
                        "terminal key expired");
}

TEST(CheckInKeyTest, ADeviceSwitchedOffForTheWeekendChecksInOnMonday) {
  // 2026-03-06 is a Friday.
  ASSERT_EQ(absl::GetWeekday(absl::CivilDay(2026, 3, 6)), absl::Weekday::friday);
  const TerminalKey friday_key = KeyIssuedAt(5, Local(6, 18));
  // Its payments stop at midnight; its check-in works on Monday morning.
  ExpectUnauthenticated(CheckKeyUsable(friday_key, Local(9, 9), kDefaultKeyOverlap),
                        "terminal key expired");
  EXPECT_TRUE(CheckKeyUsableForCheckIn(friday_key, Local(9, 9), kDefaultKeyOverlap).ok());
}

TEST(CheckInKeyTest, ASupersededKeyOnlyWithinTheOverlap) {
  // The device checked in at 00:05 with yesterday's key; the response was lost and it retries.
  TerminalKey key = KeyIssuedAt(1, Local(10, 9));
  key.superseded_at = Local(11, 0, 5);
  const absl::Time end = *key.superseded_at + kDefaultKeyOverlap;
  EXPECT_TRUE(CheckKeyUsableForCheckIn(key, Local(11, 0, 6), kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsableForCheckIn(key, end - absl::Nanoseconds(1), kDefaultKeyOverlap).ok());
  ExpectUnauthenticated(CheckKeyUsableForCheckIn(key, end, kDefaultKeyOverlap),
                        "terminal key superseded");
  // No grace for a superseded key, though the current key would still have days of it.
  ExpectUnauthenticated(CheckKeyUsableForCheckIn(key, Local(12, 9), kDefaultKeyOverlap),
                        "terminal key superseded");
  // Payments with it stopped at midnight all the same.
  ExpectUnauthenticated(CheckKeyUsable(key, Local(11, 0, 6), kDefaultKeyOverlap),
                        "terminal key expired");
}

TEST(CheckInKeyTest, DailyRotationAcrossMidnight) {
  common::FakeClock clock(Local(10, 10));
  // Activation issues version 1.
  TerminalKey v1 = KeyIssuedAt(1, clock.Now());
  EXPECT_TRUE(CheckKeyUsable(v1, clock.Now(), kDefaultKeyOverlap).ok());

  // 23:58: check-in with v1 issues v2, which lives two minutes.
  clock.Set(Local(10, 23, 58));
  ASSERT_TRUE(CheckKeyUsableForCheckIn(v1, clock.Now(), kDefaultKeyOverlap).ok());
  v1.superseded_at = clock.Now();
  TerminalKey v2 = KeyIssuedAt(2, clock.Now());
  EXPECT_EQ(v2.expires_at, Local(11, 0));
  EXPECT_TRUE(CheckKeyUsable(v1, clock.Now() + absl::Minutes(1), kDefaultKeyOverlap).ok());
  EXPECT_TRUE(CheckKeyUsable(v2, clock.Now() + absl::Minutes(1), kDefaultKeyOverlap).ok());

  // 07:30 the next day: neither key signs a payment, v2 still checks in and issues v3.
  clock.Set(Local(11, 7, 30));
  ExpectUnauthenticated(CheckKeyUsable(v1, clock.Now(), kDefaultKeyOverlap), "superseded");
  ExpectUnauthenticated(CheckKeyUsable(v2, clock.Now(), kDefaultKeyOverlap), "expired");
  ExpectUnauthenticated(CheckKeyUsableForCheckIn(v1, clock.Now(), kDefaultKeyOverlap),
                        "superseded");
  ASSERT_TRUE(CheckKeyUsableForCheckIn(v2, clock.Now(), kDefaultKeyOverlap).ok());
  v2.superseded_at = clock.Now();
  const TerminalKey v3 = KeyIssuedAt(3, clock.Now());
  EXPECT_EQ(v3.expires_at, Local(12, 0));
  EXPECT_TRUE(CheckKeyUsable(v3, clock.Now(), kDefaultKeyOverlap).ok());
  clock.Advance(absl::Hours(16) + absl::Minutes(29));
  EXPECT_TRUE(CheckKeyUsable(v3, clock.Now(), kDefaultKeyOverlap).ok());
  clock.Advance(absl::Minutes(1));
  ExpectUnauthenticated(CheckKeyUsable(v3, clock.Now(), kDefaultKeyOverlap), "expired");
}

// ---------------------------------------------------------------- signatures

constexpr absl::string_view kSecret = "k3y-secret";
constexpr absl::string_view kMethod = "CheckIn";
constexpr absl::string_view kSn = "T0001";
constexpr absl::string_view kTimestamp = "1767225600";  // 2026-01-01T00:00:00Z
constexpr absl::string_view kNonce = "nonce-0001";
// SHA-256 of "8.0.15".
constexpr absl::string_view kBody =
    "f5d366d84419f67dde9be8a08ef67708d67a266742abd9e37e71e93593acc75f";
// HMAC-SHA256 of the canonical string under kSecret, computed independently (Python's hmac).
constexpr absl::string_view kSignature =
    "3a65f81154fa43b3f27f69b40234965c8eb39caf5da163247fa8d01ca6198537";
const absl::Time kSignedAt = absl::FromUnixSeconds(1767225600);

struct Signed {
  std::string secret{kSecret};
  std::string signature{kSignature};
  std::string method{kMethod};
  std::string sn{kSn};
  std::string timestamp{kTimestamp};
  std::string nonce{kNonce};
  std::string body{kBody};

  absl::Status Verify(absl::Time now = kSignedAt,
                      absl::Duration window = kDefaultSignatureWindow) const {
    return VerifyTerminalSignature(secret, signature, method, sn, timestamp, nonce, body, now,
                                   window);
  }
};

TEST(SignatureTest, CanonicalStringAndKnownVector) {
  EXPECT_EQ(common::Sha256Hex("8.0.15"), kBody);
  EXPECT_EQ(TerminalCanonicalString(kMethod, kSn, kTimestamp, kNonce, kBody),
            absl::StrCat("CheckIn\nT0001\n1767225600\nnonce-0001\n", kBody, "\n"));
  EXPECT_EQ(SignTerminalRequest(kSecret, kMethod, kSn, kTimestamp, kNonce, kBody), kSignature);
}

TEST(SignatureTest, AGoodSignatureVerifies) {
  EXPECT_TRUE(Signed{}.Verify().ok()) << Signed{}.Verify();
  const std::string secret = NewTerminalKeySecret();
  Signed fresh;
  fresh.secret = secret;
  fresh.signature = SignTerminalRequest(secret, kMethod, kSn, kTimestamp, kNonce, kBody);
  EXPECT_TRUE(fresh.Verify().ok()) << fresh.Verify();
}

TEST(SignatureTest, EveryTamperedFieldIsRefused) {
  const std::vector<std::pair<const char*, void (*)(Signed&)>> tamperings = {
      {"secret", [](Signed& s) { s.secret = "another-secret"; }},
      {"method", [](Signed& s) { s.method = "Pay"; }},
      {"terminal_sn", [](Signed& s) { s.sn = "T0002"; }},
      {"timestamp", [](Signed& s) { s.timestamp = "1767225601"; }},
      {"nonce", [](Signed& s) { s.nonce = "nonce-0002"; }},
      {"body", [](Signed& s) { s.body = common::Sha256Hex("8.0.16"); }},
      {"signature", [](Signed& s) { s.signature[0] = s.signature[0] == '0' ? '1' : '0'; }},
      {"signature end",
       [](Signed& s) { s.signature.back() = s.signature.back() == '0' ? '1' : '0'; }},
  };
  for (const auto& [name, tamper] : tamperings) {
    SCOPED_TRACE(name);
    Signed request;
    tamper(request);
    // A timestamp moved by a second is still inside the window: only the signature fails.
    ExpectUnauthenticated(request.Verify(kSignedAt + absl::Seconds(1)), "signature does not match");
  }
}

TEST(SignatureTest, MalformedFieldsAreRefused) {
  Signed upper;
  upper.signature = "3A65F81154FA43B3F27F69B40234965C8EB39CAF5DA163247FA8D01CA6198537";
  ExpectUnauthenticated(upper.Verify(), "lowercase hex");
  Signed short_signature;
  short_signature.signature = short_signature.signature.substr(0, 63);
  ExpectUnauthenticated(short_signature.Verify(), "64 lowercase hex");
  Signed empty_signature;
  empty_signature.signature.clear();
  ExpectUnauthenticated(empty_signature.Verify(), "signature");
  for (const std::string& nonce :
       {std::string(), std::string("short12"), std::string("nonce 0001"),
        std::string("nonce\n0001"), std::string("nonce.0001"), std::string(65, 'n')}) {
    Signed bad;
    bad.nonce = nonce;
    ExpectUnauthenticated(bad.Verify(), "nonce");
  }
  Signed bad_body;
  bad_body.body = std::string(kBody).substr(1);
  ExpectUnauthenticated(bad_body.Verify(), "body hash");
  Signed longest_nonce;
  longest_nonce.nonce = std::string(64, 'n');
  longest_nonce.signature =
      SignTerminalRequest(kSecret, kMethod, kSn, kTimestamp, longest_nonce.nonce, kBody);
  EXPECT_TRUE(longest_nonce.Verify().ok()) << longest_nonce.Verify();
  for (absl::string_view timestamp : {"", "-1767225600", "+1767225600", "1767225600.5",
                                      " 1767225600", "1767225600000000", "17672256OO"}) {
    Signed bad;
    bad.timestamp = std::string(timestamp);
    ExpectUnauthenticated(bad.Verify(), "timestamp must be Unix seconds");
  }
}

TEST(SignatureTest, StaleAndFutureTimestamps) {
  const Signed request;
  const absl::Duration window = kDefaultSignatureWindow;
  EXPECT_EQ(window, absl::Minutes(5));
  EXPECT_TRUE(request.Verify(kSignedAt + window).ok());
  EXPECT_TRUE(request.Verify(kSignedAt - window).ok());
  ExpectUnauthenticated(request.Verify(kSignedAt + window + absl::Seconds(1)),
                        "timestamp is more than 300 s away");
  ExpectUnauthenticated(request.Verify(kSignedAt - window - absl::Seconds(1)),
                        "timestamp is more than 300 s away");
  ExpectUnauthenticated(request.Verify(kSignedAt + absl::Hours(24)), "timestamp");
  EXPECT_TRUE(request.Verify(kSignedAt + absl::Minutes(30), absl::Hours(1)).ok());
}

TEST(SignatureTest, TimestampsParseAndMustAdvance) {
  EXPECT_EQ(ParseTerminalTimestamp("1767225600").value(), 1767225600);
  EXPECT_EQ(ParseTerminalTimestamp("0").value(), 0);
  EXPECT_EQ(ParseTerminalTimestamp("999999999999").value(), 999999999999);
  EXPECT_EQ(ParseTerminalTimestamp("1000000000000").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(CheckTimestampAdvances(1767225601, 1767225600).ok());
  EXPECT_TRUE(CheckTimestampAdvances(1767225600, 0).ok());
  ExpectUnauthenticated(CheckTimestampAdvances(1767225600, 1767225600), "not later");
  ExpectUnauthenticated(CheckTimestampAdvances(1767225599, 1767225600), "not later");
}

}  // namespace
}  // namespace aggpay::terminal
