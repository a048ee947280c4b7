#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/binding/domain/code.h"
#include "services/binding/domain/reset.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"
#include "tests/support/status_expectations.h"

namespace aggpay::binding {

void PrintTo(CodeKind kind, std::ostream* os) { *os << CodeKindName(kind); }
void PrintTo(CodeStatus status, std::ostream* os) { *os << CodeStatusName(status); }
void PrintTo(ResolveOutcome outcome, std::ostream* os) { *os << ResolveOutcomeName(outcome); }
void PrintTo(ResetReason reason, std::ostream* os) { *os << ResetReasonName(reason); }
void PrintTo(ResetMode mode, std::ostream* os) { *os << ResetModeName(mode); }
void PrintTo(RequestStatus status, std::ostream* os) { *os << RequestStatusName(status); }

namespace {

using ::aggpay::testing::ExpectFieldError;
using ::aggpay::testing::ExpectInvalid;
using ::aggpay::testing::MessageHas;

constexpr absl::string_view kId = "AbCdEfGhIjKlMnOpQrSt_-";
constexpr absl::string_view kOtherId = "0123456789abcdefghijkA";

absl::Time At(int64_t unix_seconds) { return absl::FromUnixSeconds(unix_seconds); }

// ---- names
// ---------------------------------------------------------------------------------------

TEST(CodeNamesTest, KindsRoundTrip) {
  EXPECT_EQ(CodeKindName(CodeKind::kStatic), "STATIC");
  EXPECT_EQ(CodeKindName(CodeKind::kDynamic), "DYNAMIC");
  for (CodeKind kind : kAllCodeKinds) {
    absl::StatusOr<CodeKind> parsed = ParseCodeKind(CodeKindName(kind));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, kind);
  }
  ExpectInvalid(ParseCodeKind("static").status(), "kind");
  ExpectInvalid(ParseCodeKind("").status(), "kind");
  ExpectInvalid(ParseCodeKind("STATIC ", "code.kind").status(), "code.kind");
}

TEST(CodeNamesTest, StatusesRoundTrip) {
  const std::vector<std::pair<CodeStatus, absl::string_view>> names = {
      {CodeStatus::kActive, "ACTIVE"},
      {CodeStatus::kGrace, "GRACE"},
      {CodeStatus::kRevoked, "REVOKED"},
      {CodeStatus::kUnbound, "UNBOUND"},
      {CodeStatus::kExpired, "EXPIRED"}};
  ASSERT_EQ(names.size(), kAllCodeStatuses.size());
  for (const auto& [status, name] : names) {
    EXPECT_EQ(CodeStatusName(status), name);
    absl::StatusOr<CodeStatus> parsed = ParseCodeStatus(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, status);
  }
  ExpectInvalid(ParseCodeStatus("active").status(), "status");
  ExpectInvalid(ParseCodeStatus("DELETED").status(), "status");
}

TEST(CodeNamesTest, OutcomeNames) {
  EXPECT_EQ(ResolveOutcomeName(ResolveOutcome::kPayable), "PAYABLE");
  EXPECT_EQ(ResolveOutcomeName(ResolveOutcome::kReplaced), "REPLACED");
  EXPECT_EQ(ResolveOutcomeName(ResolveOutcome::kExpired), "EXPIRED");
  EXPECT_EQ(ResolveOutcomeName(ResolveOutcome::kUnbound), "UNBOUND");
}

// ---- code ids
// ------------------------------------------------------------------------------------

TEST(CodeIdTest, NewIdsAre22UrlSafeCharactersOf128RandomBits) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = NewCodeId();
    ASSERT_EQ(id.size(), 22u) << id;
    ASSERT_TRUE(ValidateCodeId(id).ok()) << id;
    ASSERT_NE(id.front(), '-') << "ids never look like a command-line option";
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(CodeIdTest, NewIdsUseTheWholeAlphabet) {
  std::set<char> chars;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = NewCodeId();
    chars.insert(id.begin() + 1, id.end());  // every position but the first is fully random
  }
  EXPECT_EQ(chars.size(), 64u);
}

TEST(CodeIdTest, Validate) {
  EXPECT_TRUE(ValidateCodeId(kId).ok());
  EXPECT_TRUE(ValidateCodeId(kOtherId).ok());
  EXPECT_TRUE(ValidateCodeId(std::string(22, '-')).ok());
  ExpectInvalid(ValidateCodeId(""), "code_id");
  ExpectInvalid(ValidateCodeId(kId.substr(0, 21)), "code_id");
  ExpectInvalid(ValidateCodeId(absl::StrCat(kId, "A")), "code_id");
  ExpectInvalid(ValidateCodeId("AbCdEfGhIjKlMnOpQrSt+/"), "code_id");  // standard base64
  ExpectInvalid(ValidateCodeId("AbCdEfGhIjKlMnOpQrSt=="), "code_id");
  ExpectInvalid(ValidateCodeId("AbCdEfGhIjK MnOpQrSt_-"), "code_id");
  ExpectInvalid(ValidateCodeId("AbCdEfGhIjKlMnOpQrSt_\xC3"), "code_id");
  ExpectInvalid(ValidateCodeId("short", "old_code_id"), "old_code_id");
}

