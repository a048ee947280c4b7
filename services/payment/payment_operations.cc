#include "services/payment/payment_operations.h"

#include <httplib.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/grpc/proto_mapping.h"
#include "services/common/log/log.h"
#include "services/common/log/logging.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/fee/domain/refund.h"
#include "services/payment/domain/notification.h"

namespace aggpay::payment {
namespace {

using common::FailedPreconditionField;
using common::InvalidField;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::string PaymentNoticeBody(const PaymentRecord& p) {
  return absl::StrCat(
      "{\"event\":\"payment.succeeded\",\"payment_id\":\"", p.payment_id, "\",\"merchant_id\":\"",
      common::JsonEscape(p.merchant_id), "\",\"out_trade_no\":\"",
      common::JsonEscape(p.out_trade_no), "\",\"status\":\"", PaymentStatusName(p.status),
      "\",\"amount\":{\"currency\":\"", p.currency, "\",\"amount_minor\":", p.amount_minor,
      "},\"fee\":{\"currency\":\"", p.currency, "\",\"amount_minor\":", p.fee_minor,
      "},\"wallet\":\"", WalletName(p.wallet), "\",\"business_date\":\"", p.business_date,
      "\",\"paid_at\":\"", p.paid_at ? Rfc3339(*p.paid_at) : "", "\"}");
}

std::string RefundNoticeBody(const RefundRecord& r) {
  return absl::StrCat(
      "{\"event\":\"refund.succeeded\",\"refund_id\":\"", r.refund_id, "\",\"payment_id\":\"",
      r.payment_id, "\",\"merchant_id\":\"", common::JsonEscape(r.merchant_id),
      "\",\"out_refund_no\":\"", common::JsonEscape(r.out_refund_no),
      "\",\"amount\":{\"currency\":\"", r.currency, "\",\"amount_minor\":", r.amount_minor,
      "},\"fee_returned\":{\"currency\":\"", r.currency, "\",\"amount_minor\":", r.fee_return_minor,
      "},\"succeeded_at\":\"", r.succeeded_at ? Rfc3339(*r.succeeded_at) : "", "\"}");
}

absl::StatusOr<common::Money> MoneyOf(int64_t minor, const std::string& currency,
                                      absl::string_view field) {
  ASSIGN_OR_RETURN(common::Currency c,
                   common::Currency::Find(currency, absl::StrCat(field, ".currency")));
  return common::Money(minor, c);
}

OrderFingerprint FingerprintOf(const PaymentRecord& p) {
  return {p.amount_minor, p.currency, std::string(WalletName(p.wallet))};
}

PaymentEvent EventOf(ChannelOutcome o) {
  switch (o) {
    case ChannelOutcome::kAccepted:
      return PaymentEvent::kAccepted;
    case ChannelOutcome::kPaid:
      return PaymentEvent::kPaid;
    case ChannelOutcome::kFailed:
      return PaymentEvent::kFailed;
    case ChannelOutcome::kClosed:
      return PaymentEvent::kClosed;
    default:
      return PaymentEvent::kUndecided;
  }
}

// "https://host/path" or "http://127.0.0.1:8080/path" -> scheme+host+port, path.
bool SplitUrl(const std::string& url, std::string* origin, std::string* path) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  const size_t slash = url.find('/', scheme + 3);
  *origin = url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return origin->size() > scheme + 3;
}

// https:// to a named host or a public address; http:// only to this machine's loopback (a
// local receiver). Private, link-local and loopback addresses over https are refused so that a
// merchant cannot aim the platform's POSTs at its internal network.
bool AcceptableNotifyOrigin(const std::string& origin) {
  const bool https = absl::StartsWith(origin, "https://");
  const bool http = absl::StartsWith(origin, "http://");
  if (!https && !http) return false;
  std::string host = origin.substr(https ? 8 : 7);
  if (host.empty() || host.find('@') != std::string::npos) return false;
  if (host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  const bool loopback = host == "127.0.0.1" || host == "localhost" || host == "[::1]";
  if (http) return loopback;
  if (loopback || absl::StartsWith(host, "10.") || absl::StartsWith(host, "192.168.") ||
      absl::StartsWith(host, "169.254.") || absl::StartsWith(host, "127.") ||
      absl::StartsWith(host, "0.") || absl::StartsWith(host, "[")) {
    return false;
  }
  for (int b = 16; b <= 31; ++b) {
    if (absl::StartsWith(host, absl::StrCat("172.", b, "."))) return false;
  }
  return true;
}

}  // namespace

PaymentOperations::PaymentOperations(PaymentRepository& repo, PaymentDirectory& directory,
                                     RiskGate& risk, PaymentChannel& channel,
                                     SandboxChannel* sandbox, common::SecretBox box,
                                     common::Metrics& metrics, const common::Clock& clock,
                                     PaymentOptions options)
    : repo_(repo),
      directory_(directory),
      risk_(risk),
      channel_(channel),
      sandbox_(sandbox),
      box_(std::move(box)),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      instance_id_(common::RandomToken(12)) {}

PaymentOperations::~PaymentOperations() { Stop(); }

absl::Time PaymentOperations::Now() const {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
}

std::string PaymentOperations::NewId(absl::string_view prefix) const {
  // Time-ordered: 12 hex digits of milliseconds, then randomness; keyset pages sort by it.
  return absl::StrCat(prefix, absl::StrFormat("%012x", absl::ToUnixMillis(clock_.Now())),
                      common::RandomToken(9).substr(0, 12));
}

absl::Duration PaymentOperations::Backoff(int attempts) const {
  absl::Duration d = options_.requery_first;
  for (int i = 0; i < attempts && d < options_.requery_max; ++i) d *= 2;
  return std::min(d, options_.requery_max);
}

PaymentRecord PaymentOperations::NewPayment(Wallet wallet, const common::Money& amount,
                                            const Collection& ok) const {
  const absl::Time now = Now();
  PaymentRecord p;
  p.payment_id = NewId("py");
  p.merchant_id = ok.merchant_id;
  p.wallet = wallet;
  p.channel = std::string(channel_.name());
  p.sub_mch_id = ok.sub_mch_id;
  p.amount_minor = amount.amount_minor();
  p.currency = std::string(amount.currency().code());
  // Fixed at this moment: the fee and the plan version it came from.
  p.fee_minor = ok.quote.fee_minor;
  p.plan_id = ok.quote.plan_id;
  p.plan_version = ok.quote.plan_version;
  p.merchant_zone = ok.merchant.time_zone;
  p.risk_decision = ok.risk.decision;
  p.risk_event_id = ok.risk.event_id;
  p.created_at = now;
  p.updated_at = now;
  p.expires_at = now + options_.close_after;
  // Should this process die before the channel answers, the re-query job picks it up.
  p.next_query_at = now + options_.requery_first;
  return p;
}

absl::StatusOr<PaymentOperations::Collection> PaymentOperations::CheckCollection(
    const std::string& merchant_id, Wallet wallet, const common::Money& amount,
    absl::string_view status_field, const std::map<std::string, std::string>* sub_mch_ids,
    const RiskInput& risk) {
  ASSIGN_OR_RETURN(MerchantFacts merchant, directory_.Merchant(merchant_id));
  if (merchant.status != "ACTIVE") {
    return FailedPreconditionField(status_field, absl::StrCat("the merchant is ", merchant.status));
  }
  if (merchant.home_currency != amount.currency().code()) {
    return InvalidField("amount.currency",
                        absl::StrCat("this merchant collects in ", merchant.home_currency));
  }
  std::map<std::string, std::string> fetched;
  if (sub_mch_ids == nullptr) {
    ASSIGN_OR_RETURN(fetched, directory_.SubMerchantIds(merchant_id));
    sub_mch_ids = &fetched;
  }
  auto sub = sub_mch_ids->find(std::string(SubMerchantKey(wallet)));
  if (sub == sub_mch_ids->end() || sub->second.empty()) {
    return FailedPreconditionField("wallet", "this merchant does not accept this wallet");
  }
  ASSIGN_OR_RETURN(RiskVerdict verdict, risk_.Evaluate(risk, merchant));
  ASSIGN_OR_RETURN(FeeQuote quote,
                   directory_.Quote(merchant_id, std::string(WalletName(wallet)), amount));
  return Collection{merchant_id, std::move(merchant), sub->second, quote, verdict};
}

absl::StatusOr<PaymentRecord> PaymentOperations::CreateCodePayment(const CodePaymentInput& in) {
  ASSIGN_OR_RETURN(Wallet wallet, ParseWallet(in.wallet));
  ASSIGN_OR_RETURN(common::Money amount, MoneyOf(in.amount_minor, in.currency, "amount"));
  RETURN_IF_ERROR(ValidatePaymentAmount(amount, options_.max_amount_minor));
  if (!in.client_request_id.empty()) {
    RETURN_IF_ERROR(ValidateOrderNo(in.client_request_id, "client_request_id"));
  }
  RETURN_IF_ERROR(common::ValidateFreeText(in.device_id, "device_id", 128));
  RETURN_IF_ERROR(common::ValidateFreeText(in.payer_ip, "payer_ip", 64));
  // Reads first: the code, the merchant, risk and the fee; nothing is written until all agree.
  ASSIGN_OR_RETURN(ResolvedCode code, directory_.Resolve(in.code));
  if (code.outcome != "PAYABLE") {
    return FailedPreconditionField(
        "code", code.message.empty() ? absl::StrCat("the code is ", code.outcome) : code.message);
  }
  if (code.merchant_id.empty()) return absl::InternalError("resolved code without a merchant");
  const OrderFingerprint fingerprint{amount.amount_minor(), std::string(amount.currency().code()),
                                     std::string(WalletName(wallet))};
  if (!in.client_request_id.empty()) {
    ASSIGN_OR_RETURN(auto existing,
                     repo_.GetByClientRequest(code.merchant_id, in.client_request_id));
    if (existing) {
      RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*existing), fingerprint, "client_request_id"));
      return *existing;
    }
  }
  if (code.amount_minor) {
    if (*code.amount_minor != amount.amount_minor() || code.currency != amount.currency().code()) {
      return InvalidField("amount", "a dynamic code is paid with its own amount");
    }
  }
  if (code.kind == "DYNAMIC") {
    // One order, one payment: a second scan answers with the first.
    ASSIGN_OR_RETURN(auto first, repo_.GetByDynamicCode(code.code_id));
    if (first) {
      RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*first), fingerprint, "code"));
      return *first;
    }
  }
  ASSIGN_OR_RETURN(Collection ok,
                   CheckCollection(code.merchant_id, wallet, amount, "code", &code.sub_mch_ids,
                                   RiskInput{code.merchant_id, code.terminal_sn, in.payer_ip,
                                             in.device_id, amount, in.client_request_id}));

  PaymentRecord p = NewPayment(wallet, amount, ok);
  p.store_id = code.store_id;
  p.terminal_sn = code.terminal_sn;
  p.code_id = code.code_id;
  p.flow = code.kind == "DYNAMIC" ? Flow::kDynamicCode : Flow::kStaticCode;
  p.out_trade_no = p.payment_id;
  p.client_request_id = in.client_request_id;
  p.description = "collection code payment";
  p.payer_ip = in.payer_ip;
  p.device_id = in.device_id;
  ChannelOrder order{p.payment_id,  wallet,       p.flow, p.sub_mch_id, p.terminal_sn, amount,
                     p.description, p.expires_at, ""};
  absl::Status inserted = repo_.Insert(p);
  if (absl::IsAlreadyExists(inserted) && code.kind == "DYNAMIC") {
    ASSIGN_OR_RETURN(auto first, repo_.GetByDynamicCode(code.code_id));
    if (first) {
      RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*first), fingerprint, "code"));
      return *first;
    }
  }
  if (absl::IsAlreadyExists(inserted) && !in.client_request_id.empty()) {
    // A concurrent retry won the race: answer with its payment.
    ASSIGN_OR_RETURN(auto existing,
                     repo_.GetByClientRequest(code.merchant_id, in.client_request_id));
    if (!existing) return inserted;
    RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*existing), fingerprint, "client_request_id"));
    return *existing;
  }
  RETURN_IF_ERROR(inserted);
  metrics_.Increment("payments_created_total{flow=\"code\"}");
  return Open(std::move(p), order);
}

