#include "services/payment/domain/bill.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "services/common/money/money.h"

namespace aggpay::payment {
namespace {

// The 27 columns of an ALL bill, in WeChat's order.
enum Column : size_t {
  kTradeTime,        // 交易时间
  kAppId,            // 公众账号ID
  kMchId,            // 商户号
  kSubMchId,         // 特约商户号
  kDevice,           // 设备号
  kChannelTxnId,     // 微信订单号
  kOutTradeNo,       // 商户订单号
  kPayer,            // 用户标识
  kTradeType,        // 交易类型
  kTradeState,       // 交易状态
  kBank,             // 付款银行
  kCurrency,         // 货币种类
  kSettleAmount,     // 应结订单金额
  kCouponAmount,     // 代金券金额
  kChannelRefundId,  // 微信退款单号
  kOutRefundNo,      // 商户退款单号
  kRefundAmount,     // 退款金额
  kCouponRefund,     // 充值券退款金额
  kRefundType,       // 退款类型
  kRefundState,      // 退款状态
  kProduct,          // 商品名称
  kAttach,           // 商户数据包
  kFee,              // 手续费
  kRate,             // 费率
  kOrderAmount,      // 订单金额
  kRequestedRefund,  // 申请退款金额
  kRateNote,         // 费率备注
  kColumnCount
};

constexpr std::array<absl::string_view, kColumnCount> kColumnNames = {
    "交易时间",     "公众账号ID",   "商户号",       "特约商户号",   "设备号",   "微信订单号",
    "商户订单号",   "用户标识",     "交易类型",     "交易状态",     "付款银行", "货币种类",
    "应结订单金额", "代金券金额",   "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额",
    "退款类型",     "退款状态",     "商品名称",     "商户数据包",   "手续费",   "费率",
    "订单金额",     "申请退款金额", "费率备注"};

enum SummaryColumn : size_t {
  kTotalCount,         // 总交易单数
  kTotalSettle,        // 应结订单总金额
  kTotalRefund,        // 退款总金额
  kTotalCouponRefund,  // 充值券退款总金额
  kTotalFee,           // 手续费总金额
  kTotalOrder,         // 订单总金额
  kTotalRequested,     // 申请退款总金额
  kSummaryCount
};

constexpr std::array<absl::string_view, kSummaryCount> kSummaryNames = {
    "总交易单数",   "应结订单总金额", "退款总金额",    "充值券退款总金额",
    "手续费总金额", "订单总金额",     "申请退款总金额"};

constexpr absl::string_view kLineEnd = "\r\n";
constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";
// The fee column carries three more decimals than the currency (1/1000 of a minor unit).
constexpr int kFeeExtraDecimals = 3;
constexpr int kMaxDecimals = 18;
// WeChat writes 0 in the refund-number columns of a line that is not a refund.
constexpr absl::string_view kNoRefundNo = "0";
constexpr absl::string_view kRefundTrade = "REFUND";
constexpr absl::string_view kSuccessTrade = "SUCCESS";
constexpr absl::string_view kTimeFormat = "%Y-%m-%d %H:%M:%S";

// Trade times are Beijing time. Asia/Shanghai has had no DST since 1991, so a fixed +08:00 is the
// same zone where the tz database is missing.
absl::TimeZone BillZone() {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone("Asia/Shanghai", &zone)) zone = absl::FixedTimeZone(8 * 60 * 60);
  return zone;
}

// `minor` units of 10^-decimals as a decimal with exactly `decimals` places: (7410, 5) -> 0.07410.
// Precondition: decimals <= kMaxDecimals (a currency exponent is at most 3); more are clamped.
std::string FormatScaled(int64_t minor, int decimals) {
  decimals = std::min(decimals, kMaxDecimals);
  const uint64_t magnitude =
      minor < 0 ? 0 - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  const std::string sign = minor < 0 ? "-" : "";
  if (decimals <= 0) return absl::StrCat(sign, magnitude);
  uint64_t unit = 1;
  for (int i = 0; i < decimals; ++i) unit *= 10;
  std::string fraction = std::to_string(magnitude % unit);
  fraction.insert(0, static_cast<size_t>(decimals) - fraction.size(), '0');
  return absl::StrCat(sign, magnitude / unit, ".", fraction);
}

// The inverse of FormatScaled, exactly: at most `decimals` places (fewer are padded), never
// rounded. nullopt for anything else, a sign when `allow_negative` is false, or an overflow.
std::optional<int64_t> ParseScaled(absl::string_view text, int decimals, bool allow_negative) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    if (!allow_negative) return std::nullopt;
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != absl::string_view::npos && fraction.empty()) ||
      static_cast<int>(fraction.size()) > decimals) {
    return std::nullopt;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  const auto push = [&](char c) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    const int64_t digit = c - '0';
    if (value > (kMax - digit) / 10) return false;
    value = value * 10 + digit;
    return true;
  };
  for (char c : whole) {
    if (!push(c)) return std::nullopt;
  }
  for (char c : fraction) {
    if (!push(c)) return std::nullopt;
  }
  for (int i = static_cast<int>(fraction.size()); i < decimals; ++i) {
    if (!push('0')) return std::nullopt;
  }
  return negative ? -value : value;
}