TEST(CodeIdTest, Url) {
  EXPECT_EQ(CodeUrl("https://pay.example.com", kId),
            absl::StrCat("https://pay.example.com/c/", kId));
  EXPECT_EQ(CodeUrl("https://pay.example.com/", kId),
            absl::StrCat("https://pay.example.com/c/", kId));
  EXPECT_EQ(CodeUrl("https://example.com/pay//", kId),
            absl::StrCat("https://example.com/pay/c/", kId));
  EXPECT_EQ(CodeUrl("http://localhost:8080", kId), absl::StrCat("http://localhost:8080/c/", kId));
}

TEST(CodeIdTest, UrlParsesBackToTheId) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewCodeId();
    absl::StatusOr<std::string> parsed = ParseScannedCode(CodeUrl("https://pay.example.com/", id));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, id);
  }
}

// ---- scanned codes
// -------------------------------------------------------------------------------

TEST(ScannedCodeTest, Accepted) {
  const std::string id(kId);
  const std::vector<std::string> good = {
      id,
      absl::StrCat("  ", id, "\r\n"),
      absl::StrCat("https://pay.example.com/c/", id),
      absl::StrCat("https://pay.example.com/c/", id, "?from=scan"),
      absl::StrCat("https://pay.example.com/c/", id, "/"),
      absl::StrCat("https://pay.example.com/c/", id, "/?from=scan&x=1"),
      absl::StrCat("https://pay.example.com/c/", id, "#top"),
      absl::StrCat("https://pay.example.com/c/", id, "?a=b#frag"),
      absl::StrCat("https://pay.example.com/c/", id, "?next=/c/", kOtherId),
      absl::StrCat("https://pay.example.com/c/", id, "#/c/", kOtherId),
      absl::StrCat("https://pay.example.com/c/", id, "?q=\xE6\x89\xAB\xE7\xA0\x81"),  // UTF-8 query
      absl::StrCat("http://pay.example.com/c/", id),
      absl::StrCat("HTTPS://PAY.EXAMPLE.COM/c/", id),
      absl::StrCat("hTtP://localhost:8080/c/", id),
      absl::StrCat("https://old-domain.example.net/c/", id),  // the host is not checked
      absl::StrCat("https://example.com/pay/v1/c/", id),
      absl::StrCat("https://example.com/c/c/", id),
      absl::StrCat("https://10.0.0.7:443/c/", id),
      absl::StrCat("http://[::1]:8080/c/", id),
      absl::StrCat("http://[2001:db8::1]/c/", id),
      absl::StrCat("\thttps://pay.example.com/c/", id, " "),
  };
  for (const std::string& scanned : good) {
    absl::StatusOr<std::string> parsed = ParseScannedCode(scanned);
    ASSERT_TRUE(parsed.ok()) << scanned << ": " << parsed.status();
    EXPECT_EQ(*parsed, kId) << scanned;
  }
}

TEST(ScannedCodeTest, Refused) {
  const std::string id(kId);
  const std::vector<std::string> bad = {
      "",
      "   \n",
      "javascript:alert(1)",
      absl::StrCat("javascript://pay.example.com/c/", id),
      absl::StrCat("ftp://pay.example.com/c/", id),
      absl::StrCat("file:///c/", id),
      absl::StrCat("weixin://pay.example.com/c/", id),
      absl::StrCat("data:text/html,/c/", id),
      absl::StrCat("//pay.example.com/c/", id),  // no scheme
      absl::StrCat("pay.example.com/c/", id),
      absl::StrCat("/c/", id),
      absl::StrCat("https:/pay.example.com/c/", id),
      absl::StrCat("https:///c/", id),  // no host
      absl::StrCat("https://user@pay.example.com/c/", id),
      absl::StrCat("https://pay.example.com@evil.example/c/", id),
      absl::StrCat("https://pay.example.com:/c/", id),
      absl::StrCat("https://pay.example.com:99999/c/", id),
      absl::StrCat("https://pay.example.com:80a/c/", id),
      absl::StrCat("https://[::1/c/", id),
      absl::StrCat("https://[]/c/", id),
      absl::StrCat("https://pay_example,com!/c/", id),
      "https://pay.example.com/c/",
      "https://pay.example.com/c",
      "https://pay.example.com/c//",
      "https://pay.example.com/",
      "https://pay.example.com",
      absl::StrCat("https://pay.example.com/x/", id),
      absl::StrCat("https://pay.example.com/abc/", id),
      absl::StrCat("https://pay.example.com/C/", id),
      absl::StrCat("https://pay.example.com/c/", id, "/extra"),
      absl::StrCat("https://pay.example.com/c/", id, "//"),
      absl::StrCat("https://pay.example.com/c/", kId.substr(0, 21)),
      absl::StrCat("https://pay.example.com/c/", id, "A"),
      absl::StrCat("https://pay.example.com/c/", kId.substr(0, 20), "%2D"),
      absl::StrCat("https://pay.example.com/c/", kId.substr(0, 21), "="),
      absl::StrCat("https://pay.example.com/c/", kId.substr(0, 10), " ", kId.substr(10, 11)),
      absl::StrCat("https://pay example.com/c/", id),
      absl::StrCat("https://pay.example.com/c/", id, " ?x"),
      absl::StrCat("https://pay.example.com/c/", id, "?from= scan"),
      absl::StrCat("https://pay.example.com/c/", id, "\x01"),
      absl::StrCat("https://pay.example.com/\xE6\x94\xB6/c/", id),
      absl::StrCat(kId.substr(0, 10), " ", kId.substr(10, 12)),
      std::string(kId.substr(0, 21)),
      absl::StrCat(id, "A"),
      absl::StrCat(id, "?x"),
      "AbCdEfGhIjKlMnOpQrSt+/",
  };
  for (const std::string& scanned : bad) {
    absl::StatusOr<std::string> parsed = ParseScannedCode(scanned);
    EXPECT_FALSE(parsed.ok()) << "accepted: " << scanned;
    ExpectInvalid(parsed.status(), "code");
  }
}