absl::StatusOr<PaymentRecord> PaymentOperations::CreateMerchantPayment(
    const MerchantPaymentInput& in) {
  RETURN_IF_ERROR(common::ValidateId(in.merchant_id, "merchant_id"));
  if (in.merchant_id.empty()) return InvalidField("merchant_id", "is required");
  RETURN_IF_ERROR(ValidateOrderNo(in.out_trade_no, "out_trade_no"));
  ASSIGN_OR_RETURN(Wallet wallet, ParseWallet(in.wallet));
  ASSIGN_OR_RETURN(common::Money amount, MoneyOf(in.amount_minor, in.currency, "amount"));
  RETURN_IF_ERROR(ValidatePaymentAmount(amount, options_.max_amount_minor));
  RETURN_IF_ERROR(common::ValidateFreeText(in.description, "description", 127));
  if (!in.store_id.empty()) {
    RETURN_IF_ERROR(common::ValidateId(in.store_id, "store_id"));
    // Tagged to a store, it must be the merchant's own.
    if (absl::Status st = directory_.CheckStore(in.merchant_id, in.store_id); !st.ok()) {
      if (absl::IsNotFound(st)) return InvalidField("store_id", "no such store for this merchant");
      return st;
    }
  }
  const OrderFingerprint fingerprint{amount.amount_minor(), std::string(amount.currency().code()),
                                     std::string(WalletName(wallet))};
  ASSIGN_OR_RETURN(auto existing, repo_.GetByOutTradeNo(in.merchant_id, in.out_trade_no));
  if (existing) {
    RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*existing), fingerprint, "out_trade_no"));
    return *existing;
  }
  ASSIGN_OR_RETURN(Collection ok,
                   CheckCollection(in.merchant_id, wallet, amount, "merchant_id", nullptr,
                                   RiskInput{in.merchant_id, "", "", "", amount, in.out_trade_no}));
  PaymentRecord p = NewPayment(wallet, amount, ok);
  p.store_id = in.store_id;
  p.flow = Flow::kNative;
  p.out_trade_no = in.out_trade_no;
  p.description = in.description;
  ChannelOrder order{p.payment_id,  wallet,       p.flow, p.sub_mch_id, "", amount,
                     p.description, p.expires_at, ""};
  absl::Status inserted = repo_.Insert(p);
  if (absl::IsAlreadyExists(inserted)) {
    ASSIGN_OR_RETURN(auto raced, repo_.GetByOutTradeNo(in.merchant_id, in.out_trade_no));
    if (!raced) return inserted;
    RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*raced), fingerprint, "out_trade_no"));
    return *raced;
  }
  RETURN_IF_ERROR(inserted);
  metrics_.Increment("payments_created_total{flow=\"native\"}");
  return Open(std::move(p), order);
}

