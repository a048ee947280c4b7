#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace aggpay::payment {

// One line of a channel's daily statement, as the sandbox channel writes it.
struct BillLine {
  absl::Time at;                  // trade time (success time; for refunds, the refund's time)
  std::string app_id;             // 公众账号ID
  std::string mch_id;             // the provider's merchant number at the channel (商户号)
  std::string sub_mch_id;         // the merchant's sub-merchant number (特约商户号)
  std::string device;             // 设备号 (terminal sn or empty)
  std::string channel_txn_id;     // the channel's order id (微信订单号)
  std::string out_trade_no;       // the platform's order id sent to the channel (商户订单号)
  std::string payer;              // 用户标识
  std::string trade_type;         // NATIVE, MICROPAY, JSAPI
  std::string trade_state;        // SUCCESS or REFUND
  std::string currency;           // CNY
  int64_t amount_minor = 0;       // 应结订单金额 / 订单金额 (SUCCESS lines)
  std::string channel_refund_id;  // 微信退款单号 (REFUND lines)
  std::string out_refund_no;      // 商户退款单号
  int64_t refund_minor = 0;       // 退款金额 (REFUND lines)
  std::string refund_state;       // SUCCESS (REFUND lines)
  std::string product;            // 商品名称
  // 手续费: the channel's cost on this line in 1/1000 of a minor unit, written in major units
  // with 5 decimals (CNY: 7410 -> "0.07410"); negative on refund lines.
  int64_t fee_milli_minor = 0;
  std::string rate;  // 费率, e.g. "0.60%"
  int exponent = 2;  // the currency's minor-unit exponent
};

// WeChat Pay's downloadbill (ALL) layout:
//   a header row of the 27 detail column names, one row per line with every field prefixed by a
//   backtick (`), then a summary header row (总交易单数,应结订单总金额,退款总金额,充值券退款总金额,
//   手续费总金额,订单总金额,申请退款总金额) and one summary row, also backticked. Amounts are major
//   units with the currency's decimals, the fee column has three more (5 for CNY). Trade times
//   are Beijing time (Asia/Shanghai), to the second. Lines end with "\r\n". The file has no
//   quoting: a comma inside a field is written as "，" (U+FF0C) and a line break as a space. The
//   lines of one statement share one currency; the summary uses the first line's exponent.
std::string FormatDownloadBill(const std::vector<BillLine>& lines);

// The inverse, for reconciliation and tests: every detail line back (amounts to the minor unit,
// fee to 1/1000 minor unit); INVALID_ARGUMENT naming the line number on anything malformed,
// including a currency whose exponent is not `exponent` and a summary that does not add up.
absl::StatusOr<std::vector<BillLine>> ParseDownloadBill(const std::string& csv, int exponent = 2);

}  // namespace aggpay::payment