TEST(ScannedCodeTest, ErrorsNameTheGivenField) {
  ExpectInvalid(ParseScannedCode("ftp://x/c/y", "scanned").status(), "scanned");
  ExpectInvalid(ParseScannedCode("", "scanned").status(), "scanned");
  ExpectInvalid(ParseScannedCode(std::string(3000, 'a'), "scanned").status(), "scanned");
}

TEST(ScannedCodeTest, MessagesSayWhatIsWrong) {
  EXPECT_TRUE(MessageHas(ParseScannedCode("ftp://x/c/y").status(), "/c/<code id>"));
  EXPECT_TRUE(MessageHas(
      ParseScannedCode(absl::StrCat("https://a@pay.example.com/c/", kId)).status(), "user info"));
  EXPECT_TRUE(
      MessageHas(ParseScannedCode("https://pay.example.com/c/").status(), "no code id after /c/"));
  EXPECT_TRUE(MessageHas(ParseScannedCode("https://pay.example.com/c/abc").status(),
                         "must be 22 characters"));
}

TEST(ScannedCodeTest, LengthLimitCountsTheRawInput) {
  const std::string url = absl::StrCat("https://pay.example.com/c/", kId, "?pad=");
  const std::string at_limit = url + std::string(kMaxScannedBytes - url.size(), 'x');
  ASSERT_EQ(at_limit.size(), 2048u);
  EXPECT_TRUE(ParseScannedCode(at_limit).ok());
  const absl::Status over = ParseScannedCode(at_limit + "x").status();
  ExpectInvalid(over, "code");
  EXPECT_TRUE(MessageHas(over, "2048"));
  // Surrounding whitespace counts too: the limit bounds the work done, not the meaning.
  ExpectInvalid(ParseScannedCode(at_limit + " ").status(), "code");
}

// ---- CodeView encoding
// ---------------------------------------------------------------------------

CodeView FullView() {
  CodeView v;
  v.code_id = std::string(kId);
  v.kind = CodeKind::kDynamic;
  v.status = CodeStatus::kGrace;
  v.merchant_id = "m_123";
  v.merchant_display_name = "\xE5\xBC\xA0\xE4\xB8\x89\xE9\x9D\xA2\xE9\xA6\x86 12:3:";  // UTF-8
  v.store_id = "s_9";
  v.terminal_sn = "SN-0001";
  v.channel_params = {{"WECHAT", "1900000109"}, {"ALIPAY", "2088:0\n"}, {"", ""}};
  v.amount_minor = 12345;
  v.currency = "CNY";
  v.valid_until = absl::FromUnixNanos(1700000000123456789);
  v.replaced_by = std::string(kOtherId);
  v.merchant_block = "FROZEN";
  v.stamp = 42;
  return v;
}

void ExpectRoundTrip(const CodeView& v) {
  const std::string encoded = SerializeCodeView(v);
  absl::StatusOr<CodeView> decoded = ParseCodeView(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status() << " for " << encoded;
  EXPECT_TRUE(*decoded == v) << encoded;
  EXPECT_EQ(SerializeCodeView(*decoded), encoded);
}

TEST(CodeViewTest, RoundTrips) {
  ExpectRoundTrip(FullView());
  ExpectRoundTrip(CodeView{});

  CodeView v = FullView();
  v.valid_until.reset();
  v.amount_minor.reset();
  v.channel_params.clear();
  ExpectRoundTrip(v);

  for (int64_t amount : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min()}) {
    v.amount_minor = amount;
    ExpectRoundTrip(v);
  }
  for (absl::Time t :
       {absl::UnixEpoch(), absl::FromUnixNanos(-1), absl::FromUnixNanos(-1500000001),
        absl::FromUnixSeconds(253402300799), absl::InfiniteFuture(), absl::InfinitePast()}) {
    v.valid_until = t;
    ExpectRoundTrip(v);
  }
  v.merchant_display_name = std::string("a\0b", 3);
  v.store_id = std::string(300, ':');
  ExpectRoundTrip(v);
  for (CodeStatus status : kAllCodeStatuses) {
    v.status = status;
    for (CodeKind kind : kAllCodeKinds) {
      v.kind = kind;
      ExpectRoundTrip(v);
    }
  }
}