absl::StatusOr<PaymentRecord> PaymentOperations::CreateTerminalPayment(
    const TerminalPaymentInput& in) {
  const bool barcode = in.kind == "BARCODE";
  if (!barcode && in.kind != "PRECREATE") {
    return InvalidField("kind", "must be PRECREATE or BARCODE");
  }
  RETURN_IF_ERROR(ValidateOrderNo(in.out_trade_no, "out_trade_no"));
  ASSIGN_OR_RETURN(Wallet wallet, ParseWallet(in.wallet));
  ASSIGN_OR_RETURN(common::Money amount, MoneyOf(in.amount_minor, in.currency, "amount"));
  RETURN_IF_ERROR(ValidatePaymentAmount(amount, options_.max_amount_minor));
  if (barcode) {
    if (in.auth_code.size() < 10 || in.auth_code.size() > 32 ||
        !std::all_of(in.auth_code.begin(), in.auth_code.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return InvalidField("auth_code", "must be the 10 to 32 digits of the payer's barcode");
    }
  } else if (!in.auth_code.empty()) {
    return InvalidField("auth_code", "only a BARCODE payment carries one");
  }
  // The terminal service holds the keys: it checks the signature and the terminal's status.
  const std::string body_hash = common::Sha256Hex(
      TerminalPaymentBody(in.kind, in.out_trade_no, amount.amount_minor(), amount.currency().code(),
                          WalletName(wallet), in.auth_code));
  ASSIGN_OR_RETURN(VerifiedTerminal terminal,
                   directory_.VerifyTerminal(in.terminal_sn, std::string(kTerminalPaymentMethod),
                                             in.timestamp, in.nonce, body_hash, in.signature));
  const OrderFingerprint fingerprint{amount.amount_minor(), std::string(amount.currency().code()),
                                     std::string(WalletName(wallet))};
  ASSIGN_OR_RETURN(auto existing, repo_.GetByOutTradeNo(terminal.merchant_id, in.out_trade_no));
  if (existing) {
    RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*existing), fingerprint, "out_trade_no"));
    return *existing;
  }
  ASSIGN_OR_RETURN(
      Collection ok,
      CheckCollection(terminal.merchant_id, wallet, amount, "terminal_sn", nullptr,
                      RiskInput{terminal.merchant_id, terminal.terminal_sn, "", "", amount,
                                absl::StrCat(terminal.terminal_sn, ":", in.out_trade_no)}));
  PaymentRecord p = NewPayment(wallet, amount, ok);
  p.store_id = terminal.store_id;
  p.terminal_sn = terminal.terminal_sn;
  p.flow = barcode ? Flow::kBarcode : Flow::kDynamicCode;
  p.out_trade_no = in.out_trade_no;
  p.description = barcode ? "terminal barcode payment" : "terminal dynamic code";
  ChannelOrder order{p.payment_id, wallet,        p.flow,       p.sub_mch_id, p.terminal_sn,
                     amount,       p.description, p.expires_at, in.auth_code};
  absl::Status inserted = repo_.Insert(p);
  if (absl::IsAlreadyExists(inserted)) {
    ASSIGN_OR_RETURN(auto raced, repo_.GetByOutTradeNo(terminal.merchant_id, in.out_trade_no));
    if (!raced) return inserted;
    RETURN_IF_ERROR(CheckSameOrder(FingerprintOf(*raced), fingerprint, "out_trade_no"));
    return *raced;
  }
  RETURN_IF_ERROR(inserted);
  metrics_.Increment(barcode ? "payments_created_total{flow=\"barcode\"}"
                             : "payments_created_total{flow=\"dynamic_code\"}");
  if (!barcode) return Open(std::move(p), order);
  ChannelAnswer answer = channel_.BarcodePay(order);
  if (answer.outcome == ChannelOutcome::kNotFound) answer.outcome = ChannelOutcome::kUnknown;
  auto applied = Apply(p.payment_id, answer);
  if (!applied.ok()) return p;
  return applied;
}