// The file has no quoting, so a field must not carry the separators: a comma becomes the
// full-width comma common in Chinese text, a line break a space.
std::string Field(absl::string_view value) {
  std::string out = "`";
  out.reserve(value.size() + 1);
  for (char c : value) {
    if (c == ',') {
      out += "\xEF\xBC\x8C";  // U+FF0C FULLWIDTH COMMA
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

struct Totals {
  int64_t count = 0;
  int64_t settle_minor = 0;
  int64_t refund_minor = 0;
  int64_t fee_milli_minor = 0;

  // False when a total overflows (then it holds the wrapped value).
  bool Add(const BillLine& line) {
    ++count;
    bool overflow = __builtin_add_overflow(settle_minor, line.amount_minor, &settle_minor);
    overflow |= __builtin_add_overflow(refund_minor, line.refund_minor, &refund_minor);
    overflow |= __builtin_add_overflow(fee_milli_minor, line.fee_milli_minor, &fee_milli_minor);
    return !overflow;
  }
};

class LineError {
 public:
  explicit LineError(size_t line) : line_(line) {}
  absl::Status operator()(absl::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat("downloadbill line ", line_, ": ", why));
  }

 private:
  size_t line_;
};

// The fields of a data row, each stripped of its leading backtick.
absl::StatusOr<std::vector<absl::string_view>> SplitRow(absl::string_view row, size_t want,
                                                        const LineError& error) {
  std::vector<absl::string_view> fields = absl::StrSplit(row, ',');
  if (fields.size() != want) {
    return error(absl::StrCat("expected ", want, " fields, found ", fields.size()));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].empty() || fields[i].front() != '`') {
      return error(absl::StrCat("field ", i + 1, " does not start with a backtick"));
    }
    // Only a line end has a carriage return: a field never does (FormatDownloadBill writes a
    // line break inside a value as a space), and one inside an id would never match.
    if (fields[i].find('\r') != absl::string_view::npos) {
      return error(absl::StrCat("field ", i + 1, " holds a carriage return"));
    }
    fields[i].remove_prefix(1);
  }
  return fields;
}