TEST(CodeViewTest, AbsentAndZeroAreDistinct) {
  CodeView none = FullView();
  none.amount_minor.reset();
  CodeView zero = FullView();
  zero.amount_minor = 0;
  EXPECT_NE(SerializeCodeView(none), SerializeCodeView(zero));
  absl::StatusOr<CodeView> parsed = ParseCodeView(SerializeCodeView(none));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->amount_minor.has_value());
}

void ExpectMalformed(absl::string_view encoded) {
  absl::StatusOr<CodeView> parsed = ParseCodeView(encoded);
  EXPECT_FALSE(parsed.ok()) << "accepted: " << encoded;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInternal) << encoded;
}

// An encoding from raw fields, to write malformed ones.
std::string Encode(const std::vector<std::string>& fields) {
  std::string out = "CV2";
  for (const std::string& f : fields) absl::StrAppend(&out, f.size(), ":", f);
  return out;
}

std::vector<std::string> GoodFields() {
  return {std::string(kId), "STATIC", "ACTIVE", "m", "Shop", "s", "sn", "1",
          "WECHAT",         "190",    "",       "",  "",     "",  "",   "0"};
}

TEST(CodeViewTest, EncodeHelperMatchesSerialize) {
  absl::StatusOr<CodeView> v = ParseCodeView(Encode(GoodFields()));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(SerializeCodeView(*v), Encode(GoodFields()));
}

TEST(CodeViewTest, RefusesMalformed) {
  const std::string good = SerializeCodeView(FullView());
  for (size_t n = 0; n < good.size(); ++n) ExpectMalformed(good.substr(0, n));
  ExpectMalformed(good + "x");
  ExpectMalformed(good + "0:");
  ExpectMalformed(absl::StrCat("CV1", good.substr(3)));  // the previous version
  ExpectMalformed(absl::StrCat("CV3", good.substr(3)));
  ExpectMalformed(absl::StrCat("cv2", good.substr(3)));
  ExpectMalformed("garbage");

  const auto with = [](size_t index, std::string value) {
    std::vector<std::string> fields = GoodFields();
    fields[index] = std::move(value);
    return Encode(fields);
  };
  ExpectMalformed(with(1, "static"));
  ExpectMalformed(with(1, "SEMISTATIC"));
  ExpectMalformed(with(2, "DELETED"));
  for (const char* count : {"2", "-1", "01", "+1", "x", "", "99999999999999999999"}) {
    ExpectMalformed(with(7, count));
  }
  for (const char* amount :
       {"+5", "05", "-0", "1.5", " 5", "9223372036854775808", "-9223372036854775809", "-"}) {
    ExpectMalformed(with(10, amount));
  }
  for (const char* time : {"1", "1.5", "1.12345678", "1.1234567890", "x.000000000", "01.000000000",
                           "1.00000000x", "inf", "+1.000000000"}) {
    ExpectMalformed(with(12, time));
  }
  for (const char* stamp : {"", "-1", "01", "x", "+1", "9223372036854775808"}) {
    ExpectMalformed(with(15, stamp));
  }

  const std::string fields = Encode(GoodFields()).substr(3);
  ExpectMalformed(absl::StrCat("CV2", "022:", fields.substr(3)));  // leading zero in a length
  ExpectMalformed(absl::StrCat("CV2", "99999999999:", fields));    // too many length digits
  ExpectMalformed(absl::StrCat("CV2", "4000000000:", fields));     // longer than the rest
  ExpectMalformed(absl::StrCat("CV2", ":", fields));               // no length
  ExpectMalformed(absl::StrCat("CV2", "2x:", fields));
  // Far more channel pairs than the remaining bytes could hold: refused before anything is built.
  ExpectMalformed(with(7, "1000000000000"));
}

// ---- Evaluate and PublicView
// ---------------------------------------------------------------------

TEST(EvaluateTest, ABlockedMerchantsPayableCodesAreMerchantFrozen) {
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  CodeView v;
  v.code_id = std::string(kId);
  v.merchant_id = "m_1";
  v.merchant_display_name = "Tea House";
  v.store_id = "s_1";
  v.channel_params = {{"WECHAT", "1900000109"}};
  v.merchant_block = "FROZEN";
  EXPECT_EQ(Evaluate(v, now), ResolveOutcome::kMerchantFrozen);
  const CodeView shown = PublicView(v, ResolveOutcome::kMerchantFrozen);
  EXPECT_EQ(shown.merchant_display_name, "Tea House");
  EXPECT_TRUE(shown.merchant_id.empty());
  EXPECT_TRUE(shown.store_id.empty());
  EXPECT_TRUE(shown.channel_params.empty());
  EXPECT_EQ(PayerMessage(ResolveOutcome::kMerchantFrozen),
            "this merchant cannot accept payments at the moment");
  // What is not payable anyway keeps its own outcome.
  v.status = CodeStatus::kRevoked;
  EXPECT_EQ(Evaluate(v, now), ResolveOutcome::kReplaced);
  v.status = CodeStatus::kActive;
  v.merchant_block.clear();
  EXPECT_EQ(Evaluate(v, now), ResolveOutcome::kPayable);
}

CodeView ViewWith(CodeKind kind, CodeStatus status, std::optional<absl::Time> valid_until) {
  CodeView v = FullView();
  v.kind = kind;
  v.status = status;
  v.merchant_block.clear();  // a merchant that collects
  v.valid_until = valid_until;
  return v;
}