absl::StatusOr<PaymentRecord> PaymentOperations::Open(PaymentRecord record,
                                                      const ChannelOrder& order) {
  // After commit, with no connection held: the channel may be slow.
  ChannelAnswer answer = channel_.Precreate(order);
  if (answer.outcome == ChannelOutcome::kNotFound) answer.outcome = ChannelOutcome::kUnknown;
  if (answer.outcome == ChannelOutcome::kAccepted) {
    // The usual answer: the order is open for the payer. Its status move depends only on the
    // stored status and writes no posting or notification, so it is one conditional UPDATE
    // instead of a locked read and an update in a transaction; if a re-query moved the payment
    // first, Apply decides on the stored row as it always does.
    auto t = Transition(record.status, EventOf(answer.outcome));
    if (t.ok() && t->changed && !IsFinal(t->to)) {
      const absl::Time now = Now();
      auto moved = repo_.MoveStatus(record.payment_id, record.status, t->to, answer.channel_txn_id,
                                    answer.pay_url, now);
      if (!moved.ok()) {
        spdlog::warn("payment {}: channel answer not applied: {}", record.payment_id,
                     moved.status().message());
        return record;
      }
      if (*moved) {
        record.status = t->to;
        if (!answer.channel_txn_id.empty()) record.channel_txn_id = answer.channel_txn_id;
        if (!answer.pay_url.empty()) record.pay_url = answer.pay_url;
        record.updated_at = now;
        return record;
      }
    }
  }
  auto applied = Apply(record.payment_id, answer);
  if (!applied.ok()) {
    // The payment is stored; the re-query job will settle it. Answer with what is stored.
    spdlog::warn("payment {}: channel answer not applied: {}", record.payment_id,
                 applied.status().message());
    return record;
  }
  return applied;
}

absl::StatusOr<PaymentRecord> PaymentOperations::Apply(const std::string& payment_id,
                                                       const ChannelAnswer& answer) {
  const absl::Time now = Now();
  const PaymentEvent event = EventOf(answer.outcome);
  ASSIGN_OR_RETURN(
      PaymentChange change,
      repo_.Change(
          payment_id,
          [&](const PaymentRecord& current,
              BusinessDayGate& days) -> absl::StatusOr<PaymentChange> {
            PaymentChange ch{current, "payment", {}, std::nullopt};
            auto t = Transition(current.status, event);
            if (!t.ok()) {
              // A final payment hears something else (a late or duplicate answer): keep it, and
              // leave the difference to reconciliation.
              if (current.status == PaymentStatus::kClosed && event == PaymentEvent::kPaid) {
                metrics_.Increment("payments_paid_after_close_total");
                spdlog::error("payment {}: the channel reports it paid after it was closed",
                              current.payment_id);
              }
              return ch;
            }
            if (!t->changed) return ch;
            if (event == PaymentEvent::kPaid && answer.amount_minor != 0 &&
                (answer.amount_minor != current.amount_minor ||
                 answer.currency != current.currency)) {
              // The channel says paid, but not this amount: never capture it; reconciliation and
              // staff decide.
              metrics_.Increment("payment_amount_mismatches_total");
              spdlog::error("payment {}: the channel reports {} {} paid, the order is {} {}",
                            current.payment_id, answer.amount_minor, answer.currency,
                            current.amount_minor, current.currency);
              ch.payment.status = PaymentStatus::kUnknown;
              ch.payment.next_query_at.reset();
              return ch;
            }
            PaymentRecord& p = ch.payment;
            p.status = t->to;
            if (!answer.channel_txn_id.empty()) p.channel_txn_id = answer.channel_txn_id;
            if (!answer.pay_url.empty()) p.pay_url = answer.pay_url;
            if (IsFinal(p.status)) p.next_query_at.reset();
            if (p.status == PaymentStatus::kSuccess) {
              const absl::Time paid =
                  answer.paid_at == absl::InfinitePast() || answer.paid_at == absl::Time()
                      ? now
                      : answer.paid_at;
              p.paid_at = paid;
              absl::TimeZone zone;
              if (!absl::LoadTimeZone(p.merchant_zone, &zone)) {
                return absl::InternalError("the merchant's time zone cannot be loaded");
              }
              p.recorded_at = now;
              // The day it was paid on, unless that day's batch has closed it: then the first
              // open day after it (a late success is settled then, never skipped).
              ASSIGN_OR_RETURN(p.business_date, days.OpenDayOnOrAfter(BusinessDate(paid, zone)));
              ASSIGN_OR_RETURN(common::Money amount, MoneyOf(p.amount_minor, p.currency, "amount"));
              ASSIGN_OR_RETURN(common::Money fee, MoneyOf(p.fee_minor, p.currency, "fee"));
              ch.postings = CapturePostings(p.merchant_id, WalletName(p.wallet), amount, fee);
              RETURN_IF_ERROR(CheckPostings(ch.postings));
              ch.notification = NotificationDraft{p.merchant_id, "payment.succeeded", p.payment_id,
                                                  PaymentNoticeBody(p)};
            }
            return ch;
          },
          now));
  if (change.payment.status == PaymentStatus::kSuccess && !change.postings.empty()) {
    metrics_.Increment("payments_succeeded_total");
    wake_cv_.notify_all();  // a notification is waiting
    if (!change.payment.code_id.empty()) {
      // The first payment on a code that replaced another in GRACEFUL mode ends that grace.
      // Best effort after commit: a grace that is not ended here still ends at its deadline.
      if (absl::Status s = directory_.CodePaid(change.payment.code_id); !s.ok()) {
        metrics_.Increment("payment_code_paid_failures_total");
        spdlog::warn("payment {}: code {} paid not reported: {}", payment_id,
                     change.payment.code_id, s.message());
      }
    }
  }
  return change.payment;
}