absl::StatusOr<BillLine> ParseDetail(absl::string_view row, int exponent,
                                     const absl::TimeZone& zone, const LineError& error) {
  absl::StatusOr<std::vector<absl::string_view>> split = SplitRow(row, kColumnCount, error);
  if (!split.ok()) return split.status();
  const std::vector<absl::string_view>& f = *split;
  const auto amount = [&](size_t column, int decimals,
                          bool allow_negative) -> absl::StatusOr<int64_t> {
    std::optional<int64_t> value = ParseScaled(f[column], decimals, allow_negative);
    if (!value) {
      return error(absl::StrCat(kColumnNames[column], " \"", f[column], "\" is not ",
                                allow_negative ? "an" : "a non-negative", " amount with at most ",
                                decimals, " decimals"));
    }
    return *value;
  };

  BillLine line;
  line.exponent = exponent;
  const absl::string_view time_text = f[kTradeTime];
  std::string parse_error;
  if (!absl::ParseTime(kTimeFormat, time_text, zone, &line.at, &parse_error) ||
      absl::FormatTime(kTimeFormat, line.at, zone) != time_text) {
    return error(absl::StrCat(kColumnNames[kTradeTime], " \"", time_text,
                              "\" is not a time YYYY-MM-DD HH:MM:SS"));
  }
  line.app_id = std::string(f[kAppId]);
  line.mch_id = std::string(f[kMchId]);
  line.sub_mch_id = std::string(f[kSubMchId]);
  line.device = std::string(f[kDevice]);
  line.channel_txn_id = std::string(f[kChannelTxnId]);
  line.out_trade_no = std::string(f[kOutTradeNo]);
  line.payer = std::string(f[kPayer]);
  line.trade_type = std::string(f[kTradeType]);
  line.trade_state = std::string(f[kTradeState]);
  if (line.trade_state != kSuccessTrade && line.trade_state != kRefundTrade) {
    return error(absl::StrCat(kColumnNames[kTradeState], " \"", line.trade_state,
                              "\" is neither SUCCESS nor REFUND"));
  }
  line.currency = std::string(f[kCurrency]);
  absl::StatusOr<common::Currency> currency = common::Currency::Find(line.currency);
  if (!currency.ok()) {
    return error(absl::StrCat(kColumnNames[kCurrency], " \"", line.currency,
                              "\" is not a supported currency"));
  }
  if (currency->exponent() != exponent) {
    return error(absl::StrCat(line.currency, " has ", currency->exponent(),
                              " decimals; the bill is read with ", exponent));
  }
  // What settles is 应结订单金额 and 退款金额; the order and requested columns differ from them
  // only by coupons, which the platform does not issue, so they are checked for form alone.
  absl::StatusOr<int64_t> settle = amount(kSettleAmount, exponent, false);
  if (!settle.ok()) return settle.status();
  line.amount_minor = *settle;
  absl::StatusOr<int64_t> refund = amount(kRefundAmount, exponent, false);
  if (!refund.ok()) return refund.status();
  line.refund_minor = *refund;
  for (size_t column : {kCouponAmount, kCouponRefund, kOrderAmount, kRequestedRefund}) {
    absl::StatusOr<int64_t> other = amount(column, exponent, false);
    if (!other.ok()) return other.status();
  }
  absl::StatusOr<int64_t> fee = amount(kFee, exponent + kFeeExtraDecimals, true);
  if (!fee.ok()) return fee.status();
  line.fee_milli_minor = *fee;

  const bool is_refund = line.trade_state == kRefundTrade;
  const auto refund_no = [&](size_t column) {
    return !is_refund && f[column] == kNoRefundNo ? std::string() : std::string(f[column]);
  };
  line.channel_refund_id = refund_no(kChannelRefundId);
  line.out_refund_no = refund_no(kOutRefundNo);
  line.refund_state = std::string(f[kRefundState]);
  line.product = std::string(f[kProduct]);
  line.rate = std::string(f[kRate]);
  return line;
}