TEST(EvaluateTest, EveryStatusAroundItsDeadline) {
  const absl::Time deadline = At(1700000000);
  const absl::Time before = deadline - absl::Nanoseconds(1);
  const absl::Time after = deadline + absl::Nanoseconds(1);
  using K = CodeKind;
  using S = CodeStatus;
  using O = ResolveOutcome;
  struct Case {
    CodeKind kind;
    CodeStatus status;
    std::optional<absl::Time> valid_until;
    absl::Time now;
    ResolveOutcome want;
  };
  const std::vector<Case> cases = {
      {K::kStatic, S::kActive, std::nullopt, after, O::kPayable},
      {K::kStatic, S::kActive, deadline, after, O::kPayable},  // static codes do not expire
      {K::kDynamic, S::kActive, deadline, before, O::kPayable},
      {K::kDynamic, S::kActive, deadline, deadline, O::kExpired},
      {K::kDynamic, S::kActive, deadline, after, O::kExpired},
      {K::kDynamic, S::kActive, std::nullopt, after, O::kPayable},
      {K::kStatic, S::kGrace, deadline, before, O::kPayable},
      {K::kStatic, S::kGrace, deadline, deadline, O::kReplaced},
      {K::kStatic, S::kGrace, deadline, after, O::kReplaced},
      {K::kStatic, S::kGrace, std::nullopt, before, O::kReplaced},
      {K::kDynamic, S::kGrace, deadline, before, O::kPayable},
      {K::kStatic, S::kRevoked, std::nullopt, before, O::kReplaced},
      {K::kStatic, S::kRevoked, deadline, before, O::kReplaced},  // a leftover deadline
      {K::kDynamic, S::kRevoked, deadline, before, O::kReplaced},
      {K::kStatic, S::kUnbound, std::nullopt, before, O::kUnbound},
      {K::kStatic, S::kUnbound, deadline, before, O::kUnbound},
      {K::kDynamic, S::kExpired, deadline, before, O::kExpired},
      {K::kStatic, S::kExpired, std::nullopt, before, O::kExpired},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Evaluate(ViewWith(c.kind, c.status, c.valid_until), c.now), c.want)
        << CodeKindName(c.kind) << " " << CodeStatusName(c.status)
        << " now-deadline=" << (c.now - deadline);
  }
}

TEST(PublicViewTest, PayableKeepsEverything) {
  const CodeView v = FullView();
  EXPECT_TRUE(PublicView(v, ResolveOutcome::kPayable) == v);
}

TEST(PublicViewTest, OtherOutcomesCarryNoMerchantDetails) {
  const CodeView v = FullView();
  for (ResolveOutcome outcome :
       {ResolveOutcome::kReplaced, ResolveOutcome::kExpired, ResolveOutcome::kUnbound}) {
    const CodeView p = PublicView(v, outcome);
    EXPECT_EQ(p.code_id, v.code_id);
    EXPECT_EQ(p.kind, v.kind);
    EXPECT_EQ(p.status, v.status);
    EXPECT_TRUE(p.merchant_id.empty());
    EXPECT_TRUE(p.merchant_display_name.empty());
    EXPECT_TRUE(p.store_id.empty());
    EXPECT_TRUE(p.terminal_sn.empty());
    EXPECT_TRUE(p.channel_params.empty());
    EXPECT_FALSE(p.amount_minor.has_value());
    EXPECT_TRUE(p.currency.empty());
    EXPECT_FALSE(p.valid_until.has_value());
    EXPECT_TRUE(p.replaced_by.empty());
  }
}

TEST(PublicViewTest, RevokedScanPaysNobody) {
  CodeView v = FullView();
  v.status = CodeStatus::kRevoked;
  const absl::Time now = At(1600000000);
  const ResolveOutcome outcome = Evaluate(v, now);
  EXPECT_EQ(outcome, ResolveOutcome::kReplaced);
  const CodeView p = PublicView(v, outcome);
  EXPECT_TRUE(p.merchant_id.empty());
  EXPECT_TRUE(p.channel_params.empty());
}

// ---- reset reasons and modes
// ---------------------------------------------------------------------