absl::StatusOr<PaymentRecord> PaymentOperations::Get(const std::string& payment_id,
                                                     const std::string& merchant_scope) {
  RETURN_IF_ERROR(common::ValidateId(payment_id, "payment_id"));
  ASSIGN_OR_RETURN(auto p, repo_.Get(payment_id));
  if (!p || (!merchant_scope.empty() && p->merchant_id != merchant_scope)) {
    return absl::NotFoundError("payment not found");
  }
  return *p;
}

absl::StatusOr<PaymentRecord> PaymentOperations::GetForPayer(const std::string& payment_id,
                                                             const std::string& client_request_id) {
  if (payment_id.empty()) return InvalidField("payment_id", "is required");
  RETURN_IF_ERROR(common::ValidateId(payment_id, "payment_id"));
  RETURN_IF_ERROR(ValidateOrderNo(client_request_id, "client_request_id"));
  ASSIGN_OR_RETURN(auto p, repo_.Get(payment_id));
  if (!p || p->client_request_id.empty() ||
      !common::ConstantTimeEquals(p->client_request_id, client_request_id)) {
    return absl::NotFoundError("payment not found");
  }
  return *p;
}

absl::StatusOr<std::vector<PaymentRecord>> PaymentOperations::List(PaymentFilter filter) {
  RETURN_IF_ERROR(common::ValidateId(filter.merchant_id, "merchant_id"));
  if (filter.merchant_id.empty()) return InvalidField("merchant_id", "is required");
  if (!filter.business_date.empty()) {
    ASSIGN_OR_RETURN(filter.business_date, ParseBusinessDate(filter.business_date));
  }
  return repo_.List(filter);
}

absl::StatusOr<RefundRecord> PaymentOperations::Refund(const RefundInput& in,
                                                       const std::string& merchant_scope) {
  RETURN_IF_ERROR(ValidateOrderNo(in.out_refund_no, "out_refund_no"));
  RETURN_IF_ERROR(common::ValidateFreeText(in.reason, "reason", common::kMaxReasonChars));
  ASSIGN_OR_RETURN(PaymentRecord payment, Get(in.payment_id, merchant_scope));
  ASSIGN_OR_RETURN(common::Money amount, MoneyOf(in.amount_minor, in.currency, "amount"));
  ASSIGN_OR_RETURN(auto existing,
                   repo_.GetRefundByOutRefundNo(payment.merchant_id, in.out_refund_no));
  if (existing) {
    if (existing->payment_id != payment.payment_id) {
      return common::InvalidField("out_refund_no", "already used for another payment");
    }
    RETURN_IF_ERROR(CheckSameOrder(
        {existing->amount_minor, existing->currency, ""},
        {amount.amount_minor(), std::string(amount.currency().code()), ""}, "out_refund_no"));
    return *existing;
  }
  const absl::Time now = Now();
  const std::string refund_id = NewId("rf");
  auto begun = repo_.BeginRefund(
      payment.payment_id,
      [&](const PaymentRecord& p) -> absl::StatusOr<RefundChange> {
        ASSIGN_OR_RETURN(common::Money paid, MoneyOf(p.amount_minor, p.currency, "amount"));
        ASSIGN_OR_RETURN(common::Money refunded, MoneyOf(p.refunded_minor, p.currency, "amount"));
        RETURN_IF_ERROR(CheckRefund(
            RefundContext{p.status, paid, refunded, p.refund_count, p.paid_at.value_or(now)},
            amount, now));
        ASSIGN_OR_RETURN(common::Money fee, MoneyOf(p.fee_minor, p.currency, "fee"));
        ASSIGN_OR_RETURN(common::Money returned, MoneyOf(p.fee_returned_minor, p.currency, "fee"));
        ASSIGN_OR_RETURN(common::Money fee_return,
                         fee::FeeToReturn({paid, fee, refunded, returned, amount}));
        RefundChange ch;
        ch.payment = p;
        ch.payment.refunded_minor += amount.amount_minor();
        ch.payment.fee_returned_minor += fee_return.amount_minor();
        ch.payment.refund_count += 1;
        RefundRecord& r = ch.refund;
        r.refund_id = refund_id;
        r.payment_id = p.payment_id;
        r.merchant_id = p.merchant_id;
        r.out_refund_no = in.out_refund_no;
        r.amount_minor = amount.amount_minor();
        r.currency = p.currency;
        r.fee_return_minor = fee_return.amount_minor();
        r.status = RefundStatus::kProcessing;
        r.reason = in.reason;
        r.created_at = now;
        r.next_query_at = now + options_.requery_first;  // picked up should this process die
        return ch;
      },
      now);
  if (absl::IsAlreadyExists(begun.status())) {
    ASSIGN_OR_RETURN(auto raced,
                     repo_.GetRefundByOutRefundNo(payment.merchant_id, in.out_refund_no));
    if (raced) {
      if (raced->payment_id != payment.payment_id) {
        return common::InvalidField("out_refund_no", "already used for another payment");
      }
      RETURN_IF_ERROR(CheckSameOrder(
          {raced->amount_minor, raced->currency, ""},
          {amount.amount_minor(), std::string(amount.currency().code()), ""}, "out_refund_no"));
      return *raced;
    }
  }
  RETURN_IF_ERROR(begun.status());
  ChannelRefundRequest req{refund_id, payment.payment_id, amount,
                           *MoneyOf(payment.amount_minor, payment.currency, "amount")};
  return FinishRefund(refund_id, ConfirmRefund(refund_id, channel_.Refund(req)));
}

