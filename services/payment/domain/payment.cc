#include "services/payment/domain/payment.h"

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/status/field_errors.h"

namespace aggpay::payment {
namespace {

using S = PaymentStatus;
using E = PaymentEvent;

constexpr size_t kMaxOrderNoChars = 32;

// field_errors.h has no ALREADY_EXISTS helper; this one carries the field under the same payload
// key so that common::ErrorField() and the gRPC mapping find it.
absl::Status AlreadyExistsField(absl::string_view field, absl::string_view message) {
  absl::Status status(absl::StatusCode::kAlreadyExists, absl::StrCat(field, ": ", message));
  status.SetPayload(common::kFieldPayloadKey, absl::Cord(field));
  return status;
}

// The decided cells of the state machine; nullopt is a refused pair.
std::optional<PaymentStatus> Next(PaymentStatus from, PaymentEvent event) {
  switch (from) {
    case S::kCreated:
    case S::kPaying:
    case S::kUnknown:
      switch (event) {
        case E::kAccepted:
          return S::kPaying;
        case E::kPaid:
          return S::kSuccess;
        case E::kFailed:
          return S::kFailed;
        case E::kClosed:
          return S::kClosed;
        case E::kUndecided:
          return S::kUnknown;
      }
      break;
    case S::kSuccess:
      if (event == E::kPaid) return S::kSuccess;
      break;
    case S::kFailed:
      if (event == E::kFailed) return S::kFailed;
      break;
    case S::kClosed:
      if (event == E::kClosed) return S::kClosed;
      break;
  }
  return std::nullopt;
}

bool IsOrderNoChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '|' ||
         c == '*' || c == '@' || c == '.';
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

int ToInt(absl::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// "12.34 CNY" when the currency is known, else the raw minor units with the code.
std::string DescribeAmount(int64_t amount_minor, absl::string_view currency) {
  absl::StatusOr<common::Money> money = common::Money::Of(amount_minor, currency);
  if (money.ok()) return money->ToString();
  return absl::StrCat(amount_minor, " minor units of ", currency);
}

}  // namespace

absl::string_view PaymentStatusName(PaymentStatus s) {
  switch (s) {
    case S::kCreated:
      return "CREATED";
    case S::kPaying:
      return "PAYING";
    case S::kSuccess:
      return "SUCCESS";
    case S::kFailed:
      return "FAILED";
    case S::kClosed:
      return "CLOSED";
    case S::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

absl::StatusOr<PaymentStatus> ParsePaymentStatus(absl::string_view name, absl::string_view field) {
  for (PaymentStatus s : kAllPaymentStatuses) {
    if (PaymentStatusName(s) == name) return s;
  }
  return common::InvalidField(field,
                              "must be one of CREATED, PAYING, SUCCESS, FAILED, CLOSED, UNKNOWN");
}

bool IsFinal(PaymentStatus s) { return s == S::kSuccess || s == S::kFailed || s == S::kClosed; }

absl::string_view PaymentEventName(PaymentEvent e) {
  switch (e) {
    case E::kAccepted:
      return "ACCEPTED";
    case E::kPaid:
      return "PAID";
    case E::kFailed:
      return "FAILED";
    case E::kClosed:
      return "CLOSED";
    case E::kUndecided:
      return "UNDECIDED";
  }
  return "UNDECIDED";
}

absl::StatusOr<TransitionResult> Transition(PaymentStatus from, PaymentEvent event) {
  if (std::optional<PaymentStatus> to = Next(from, event)) {
    return TransitionResult{.to = *to, .changed = *to != from};
  }
  if (from == S::kClosed && event == E::kPaid) {
    return common::FailedPreconditionField(
        "status",
        "the channel reports a CLOSED payment as paid; left for reconciliation, not captured");
  }
  return common::FailedPreconditionField(
      "status", absl::StrCat("payment is ", PaymentStatusName(from), " (final); cannot apply ",
                             PaymentEventName(event)));
}

absl::string_view WalletName(Wallet w) {
  switch (w) {
    case Wallet::kWechat:
      return "wechat";
    case Wallet::kAlipay:
      return "alipay";
    case Wallet::kUnionpay:
      return "unionpay";
  }
  return "wechat";
}

absl::StatusOr<Wallet> ParseWallet(absl::string_view name, absl::string_view field) {
  for (Wallet w : kAllWallets) {
    if (WalletName(w) == name) return w;
  }
  if (name.empty()) return common::InvalidField(field, "is required");
  return common::InvalidField(field, "must be one of wechat, alipay, unionpay");
}

absl::string_view SubMerchantKey(Wallet w) { return WalletName(w); }

absl::string_view FlowName(Flow f) {
  switch (f) {
    case Flow::kStaticCode:
      return "STATIC_CODE";
    case Flow::kDynamicCode:
      return "DYNAMIC_CODE";
    case Flow::kBarcode:
      return "BARCODE";
    case Flow::kNative:
      return "NATIVE";
  }
  return "STATIC_CODE";
}

absl::StatusOr<Flow> ParseFlow(absl::string_view name, absl::string_view field) {
  for (Flow f : {Flow::kStaticCode, Flow::kDynamicCode, Flow::kBarcode, Flow::kNative}) {
    if (FlowName(f) == name) return f;
  }
  return common::InvalidField(field, "must be one of STATIC_CODE, DYNAMIC_CODE, BARCODE, NATIVE");
}

absl::Status ValidatePaymentAmount(const common::Money& amount, int64_t max_minor,
                                   absl::string_view field) {
  if (!amount.is_positive()) return common::InvalidField(field, "must be positive");
  if (amount.amount_minor() > max_minor) {
    return common::InvalidField(
        field,
        absl::StrCat("must be at most ", common::Money(max_minor, amount.currency()).ToString()));
  }
  return absl::OkStatus();
}

absl::Status ValidateOrderNo(absl::string_view no, absl::string_view field) {
  if (no.empty()) return common::InvalidField(field, "is required");
  if (no.size() > kMaxOrderNoChars) {
    return common::InvalidField(field,
                                absl::StrCat("must be at most ", kMaxOrderNoChars, " characters"));
  }
  for (char c : no) {
    if (!IsOrderNoChar(c)) {
      return common::InvalidField(field, "may contain only letters, digits and _-|*@.");
    }
  }
  return absl::OkStatus();
}

std::string BusinessDate(absl::Time success_at, const absl::TimeZone& zone) {
  return absl::FormatCivilTime(absl::ToCivilDay(success_at, zone));
}

absl::StatusOr<std::string> ParseBusinessDate(absl::string_view date, absl::string_view field) {
  const auto invalid = [&] {
    return common::InvalidField(field, absl::StrCat("\"", date, "\" is not a date (YYYY-MM-DD)"));
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return invalid();
  const absl::string_view year = date.substr(0, 4);
  const absl::string_view month = date.substr(5, 2);
  const absl::string_view day = date.substr(8, 2);
  if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return invalid();
  const int m = ToInt(month);
  const int d = ToInt(day);
  // CivilDay normalizes 2024-02-30 to 2024-03-01; a date that does not survive that is invalid.
  const absl::CivilDay civil(ToInt(year), m, d);
  if (civil.month() != m || civil.day() != d) return invalid();
  return std::string(date);
}

absl::Status CheckSameOrder(const OrderFingerprint& first, const OrderFingerprint& retry,
                            absl::string_view key_field) {
  const auto differs = [&](absl::string_view field, const std::string& was,
                           const std::string& now) {
    return AlreadyExistsField(field, absl::StrCat(key_field, " was already used for an order with ",
                                                  field, " ", was, ", not ", now));
  };
  if (first.amount_minor != retry.amount_minor) {
    return differs("amount", DescribeAmount(first.amount_minor, first.currency),
                   DescribeAmount(retry.amount_minor, retry.currency));
  }
  if (first.currency != retry.currency) return differs("currency", first.currency, retry.currency);
  if (first.wallet != retry.wallet) return differs("wallet", first.wallet, retry.wallet);
  return absl::OkStatus();
}

std::string TerminalPaymentBody(absl::string_view kind, absl::string_view out_trade_no,
                                int64_t amount_minor, absl::string_view currency,
                                absl::string_view wallet, absl::string_view auth_code) {
  return absl::StrCat(kind, "\n", out_trade_no, "\n", amount_minor, "\n", currency, "\n", wallet,
                      "\n", auth_code, "\n");
}

}  // namespace aggpay::payment