TEST(ResetNamesTest, RoundTrip) {
  const std::vector<std::pair<ResetReason, absl::string_view>> reasons = {
      {ResetReason::kDeviceLost, "DEVICE_LOST"},
      {ResetReason::kAccountBanned, "ACCOUNT_BANNED"},
      {ResetReason::kUnusualLogin, "UNUSUAL_LOGIN"},
      {ResetReason::kDamaged, "DAMAGED"},
      {ResetReason::kChannelChange, "CHANNEL_CHANGE"},
      {ResetReason::kRiskControl, "RISK_CONTROL"}};
  ASSERT_EQ(reasons.size(), kAllResetReasons.size());
  for (const auto& [reason, name] : reasons) {
    EXPECT_EQ(ResetReasonName(reason), name);
    absl::StatusOr<ResetReason> parsed = ParseResetReason(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, reason);
  }
  ExpectInvalid(ParseResetReason("LOST").status(), "reason");
  ExpectInvalid(ParseResetReason("damaged").status(), "reason");

  EXPECT_EQ(ResetModeName(ResetMode::kImmediate), "IMMEDIATE");
  EXPECT_EQ(ResetModeName(ResetMode::kGraceful), "GRACEFUL");
  for (ResetMode mode : kAllResetModes) {
    absl::StatusOr<ResetMode> parsed = ParseResetMode(ResetModeName(mode));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, mode);
  }
  ExpectInvalid(ParseResetMode("GRACE").status(), "mode");
  ExpectInvalid(ParseResetMode("").status(), "mode");

  const std::vector<std::pair<RequestStatus, absl::string_view>> statuses = {
      {RequestStatus::kPendingOtp, "PENDING_OTP"},
      {RequestStatus::kPendingReview, "PENDING_REVIEW"},
      {RequestStatus::kCompleted, "COMPLETED"},
      {RequestStatus::kLocked, "LOCKED"},
      {RequestStatus::kExpired, "EXPIRED"},
      {RequestStatus::kRejected, "REJECTED"}};
  ASSERT_EQ(statuses.size(), kAllRequestStatuses.size());
  for (const auto& [status, name] : statuses) {
    EXPECT_EQ(RequestStatusName(status), name);
    absl::StatusOr<RequestStatus> parsed = ParseRequestStatus(name);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, status);
  }
  ExpectInvalid(ParseRequestStatus("PENDING").status(), "status");
}

TEST(ResetModeTest, SecurityReasonsMustBeImmediate) {
  struct Case {
    ResetReason reason;
    bool graceful_allowed;
  };
  const std::vector<Case> cases = {
      {ResetReason::kDeviceLost, false},   {ResetReason::kAccountBanned, false},
      {ResetReason::kUnusualLogin, false}, {ResetReason::kRiskControl, false},
      {ResetReason::kDamaged, true},       {ResetReason::kChannelChange, true}};
  ASSERT_EQ(cases.size(), kAllResetReasons.size());
  for (const Case& c : cases) {
    EXPECT_EQ(IsSecurityReason(c.reason), !c.graceful_allowed) << ResetReasonName(c.reason);
    EXPECT_TRUE(CheckModeForReason(c.reason, ResetMode::kImmediate).ok())
        << ResetReasonName(c.reason);
    const absl::Status graceful = CheckModeForReason(c.reason, ResetMode::kGraceful);
    if (c.graceful_allowed) {
      EXPECT_TRUE(graceful.ok()) << graceful;
    } else {
      ExpectFieldError(graceful, absl::StatusCode::kFailedPrecondition, "mode");
      EXPECT_TRUE(MessageHas(graceful, absl::StrCat("a code reset for ", ResetReasonName(c.reason),
                                                    " must be IMMEDIATE: the old code must stop "
                                                    "at once")));
    }
  }
}

TEST(ResetDurationsTest, GracePeriodBounds) {
  EXPECT_TRUE(ValidateGracePeriod(kDefaultGracePeriod).ok());
  EXPECT_EQ(kDefaultGracePeriod, absl::Hours(24));
  EXPECT_TRUE(ValidateGracePeriod(absl::Minutes(1)).ok());
  EXPECT_TRUE(ValidateGracePeriod(absl::Hours(24 * 7)).ok());
  ExpectInvalid(ValidateGracePeriod(absl::Minutes(1) - absl::Nanoseconds(1)), "grace_seconds");
  ExpectInvalid(ValidateGracePeriod(absl::Hours(24 * 7) + absl::Seconds(1)), "grace_seconds");
  ExpectInvalid(ValidateGracePeriod(absl::ZeroDuration()), "grace_seconds");
  ExpectInvalid(ValidateGracePeriod(-absl::Hours(1)), "grace_seconds");
  ExpectInvalid(ValidateGracePeriod(absl::InfiniteDuration()), "grace_seconds");
  EXPECT_TRUE(MessageHas(ValidateGracePeriod(absl::ZeroDuration()), "60 to 604800 seconds"));
}

TEST(ResetDurationsTest, DynamicLifetimeBounds) {
  EXPECT_TRUE(ValidateDynamicLifetime(kDefaultDynamicCodeLifetime).ok());
  EXPECT_EQ(kDefaultDynamicCodeLifetime, absl::Minutes(2));
  EXPECT_TRUE(ValidateDynamicLifetime(absl::Seconds(30)).ok());
  EXPECT_TRUE(ValidateDynamicLifetime(absl::Minutes(30)).ok());
  ExpectInvalid(ValidateDynamicLifetime(absl::Seconds(29)), "ttl_seconds");
  ExpectInvalid(ValidateDynamicLifetime(absl::Minutes(30) + absl::Nanoseconds(1)), "ttl_seconds");
  ExpectInvalid(ValidateDynamicLifetime(absl::ZeroDuration()), "ttl_seconds");
  EXPECT_TRUE(MessageHas(ValidateDynamicLifetime(absl::Hours(1)), "30 to 1800 seconds"));
}

// ---- one-time passwords
// --------------------------------------------------------------------------