RefundAnswer PaymentOperations::ConfirmRefund(const std::string& refund_id,
                                              const RefundAnswer& submitted) {
  // A refusal from a submission is only believed once a query of the same refund number finds
  // nothing: another submission of it (a re-query job, a retry) may have gone through.
  if (submitted.outcome != RefundOutcome::kFailed &&
      submitted.outcome != RefundOutcome::kNotFound) {
    return submitted;
  }
  RefundAnswer queried = channel_.QueryRefund(refund_id);
  if (queried.outcome == RefundOutcome::kNotFound) return submitted;
  return queried;
}

absl::StatusOr<RefundRecord> PaymentOperations::FinishRefund(const std::string& refund_id,
                                                             const RefundAnswer& answer) {
  const absl::Time now = Now();
  ASSIGN_OR_RETURN(
      RefundChange change,
      repo_.FinishRefund(
          refund_id,
          [&](const PaymentRecord& p, const RefundRecord& r,
              BusinessDayGate& days) -> absl::StatusOr<RefundChange> {
            RefundChange ch{r, p, {}, std::nullopt};
            if (r.status == RefundStatus::kSuccess || r.status == RefundStatus::kFailed) {
              return ch;  // already decided
            }
            switch (answer.outcome) {
              case RefundOutcome::kSucceeded: {
                ch.refund.status = RefundStatus::kSuccess;
                ch.refund.channel_refund_id = answer.channel_refund_id;
                ch.refund.succeeded_at = now;
                ch.refund.next_query_at.reset();
                {
                  absl::TimeZone zone;
                  if (!absl::LoadTimeZone(p.merchant_zone, &zone)) {
                    return absl::InternalError("the merchant's time zone cannot be loaded");
                  }
                  ASSIGN_OR_RETURN(ch.refund.business_date,
                                   days.OpenDayOnOrAfter(BusinessDate(now, zone)));
                }
                ASSIGN_OR_RETURN(common::Money amount,
                                 MoneyOf(r.amount_minor, r.currency, "amount"));
                ASSIGN_OR_RETURN(common::Money fee_return,
                                 MoneyOf(r.fee_return_minor, r.currency, "fee"));
                ch.postings =
                    RefundPostings(p.merchant_id, WalletName(p.wallet), amount, fee_return);
                RETURN_IF_ERROR(CheckPostings(ch.postings));
                ch.notification = NotificationDraft{p.merchant_id, "refund.succeeded", r.refund_id,
                                                    RefundNoticeBody(ch.refund)};
                break;
              }
              case RefundOutcome::kFailed:
              case RefundOutcome::kNotFound:
                // Nothing moved: the reservation is released.
                ch.refund.status = RefundStatus::kFailed;
                ch.refund.next_query_at.reset();
                ch.payment.refunded_minor -= r.amount_minor;
                ch.payment.fee_returned_minor -= r.fee_return_minor;
                ch.payment.refund_count -= 1;
                break;
              default:
                ch.refund.status = RefundStatus::kUnknown;
                ch.refund.next_query_at = now + options_.requery_first;
            }
            return ch;
          },
          now));
  if (change.refund.status == RefundStatus::kSuccess) wake_cv_.notify_all();
  return change.refund;
}

absl::StatusOr<PaymentRecord> PaymentOperations::HandleCallback(const std::string& channel,
                                                                const SignedCallback& callback) {
  if (channel != channel_.name()) return InvalidField("channel", "unknown channel");
  ASSIGN_OR_RETURN(CallbackNotice notice, channel_.VerifyCallback(callback));
  ASSIGN_OR_RETURN(auto stored, repo_.Get(notice.payment_id));
  if (!stored) return absl::NotFoundError("payment not found");
  if (notice.outcome == ChannelOutcome::kPaid &&
      (notice.amount_minor != stored->amount_minor || notice.currency != stored->currency)) {
    metrics_.Increment("payment_callback_mismatches_total");
    return FailedPreconditionField("body", "the notice's amount differs from the payment's");
  }
  ChannelAnswer answer{notice.outcome,      notice.channel_txn_id, "", notice.paid_at, "",
                       notice.amount_minor, notice.currency};
  return Apply(notice.payment_id, answer);
}

absl::StatusOr<PaymentRecord> PaymentOperations::SandboxPay(const std::string& payment_id,
                                                            bool decline) {
  if (sandbox_ == nullptr) return absl::FailedPreconditionError("the sandbox channel is off");
  RETURN_IF_ERROR(common::ValidateId(payment_id, "payment_id"));
  if (absl::Status s = sandbox_->Pay(payment_id, decline); !s.ok()) {
    if (absl::IsNotFound(s)) return absl::NotFoundError("payment not found at the sandbox");
    return s;
  }
  return Get(payment_id, "");
}

absl::StatusOr<std::string> PaymentOperations::SandboxBill(const std::string& date) {
  if (sandbox_ == nullptr) return absl::FailedPreconditionError("the sandbox channel is off");
  ASSIGN_OR_RETURN(std::string d, ParseBusinessDate(date, "date"));
  return sandbox_->Bill(d);
}