absl::Status CheckSummary(absl::string_view row, int exponent, const Totals& totals,
                          const LineError& error) {
  absl::StatusOr<std::vector<absl::string_view>> split = SplitRow(row, kSummaryCount, error);
  if (!split.ok()) return split.status();
  const std::vector<absl::string_view>& f = *split;
  const std::array<std::pair<SummaryColumn, int64_t>, 4> checked = {{
      {kTotalCount, totals.count},
      {kTotalSettle, totals.settle_minor},
      {kTotalRefund, totals.refund_minor},
      {kTotalFee, totals.fee_milli_minor},
  }};
  for (size_t column = 0; column < kSummaryCount; ++column) {
    const int decimals = column == kTotalCount ? 0
                         : column == kTotalFee ? exponent + kFeeExtraDecimals
                                               : exponent;
    std::optional<int64_t> value = ParseScaled(f[column], decimals, column == kTotalFee);
    if (!value) {
      return error(absl::StrCat(kSummaryNames[column], " \"", f[column],
                                "\" is not a number with at most ", decimals, " decimals"));
    }
    for (const auto& [checked_column, want] : checked) {
      if (checked_column == column && *value != want) {
        return error(absl::StrCat(kSummaryNames[column], " is ", f[column],
                                  " but the detail lines add up to ",
                                  FormatScaled(want, decimals)));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatDownloadBill(const std::vector<BillLine>& lines) {
  const absl::TimeZone zone = BillZone();
  std::string out = absl::StrCat(absl::StrJoin(kColumnNames, ","), kLineEnd);
  Totals totals;
  for (const BillLine& line : lines) {
    const int exponent = line.exponent;
    const std::string amount = FormatScaled(line.amount_minor, exponent);
    const std::string refund = FormatScaled(line.refund_minor, exponent);
    const std::string zero = FormatScaled(0, exponent);
    const bool is_refund = line.trade_state == kRefundTrade;
    const auto refund_no = [&](const std::string& no) {
      return no.empty() && !is_refund ? std::string(kNoRefundNo) : no;
    };
    std::array<std::string, kColumnCount> f;
    f[kTradeTime] = absl::FormatTime(kTimeFormat, line.at, zone);
    f[kAppId] = line.app_id;
    f[kMchId] = line.mch_id;
    f[kSubMchId] = line.sub_mch_id;
    f[kDevice] = line.device;
    f[kChannelTxnId] = line.channel_txn_id;
    f[kOutTradeNo] = line.out_trade_no;
    f[kPayer] = line.payer;
    f[kTradeType] = line.trade_type;
    f[kTradeState] = line.trade_state;
    f[kBank] = "OTHERS";
    f[kCurrency] = line.currency;
    f[kSettleAmount] = amount;
    f[kCouponAmount] = zero;
    f[kChannelRefundId] = refund_no(line.channel_refund_id);
    f[kOutRefundNo] = refund_no(line.out_refund_no);
    f[kRefundAmount] = refund;
    f[kCouponRefund] = zero;
    f[kRefundType] = is_refund ? "ORIGINAL" : "";
    f[kRefundState] = line.refund_state;
    f[kProduct] = line.product;
    f[kAttach] = "";
    f[kFee] = FormatScaled(line.fee_milli_minor, exponent + kFeeExtraDecimals);
    f[kRate] = line.rate;
    f[kOrderAmount] = amount;
    f[kRequestedRefund] = refund;
    f[kRateNote] = "";
    for (size_t i = 0; i < kColumnCount; ++i) {
      if (i > 0) out += ',';
      out += Field(f[i]);
    }
    absl::StrAppend(&out, kLineEnd);
    totals.Add(line);
  }
  // One statement is in one currency and the totals use its exponent; an empty one has none, and
  // its zeros are written without decimals, which any exponent reads.
  const int exponent = lines.empty() ? 0 : lines.front().exponent;
  const std::string settle = FormatScaled(totals.settle_minor, exponent);
  const std::string refund = FormatScaled(totals.refund_minor, exponent);
  const std::array<std::string, kSummaryCount> summary = {
      absl::StrCat(totals.count),
      settle,
      refund,
      FormatScaled(0, exponent),
      FormatScaled(totals.fee_milli_minor, exponent + kFeeExtraDecimals),
      settle,
      refund};
  absl::StrAppend(&out, absl::StrJoin(kSummaryNames, ","), kLineEnd);
  for (size_t i = 0; i < kSummaryCount; ++i) {
    if (i > 0) out += ',';
    out += Field(summary[i]);
  }
  absl::StrAppend(&out, kLineEnd);
  return out;
}

absl::StatusOr<std::vector<BillLine>> ParseDownloadBill(const std::string& csv, int exponent) {
  if (exponent < 0 || exponent + kFeeExtraDecimals > kMaxDecimals) {
    return absl::InvalidArgumentError(absl::StrCat("exponent ", exponent, " is out of range"));
  }
  absl::string_view text = csv;
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  std::vector<absl::string_view> rows = absl::StrSplit(text, '\n');
  // The final line end leaves one empty piece behind it.
  if (!rows.empty() && rows.back().empty()) rows.pop_back();
  for (absl::string_view& row : rows) absl::ConsumeSuffix(&row, "\r");

  const std::string detail_header = absl::StrJoin(kColumnNames, ",");
  const std::string summary_header = absl::StrJoin(kSummaryNames, ",");
  if (rows.empty() || rows[0] != detail_header) {
    return LineError(1)("not the header of a downloadbill ALL statement");
  }
  const absl::TimeZone zone = BillZone();
  std::vector<BillLine> lines;
  Totals totals;
  size_t i = 1;
  for (; i < rows.size() && rows[i] != summary_header; ++i) {
    absl::StatusOr<BillLine> line = ParseDetail(rows[i], exponent, zone, LineError(i + 1));
    if (!line.ok()) return line.status();
    if (!totals.Add(*line)) return LineError(i + 1)("the totals overflow");
    lines.push_back(*std::move(line));
  }
  if (i >= rows.size()) return LineError(rows.size() + 1)("the summary header is missing");
  if (i + 1 >= rows.size()) return LineError(i + 2)("the summary row is missing");
  absl::Status summary = CheckSummary(rows[i + 1], exponent, totals, LineError(i + 2));
  if (!summary.ok()) return summary;
  if (i + 2 < rows.size()) return LineError(i + 3)("unexpected line after the summary");
  return lines;
}

}  // namespace aggpay::payment