TEST(OtpTest, SixUniformDigits) {
  constexpr int kDraws = 20000;
  std::array<std::array<int, 10>, 6> counts{};
  std::set<std::string> distinct;
  int leading_zero = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::string otp = NewOtp();
    ASSERT_EQ(otp.size(), 6u) << otp;
    for (size_t p = 0; p < 6; ++p) {
      ASSERT_TRUE(otp[p] >= '0' && otp[p] <= '9') << otp;
      ++counts[p][otp[p] - '0'];
    }
    if (otp[0] == '0') ++leading_zero;
    distinct.insert(otp);
  }
  // Each digit at each position is expected 2000 times (standard deviation about 42).
  for (size_t p = 0; p < 6; ++p) {
    for (int d = 0; d < 10; ++d) {
      EXPECT_GT(counts[p][d], 1700) << "position " << p << " digit " << d;
      EXPECT_LT(counts[p][d], 2300) << "position " << p << " digit " << d;
    }
  }
  EXPECT_GT(leading_zero, 0);
  // 20000 draws from a million values repeat about 200 times.
  EXPECT_GT(distinct.size(), 19500u);
}

constexpr absl::string_view kOtpKey = "server-otp-key-for-tests";

TEST(OtpTest, HashIsKeyedByTheServerSecretAndTheRequest) {
  const std::string h = HashOtp(kOtpKey, "rr_1", "123456");
  EXPECT_EQ(h, common::HmacSha256Hex(kOtpKey, "rr_1:123456"));
  // Keyed by the server secret, not by the public request id.
  EXPECT_NE(h, common::HmacSha256Hex("rr_1", "123456"));
  EXPECT_NE(h, HashOtp("another-key", "rr_1", "123456"));
  EXPECT_EQ(h.size(), 64u);
  for (char c : h) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << h;
  EXPECT_EQ(h, HashOtp(kOtpKey, "rr_1", "123456"));
  EXPECT_NE(h, HashOtp(kOtpKey, "rr_2", "123456"));
  EXPECT_NE(h, HashOtp(kOtpKey, "rr_1", "123457"));
}

TEST(OtpTest, InitialStatus) {
  EXPECT_EQ(InitialRequestStatus(false), RequestStatus::kPendingOtp);
  EXPECT_EQ(InitialRequestStatus(true), RequestStatus::kPendingReview);
}

constexpr absl::string_view kOtp = "042917";

ResetRequest PendingRequest(absl::Time created) {
  ResetRequest r;
  r.request_id = "rr_abc";
  r.merchant_id = "m_1";
  r.code_id = std::string(kId);
  r.reason = ResetReason::kDeviceLost;
  r.mode = ResetMode::kImmediate;
  r.status = InitialRequestStatus(false);
  r.otp_hash = HashOtp(kOtpKey, r.request_id, kOtp);
  r.created_at = created;
  r.otp_expires_at = created + kOtpLifetime;
  return r;
}

// Checks and persists what the caller would persist.
OtpCheck Try(ResetRequest* r, absl::string_view otp, absl::Time now) {
  absl::StatusOr<OtpCheck> check = CheckOtp(*r, otp, kOtpKey, now);
  EXPECT_TRUE(check.ok()) << check.status();
  if (!check.ok()) return OtpCheck{r->status, r->attempts, false};
  r->status = check->new_status;
  r->attempts = check->attempts;
  return *check;
}

TEST(CheckOtpTest, Right) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  const OtpCheck c = Try(&r, kOtp, t0 + absl::Minutes(1));
  EXPECT_TRUE(c.accepted);
  EXPECT_EQ(c.new_status, RequestStatus::kCompleted);
  EXPECT_EQ(c.attempts, 0);
  EXPECT_TRUE(OtpCheckStatus(c).ok());
}

TEST(CheckOtpTest, FourWrongThenRight) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  const std::vector<absl::string_view> lefts = {"4 attempts left", "3 attempts left",
                                                "2 attempts left", "1 attempt left"};
  for (int i = 0; i < 4; ++i) {
    const OtpCheck c = Try(&r, "000000", t0 + absl::Seconds(10 * i));
    EXPECT_FALSE(c.accepted);
    EXPECT_EQ(c.new_status, RequestStatus::kPendingOtp);
    EXPECT_EQ(c.attempts, i + 1);
    const absl::Status s = OtpCheckStatus(c);
    ExpectInvalid(s, "otp");
    EXPECT_TRUE(MessageHas(s, lefts[i]));
  }
  const OtpCheck c = Try(&r, kOtp, t0 + absl::Minutes(2));
  EXPECT_TRUE(c.accepted);
  EXPECT_EQ(c.new_status, RequestStatus::kCompleted);
  EXPECT_EQ(c.attempts, 4);
}

TEST(CheckOtpTest, FiveWrongLock) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  for (int i = 0; i < 4; ++i) Try(&r, "999999", t0);
  const OtpCheck c = Try(&r, "999999", t0);
  EXPECT_FALSE(c.accepted);
  EXPECT_EQ(c.new_status, RequestStatus::kLocked);
  EXPECT_EQ(c.attempts, kMaxOtpAttempts);
  const absl::Status s = OtpCheckStatus(c);
  ExpectFieldError(s, absl::StatusCode::kFailedPrecondition, "otp");
  EXPECT_TRUE(MessageHas(s, "too many wrong codes: the request is locked; ask for staff review"));

  // Locked is final: even the right password is refused.
  absl::StatusOr<OtpCheck> after = CheckOtp(r, kOtp, kOtpKey, t0);
  ExpectFieldError(after.status(), absl::StatusCode::kFailedPrecondition, "request_id");
  EXPECT_TRUE(MessageHas(after.status(), "the request is LOCKED"));
}