absl::StatusOr<std::pair<Webhook, std::string>> PaymentOperations::ConfigureWebhook(
    const std::string& merchant_id, const std::string& notify_url) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (merchant_id.empty()) return InvalidField("merchant_id", "is required");
  std::string origin, path;
  if (notify_url.size() > 512 || !SplitUrl(notify_url, &origin, &path) ||
      !AcceptableNotifyOrigin(origin)) {
    return InvalidField("notify_url",
                        "must be an https:// URL to a public host (http:// only to loopback)");
  }
  ASSIGN_OR_RETURN(MerchantFacts merchant, directory_.Merchant(merchant_id));
  (void)merchant;
  const std::string secret = common::RandomToken(32);
  ASSIGN_OR_RETURN(std::string sealed, box_.Seal(secret));
  Webhook w{merchant_id, notify_url, sealed};
  RETURN_IF_ERROR(repo_.SetWebhook(w, Now()));
  return std::make_pair(w, secret);
}

absl::StatusOr<std::vector<NotificationRecord>> PaymentOperations::ListNotifications(
    const std::string& merchant_id, const std::string& ref_id, int limit) {
  RETURN_IF_ERROR(common::ValidateId(merchant_id, "merchant_id"));
  if (merchant_id.empty()) return InvalidField("merchant_id", "is required");
  return repo_.ListNotifications(merchant_id, ref_id, std::clamp(limit <= 0 ? 50 : limit, 1, 500));
}

absl::StatusOr<NotificationRecord> PaymentOperations::ResendNotification(int64_t id) {
  if (id <= 0) return InvalidField("notification_id", "must be positive");
  ASSIGN_OR_RETURN(NotificationRecord n, repo_.Resend(id, Now()));
  wake_cv_.notify_all();
  return n;
}

absl::StatusOr<NotificationRecord> PaymentOperations::EnqueueNotification(
    const NotificationDraft& draft) {
  RETURN_IF_ERROR(common::ValidateId(draft.merchant_id, "merchant_id"));
  if (draft.event != "risk.alert") {
    return InvalidField("event", "other services may send risk.alert only");
  }
  if (draft.ref_id.size() != 26) return InvalidField("ref_id", "26 characters");
  RETURN_IF_ERROR(common::ValidateFreeText(draft.body, "body", 16 * 1024));
  if (draft.body.empty()) return InvalidField("body", "required");
  ASSIGN_OR_RETURN(NotificationRecord n, repo_.Enqueue(draft, Now()));
  wake_cv_.notify_all();
  return n;
}

absl::StatusOr<LedgerReport> PaymentOperations::CheckLedger() { return repo_.CheckLedger(); }

absl::StatusOr<PaymentOperations::PaymentLedger> PaymentOperations::Ledger(
    const std::string& payment_id) {
  PaymentLedger out;
  ASSIGN_OR_RETURN(out.payment, Get(payment_id, ""));
  ASSIGN_OR_RETURN(out.refunds, repo_.ListRefunds(payment_id));
  std::vector<std::string> refund_ids;
  for (const RefundRecord& r : out.refunds) refund_ids.push_back(r.refund_id);
  ASSIGN_OR_RETURN(out.transactions, repo_.LedgerOf(payment_id, refund_ids));
  return out;
}

absl::StatusOr<PaymentSummaryRecord> PaymentOperations::Summarize(absl::Time from, absl::Time to) {
  if (to <= from) return InvalidField("created_to", "must be after created_from");
  if (to - from > absl::Hours(24 * 31))
    return InvalidField("created_to", "at most 31 days after created_from");
  // The ids' time prefix (NewId): "py" + 12 hex digits of Unix milliseconds.
  const auto id_at = [](absl::Time t) {
    return absl::StrCat("py",
                        absl::StrFormat("%012x", std::max<int64_t>(0, absl::ToUnixMillis(t))));
  };
  return repo_.Summarize(id_at(from), id_at(to));
}

absl::StatusOr<absl::Time> PaymentOperations::CloseBusinessDay(const std::string& date) {
  ASSIGN_OR_RETURN(std::string day, ParseBusinessDate(date, "date"));
  const absl::Time now = Now();
  // A day not over even at UTC+14 (the first zone to end it) is today or later everywhere.
  absl::CivilDay parsed;
  absl::ParseCivilTime(day, &parsed);
  if (absl::FromCivil(parsed + 1, absl::FixedTimeZone(14 * 3600)) > now) {
    return InvalidField("date", "is not over yet: only a past business day can be closed");
  }
  return repo_.CloseBusinessDay(day, now);
}

int PaymentOperations::RunDueQueries() {
  const absl::Time now = Now();
  // Small batches under a long lease: a batch is done well before its lease ends.
  auto due = repo_.ClaimDue(instance_id_, absl::Seconds(60), 20, now);
  if (!due.ok()) {
    spdlog::warn("payment re-query: cannot claim: {}", due.status().message());
    return 0;
  }
  for (const PaymentRecord& p : *due) {
    if (IsFinal(p.status)) {
      (void)repo_.Release(p.payment_id, instance_id_, std::nullopt, p.query_attempts);
      continue;
    }
    ChannelAnswer a = channel_.Query(p.payment_id);
    metrics_.Increment("payment_requeries_total");
    if (a.outcome == ChannelOutcome::kNotFound && p.flow == Flow::kBarcode) {
      // The payer's barcode is not stored: the charge cannot be repeated. Close the order.
      a = ChannelAnswer{ChannelOutcome::kClosed, "", "", {}, "barcode charge never sent", 0, ""};
    } else if (a.outcome == ChannelOutcome::kNotFound && p.status == PaymentStatus::kCreated &&
               now < p.expires_at) {
      // The order never reached the channel (the process died before precreate): open it now.
      a = channel_.Precreate(ChannelOrder{
          p.payment_id, p.wallet, p.flow, p.sub_mch_id, p.terminal_sn,
          *MoneyOf(p.amount_minor, p.currency, "amount"), p.description, p.expires_at, ""});
    }
    if ((a.outcome == ChannelOutcome::kAccepted || a.outcome == ChannelOutcome::kNotFound) &&
        now >= p.expires_at) {
      // Unpaid past the timeout: close it at the channel first (it may have been paid at the
      // last moment, and then it is paid).
      ChannelAnswer closed = channel_.Close(p.payment_id);
      a = closed.outcome == ChannelOutcome::kNotFound
              ? ChannelAnswer{ChannelOutcome::kClosed, "", "", {}, "", 0, ""}
              : closed;
    }
    if (a.outcome == ChannelOutcome::kNotFound) a.outcome = ChannelOutcome::kUnknown;
    auto applied = Apply(p.payment_id, a);
    const bool final = applied.ok() && IsFinal(applied->status);
    if (final)
      metrics_.Increment(absl::StrCat("payments_resolved_by_query_total{status=\"",
                                      PaymentStatusName(applied->status), "\"}"));
    const int attempts = p.query_attempts + 1;
    std::optional<absl::Time> next;
    if (!final)
      next =
          std::min(now + Backoff(attempts), std::max(p.expires_at, now + options_.requery_first));
    (void)repo_.Release(p.payment_id, instance_id_, next, attempts);
  }
  return static_cast<int>(due->size());
}