TEST(CheckOtpTest, ExhaustedAttemptsLockEvenWhenStillPending) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  r.attempts = kMaxOtpAttempts;
  absl::StatusOr<OtpCheck> c = CheckOtp(r, kOtp, kOtpKey, t0);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->accepted);
  EXPECT_EQ(c->new_status, RequestStatus::kLocked);
  EXPECT_EQ(c->attempts, kMaxOtpAttempts);
}

TEST(CheckOtpTest, ExpiresAtExactlyFiveMinutes) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  r.attempts = 2;
  EXPECT_EQ(kOtpLifetime, absl::Minutes(5));

  absl::StatusOr<OtpCheck> at = CheckOtp(r, kOtp, kOtpKey, t0 + absl::Minutes(5));
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->accepted);
  EXPECT_EQ(at->new_status, RequestStatus::kExpired);
  EXPECT_EQ(at->attempts, 2);  // expiry is not a wrong guess
  const absl::Status s = OtpCheckStatus(*at);
  ExpectFieldError(s, absl::StatusCode::kFailedPrecondition, "otp");
  EXPECT_TRUE(MessageHas(s, "one-time password expired"));

  absl::StatusOr<OtpCheck> wrong_late = CheckOtp(r, "111111", kOtpKey, t0 + absl::Hours(1));
  ASSERT_TRUE(wrong_late.ok());
  EXPECT_EQ(wrong_late->new_status, RequestStatus::kExpired);
  EXPECT_EQ(wrong_late->attempts, 2);

  absl::StatusOr<OtpCheck> just_before =
      CheckOtp(r, kOtp, kOtpKey, t0 + absl::Minutes(5) - absl::Nanoseconds(1));
  ASSERT_TRUE(just_before.ok());
  EXPECT_TRUE(just_before->accepted);
  EXPECT_EQ(just_before->new_status, RequestStatus::kCompleted);
}

TEST(CheckOtpTest, MalformedCountsAsWrong) {
  const absl::Time t0 = At(1700000000);
  const std::vector<std::string> malformed = {
      "",       "42917",   "0429170",
      "04291a", " 042917", "042917 ",
      "04-917", "+42917",  absl::StrCat("\xEF\xBC\x90", "42917")};  // fullwidth 0
  for (const std::string& otp : malformed) {
    ResetRequest r = PendingRequest(t0);
    const OtpCheck c = Try(&r, otp, t0);
    EXPECT_FALSE(c.accepted) << otp;
    EXPECT_EQ(c.new_status, RequestStatus::kPendingOtp) << otp;
    EXPECT_EQ(c.attempts, 1) << otp;
    ExpectInvalid(OtpCheckStatus(c), "otp");
  }
  ResetRequest r = PendingRequest(t0);
  for (int i = 0; i < kMaxOtpAttempts; ++i) Try(&r, "x", t0);
  EXPECT_EQ(r.status, RequestStatus::kLocked);
}

TEST(CheckOtpTest, HashOfAnotherRequestDoesNotMatch) {
  const absl::Time t0 = At(1700000000);
  ResetRequest r = PendingRequest(t0);
  r.otp_hash = HashOtp(kOtpKey, "rr_other", kOtp);
  const OtpCheck c = Try(&r, kOtp, t0);
  EXPECT_FALSE(c.accepted);
  EXPECT_EQ(c.attempts, 1);
}

TEST(CheckOtpTest, OnlyPendingOtpIsChecked) {
  const absl::Time t0 = At(1700000000);
  for (RequestStatus status : kAllRequestStatuses) {
    if (status == RequestStatus::kPendingOtp) continue;
    ResetRequest r = PendingRequest(t0);
    r.status = status;
    absl::StatusOr<OtpCheck> c = CheckOtp(r, kOtp, kOtpKey, t0);
    ExpectFieldError(c.status(), absl::StatusCode::kFailedPrecondition, "request_id");
    EXPECT_TRUE(MessageHas(c.status(), absl::StrCat("the request is ", RequestStatusName(status))));
  }
}

TEST(DecideTest, OnlyPendingReview) {
  absl::StatusOr<RequestStatus> approved = Decide(RequestStatus::kPendingReview, true);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(*approved, RequestStatus::kCompleted);
  absl::StatusOr<RequestStatus> rejected = Decide(RequestStatus::kPendingReview, false);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(*rejected, RequestStatus::kRejected);
  for (RequestStatus status : kAllRequestStatuses) {
    if (status == RequestStatus::kPendingReview) continue;
    for (bool approve : {true, false}) {
      absl::StatusOr<RequestStatus> d = Decide(status, approve);
      ExpectFieldError(d.status(), absl::StatusCode::kFailedPrecondition, "request_id");
      EXPECT_TRUE(MessageHas(d.status(), RequestStatusName(status)));
    }
  }
}

}  // namespace
}  // namespace aggpay::binding