int PaymentOperations::RunDueRefunds() {
  auto due = repo_.DueRefunds(100, Now());
  if (!due.ok()) return 0;
  for (const RefundRecord& r : *due) {
    RefundAnswer a = channel_.QueryRefund(r.refund_id);
    if (a.outcome == RefundOutcome::kNotFound && r.status == RefundStatus::kProcessing) {
      // The refund never reached the channel: send it now (the channel dedups by refund id).
      auto p = repo_.Get(r.payment_id);
      if (!p.ok() || !*p) continue;
      a = ConfirmRefund(r.refund_id, channel_.Refund(ChannelRefundRequest{
                                         r.refund_id, r.payment_id,
                                         *MoneyOf(r.amount_minor, r.currency, "amount"),
                                         *MoneyOf((*p)->amount_minor, (*p)->currency, "amount")}));
    } else if (a.outcome == RefundOutcome::kNotFound) {
      a.outcome = RefundOutcome::kUnknown;  // an UNKNOWN refund not (yet) seen: ask again later
    }
    (void)FinishRefund(r.refund_id, a);
  }
  return static_cast<int>(due->size());
}

void PaymentOperations::Start() {
  threads_.emplace_back([this] { JobLoop(); });
  for (int i = 0; i < std::max(1, options_.notification_workers); ++i) {
    threads_.emplace_back([this] { NotificationLoop(); });
  }
}

void PaymentOperations::Stop() {
  stop_.store(true);
  wake_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void PaymentOperations::JobLoop() {
  while (!stop_.load()) {
    RunDueQueries();
    RunDueRefunds();
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.job_interval),
                      [&] { return stop_.load(); });
  }
}

void PaymentOperations::NotificationLoop() {
  while (!stop_.load()) {
    std::vector<std::string> busy;
    {
      std::lock_guard lock(busy_mu_);
      for (const auto& [m, n] : in_flight_) {
        if (n > 0) busy.push_back(m);
      }
    }
    auto claimed = repo_.ClaimNotifications(1, busy, options_.notification_timeout * 3, Now());
    if (claimed.ok() && !claimed->empty()) {
      const NotificationRecord& n = claimed->front();
      {
        std::lock_guard lock(busy_mu_);
        ++in_flight_[n.merchant_id];
      }
      Deliver(n);
      {
        std::lock_guard lock(busy_mu_);
        if (--in_flight_[n.merchant_id] <= 0) in_flight_.erase(n.merchant_id);
      }
      continue;
    }
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.job_interval),
                      [&] { return stop_.load(); });
  }
}

void PaymentOperations::Deliver(const NotificationRecord& n) {
  const absl::Time now = Now();
  int http_status = 0;
  std::string error;
  auto hook = repo_.GetWebhook(n.merchant_id);
  if (!hook.ok()) {
    error = std::string(hook.status().message());
  } else if (!*hook) {
    error = "no notify_url configured";
  } else {
    auto secret = box_.Open((*hook)->secret_sealed);
    std::string origin, path;
    if (!secret.ok() || !SplitUrl((*hook)->notify_url, &origin, &path)) {
      error = "webhook unusable";
    } else {
      const std::string ts = std::to_string(absl::ToUnixSeconds(clock_.Now()));
      const std::string nonce = common::RandomToken(12);
      httplib::Client client(origin);
      client.set_connection_timeout(absl::ToChronoSeconds(options_.notification_timeout));
      client.set_read_timeout(absl::ToChronoSeconds(options_.notification_timeout));
      client.set_write_timeout(absl::ToChronoSeconds(options_.notification_timeout));
      httplib::Headers headers = {
          {"Aggpay-Timestamp", ts},
          {"Aggpay-Nonce", nonce},
          {"Aggpay-Signature", SignNotification(*secret, ts, nonce, n.body)},
          {"Aggpay-Event", n.event}};
      auto res = client.Post(path, headers, n.body, "application/json");
      if (res) {
        http_status = res->status;
      } else {
        error = httplib::to_string(res.error());
      }
    }
  }
  const bool delivered = Delivered(http_status);
  std::optional<absl::Time> next;
  if (!delivered) {
    if (auto delay = RetryDelayAfter(n.attempts + 1)) {
      next = now + *delay * options_.notification_schedule_percent / 100;
    }
  }
  metrics_.Increment(delivered ? "notifications_delivered_total" : "notification_failures_total");
  if (absl::Status s =
          repo_.RecordAttempt(n.notification_id, http_status, error, delivered, next, Now());
      !s.ok()) {
    spdlog::warn("notification {}: attempt not recorded: {}", n.notification_id, s.message());
  }
}

}  // namespace aggpay::payment
