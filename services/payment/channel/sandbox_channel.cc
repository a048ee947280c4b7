#include "services/payment/channel/sandbox_channel.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <google/protobuf/util/json_util.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "aggpay/v1/payment.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/common/log/logging.h"
#include "services/payment/domain/notification.h"

namespace aggpay::payment {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr absl::Duration kCallbackWindow = absl::Minutes(5);

std::string TradeType(Flow flow) {
  switch (flow) {
    case Flow::kBarcode:
      return "MICROPAY";
    case Flow::kStaticCode:
      return "JSAPI";
    default:
      return "NATIVE";
  }
}

ChannelOutcome OutcomeOf(const std::string& status) {
  if (status == "NOTPAY") return ChannelOutcome::kAccepted;
  if (status == "SUCCESS" || status == "REFUND") return ChannelOutcome::kPaid;
  if (status == "PAYERROR") return ChannelOutcome::kFailed;
  if (status == "CLOSED") return ChannelOutcome::kClosed;
  return ChannelOutcome::kUnknown;
}

}  // namespace

SandboxChannel::SandboxChannel(common::MysqlPool& pool, const common::Clock& clock,
                               common::Metrics& metrics, SandboxOptions options,
                               CallbackSender deliver)
    : pool_(pool),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      deliver_(std::move(deliver)),
      rng_(options_.chaos.seed != 0 ? options_.chaos.seed : std::random_device{}()) {}

bool SandboxChannel::Roll(int64_t ppm) {
  if (ppm <= 0) return false;
  if (ppm >= 1000000) return true;
  std::lock_guard lock(rng_mu_);
  return static_cast<int64_t>(rng_() % 1000000) < ppm;
}

void SandboxChannel::MaybeSlow() {
  if (Roll(options_.chaos.slow_ppm)) {
    metrics_.Increment("sandbox_chaos_total{kind=\"slow\"}");
    absl::SleepFor(options_.chaos.slow_delay);
  }
}

ChannelAnswer SandboxChannel::Open(const ChannelOrder& order, bool paid_at_once) {
  MaybeSlow();
  if (Roll(options_.chaos.failure_ppm)) {
    metrics_.Increment("sandbox_chaos_total{kind=\"failure\"}");
    return ChannelAnswer{ChannelOutcome::kFailed,
                         "",
                         "",
                         absl::InfinitePast(),
                         "SYSTEMERROR: the sandbox refused the order",
                         0,
                         ""};
  }
  const std::string txn = absl::StrCat("sbx", common::RandomToken(12));
  const absl::Time now = clock_.Now();
  absl::Status s = pool_.Run("sandbox open order", [&](sql::Connection& c) -> absl::Status {
    sql::PreparedStatement* st = &common::Prepare(
        c,
        "INSERT INTO sandbox_orders (channel_txn_id, out_trade_no, wallet, sub_mch_id, device, "
        "trade_type, amount_minor, currency, description, status, created_at, paid_at) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st->setString(1, txn);
    st->setString(2, order.payment_id);
    st->setString(3, std::string(WalletName(order.wallet)));
    st->setString(4, order.sub_mch_id);
    st->setString(5, order.device);
    st->setString(6, TradeType(order.flow));
    st->setInt64(7, order.amount.amount_minor());
    st->setString(8, std::string(order.amount.currency().code()));
    st->setString(9, order.description);
    st->setString(10, paid_at_once ? "SUCCESS" : "NOTPAY");
    st->setString(11, FormatSqlTime(now));
    if (paid_at_once) {
      st->setString(12, FormatSqlTime(now));
    } else {
      st->setNull(12, 0);
    }
    st->execute();
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) return Query(order.payment_id);  // a repeated precreate
  if (!s.ok())
    return ChannelAnswer{ChannelOutcome::kUnknown, "", "", {}, std::string(s.message()), 0, ""};
  if (Roll(options_.chaos.unknown_ppm)) {
    // The order exists, but the answer is lost: only a query can tell.
    metrics_.Increment("sandbox_chaos_total{kind=\"unknown\"}");
    return ChannelAnswer{ChannelOutcome::kUnknown, "", "", {}, "sandbox: answer lost", 0, ""};
  }
  return ChannelAnswer{paid_at_once ? ChannelOutcome::kPaid : ChannelOutcome::kAccepted,
                       txn,
                       paid_at_once ? "" : absl::StrCat(options_.pay_base_url, txn),
                       now,
                       "",
                       0,
                       ""};
}

ChannelAnswer SandboxChannel::Precreate(const ChannelOrder& order) { return Open(order, false); }

ChannelAnswer SandboxChannel::BarcodePay(const ChannelOrder& order) {
  // A barcode starting "00" is declined by the payer's wallet; anything else pays at once.
  if (absl::StartsWith(order.auth_code, "00")) {
    return ChannelAnswer{ChannelOutcome::kFailed, "", "", {}, "AUTHCODEEXPIRE", 0, ""};
  }
  return Open(order, true);
}

ChannelAnswer SandboxChannel::Query(const std::string& payment_id) {
  MaybeSlow();
  auto answer =
      pool_.Run("sandbox query", [&](sql::Connection& c) -> absl::StatusOr<ChannelAnswer> {
        sql::PreparedStatement* st = &common::Prepare(
            c, "SELECT channel_txn_id, status, paid_at FROM sandbox_orders WHERE out_trade_no = ?");
        st->setString(1, payment_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next())
          return ChannelAnswer{ChannelOutcome::kNotFound, "", "", {}, "ORDERNOTEXIST", 0, ""};
        ChannelAnswer a;
        a.channel_txn_id = rs->getString(1);
        a.outcome = OutcomeOf(rs->getString(2));
        if (!rs->isNull(3)) a.paid_at = ParseSqlTime(rs->getString(3));
        a.pay_url = absl::StrCat(options_.pay_base_url, a.channel_txn_id);
        return a;
      });
  if (!answer.ok()) {
    return ChannelAnswer{
        ChannelOutcome::kUnknown, "", "", {}, std::string(answer.status().message()), 0, ""};
  }
  return *answer;
}

ChannelAnswer SandboxChannel::Close(const std::string& payment_id) {
  auto closed = pool_.Run("sandbox close", [&](sql::Connection& c) -> absl::StatusOr<int> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE sandbox_orders SET status = 'CLOSED' WHERE out_trade_no = ? AND status = "
        "'NOTPAY'"));
    st->setString(1, payment_id);
    return st->executeUpdate();
  });
  if (!closed.ok())
    return ChannelAnswer{ChannelOutcome::kUnknown, "", "", {}, "sandbox: db", 0, ""};
  return Query(payment_id);  // CLOSED, or what it already was (paid at the last moment)
}

absl::Status SandboxChannel::Pay(const std::string& payment_id, bool decline) {
  const absl::Time now = clock_.Now();
  auto changed = pool_.Run("sandbox pay", [&](sql::Connection& c) -> absl::StatusOr<int> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE sandbox_orders SET status = ?, paid_at = ? WHERE out_trade_no = ? AND status = "
        "'NOTPAY'"));
    st->setString(1, decline ? "PAYERROR" : "SUCCESS");
    if (decline) {
      st->setNull(2, 0);
    } else {
      st->setString(2, FormatSqlTime(now));
    }
    st->setString(3, payment_id);
    return st->executeUpdate();
  });
  if (!changed.ok()) return changed.status();
  if (*changed == 0) {
    ChannelAnswer a = Query(payment_id);
    if (a.outcome == ChannelOutcome::kNotFound) {
      return absl::NotFoundError("payment_id: the sandbox has no such order");
    }
    if (a.outcome != ChannelOutcome::kPaid || decline) {
      return absl::FailedPreconditionError("payment_id: the sandbox order is not open");
    }
    // Already paid: send the callback again, as a channel retries its notices.
  }
  if (Roll(options_.chaos.lost_callback_ppm)) {
    metrics_.Increment("sandbox_chaos_total{kind=\"lost_callback\"}");
    return absl::OkStatus();
  }
  auto callback = CallbackFor(payment_id);
  if (!callback.ok()) return callback.status();
  if (deliver_) deliver_(*callback);
  return absl::OkStatus();
}

absl::StatusOr<SignedCallback> SandboxChannel::CallbackFor(const std::string& payment_id) {
  auto notice = pool_.Run(
      "sandbox notice", [&](sql::Connection& c) -> absl::StatusOr<aggpay::v1::SandboxNotice> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT channel_txn_id, status, amount_minor, currency, paid_at FROM sandbox_orders "
            "WHERE out_trade_no = ?"));
        st->setString(1, payment_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return absl::NotFoundError("payment_id: the sandbox has no such order");
        aggpay::v1::SandboxNotice n;
        n.set_out_trade_no(payment_id);
        n.set_transaction_id(rs->getString(1));
        const std::string status = rs->getString(2);
        n.set_trade_state(status == "PAYERROR" ? "PAYERROR" : "SUCCESS");
        n.set_amount_minor(rs->getInt64(3));
        n.set_currency(rs->getString(4));
        if (!rs->isNull(5)) {
          n.set_success_time(absl::FormatTime(absl::RFC3339_full, ParseSqlTime(rs->getString(5)),
                                              absl::UTCTimeZone()));
        }
        return n;
      });
  if (!notice.ok()) return notice.status();
  std::string body;
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*notice, &body, json).ok()) {
    return absl::InternalError("sandbox notice could not be encoded");
  }
  return Sign(body);
}

SignedCallback SandboxChannel::Sign(const std::string& body) {
  SignedCallback cb;
  cb.body = body;
  cb.timestamp = std::to_string(absl::ToUnixSeconds(clock_.Now()));
  cb.nonce = common::RandomToken(12);
  cb.signature = SignNotification(options_.callback_secret, cb.timestamp, cb.nonce, body);
  return cb;
}

absl::StatusOr<CallbackNotice> SandboxChannel::VerifyCallback(const SignedCallback& cb) {
  int64_t ts = 0;
  if (!absl::SimpleAtoi(cb.timestamp, &ts)) {
    return absl::UnauthenticatedError("callback timestamp is not a number");
  }
  if (absl::AbsDuration(clock_.Now() - absl::FromUnixSeconds(ts)) > kCallbackWindow) {
    return absl::UnauthenticatedError("callback timestamp outside the 5-minute window");
  }
  const std::string expected =
      SignNotification(options_.callback_secret, cb.timestamp, cb.nonce, cb.body);
  if (options_.callback_secret.empty() || !common::ConstantTimeEquals(expected, cb.signature)) {
    return absl::UnauthenticatedError("callback signature does not match");
  }
  aggpay::v1::SandboxNotice n;
  if (!google::protobuf::util::JsonStringToMessage(cb.body, &n).ok()) {
    return absl::InvalidArgumentError("body: not a sandbox notice");
  }
  CallbackNotice out;
  out.payment_id = n.out_trade_no();
  out.channel_txn_id = n.transaction_id();
  out.outcome = n.trade_state() == "SUCCESS" ? ChannelOutcome::kPaid : ChannelOutcome::kFailed;
  out.amount_minor = n.amount_minor();
  out.currency = n.currency();
  std::string err;
  if (!n.success_time().empty() &&
      !absl::ParseTime(absl::RFC3339_full, n.success_time(), &out.paid_at, &err)) {
    return absl::InvalidArgumentError("body.success_time: not RFC 3339");
  }
  return out;
}

RefundAnswer SandboxChannel::Refund(const ChannelRefundRequest& r) {
  MaybeSlow();
  // A refund number seen before answers what happened to it, like a real channel.
  if (RefundAnswer seen = QueryRefund(r.refund_id); seen.outcome != RefundOutcome::kNotFound) {
    return seen;
  }
  if (Roll(options_.chaos.failure_ppm)) {
    metrics_.Increment("sandbox_chaos_total{kind=\"failure\"}");
    return RefundAnswer{RefundOutcome::kFailed, "", "SYSTEMERROR: the sandbox refused the refund"};
  }
  const std::string id = absl::StrCat("sbr", common::RandomToken(12));
  absl::Status s = pool_.Run("sandbox refund", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> find(c.prepareStatement(
        "SELECT channel_txn_id, status FROM sandbox_orders WHERE out_trade_no = ?"));
    find->setString(1, r.payment_id);
    std::unique_ptr<sql::ResultSet> rs(find->executeQuery());
    if (!rs->next()) return absl::NotFoundError("no such order");
    const std::string txn = rs->getString(1);
    if (rs->getString(2) != "SUCCESS" && rs->getString(2) != "REFUND") {
      return absl::FailedPreconditionError("order not paid");
    }
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO sandbox_refunds (channel_refund_id, out_refund_no, channel_txn_id, "
        "amount_minor, status, created_at) VALUES (?, ?, ?, ?, 'SUCCESS', ?)"));
    st->setString(1, id);
    st->setString(2, r.refund_id);
    st->setString(3, txn);
    st->setInt64(4, r.amount.amount_minor());
    st->setString(5, FormatSqlTime(clock_.Now()));
    st->execute();
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(s)) return QueryRefund(r.refund_id);
  if (absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) {
    return RefundAnswer{RefundOutcome::kFailed, "", std::string(s.message())};
  }
  if (!s.ok()) return RefundAnswer{RefundOutcome::kUnknown, "", std::string(s.message())};
  if (Roll(options_.chaos.unknown_ppm)) {
    metrics_.Increment("sandbox_chaos_total{kind=\"unknown\"}");
    return RefundAnswer{RefundOutcome::kUnknown, "", "sandbox: answer lost"};
  }
  return RefundAnswer{RefundOutcome::kSucceeded, id, ""};
}

RefundAnswer SandboxChannel::QueryRefund(const std::string& refund_id) {
  auto a =
      pool_.Run("sandbox query refund", [&](sql::Connection& c) -> absl::StatusOr<RefundAnswer> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT channel_refund_id, status FROM sandbox_refunds WHERE out_refund_no = ?"));
        st->setString(1, refund_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return RefundAnswer{RefundOutcome::kNotFound, "", "REFUNDNOTEXIST"};
        return RefundAnswer{
            rs->getString(2) == "SUCCESS" ? RefundOutcome::kSucceeded : RefundOutcome::kProcessing,
            rs->getString(1), ""};
      });
  if (!a.ok()) return RefundAnswer{RefundOutcome::kUnknown, "", std::string(a.status().message())};
  return *a;
}

absl::StatusOr<std::string> SandboxChannel::Bill(const std::string& date) {
  absl::TimeZone shanghai;
  if (!absl::LoadTimeZone("Asia/Shanghai", &shanghai)) {
    return absl::InternalError("Asia/Shanghai does not load");
  }
  absl::CivilDay day;
  if (!absl::ParseCivilTime(date, &day)) return absl::InvalidArgumentError("date: not YYYY-MM-DD");
  const absl::Time from = absl::FromCivil(day, shanghai);
  const absl::Time to = absl::FromCivil(day + 1, shanghai);
  const auto fee = [&](int64_t amount_minor) {
    return amount_minor * options_.cost_rate_ppm / 1000;
  };
  const std::string rate =
      absl::StrCat(options_.cost_rate_ppm / 10000, ".",
                   absl::StrFormat("%02d", options_.cost_rate_ppm % 10000 / 100), "%");
  auto lines =
      pool_.Run("sandbox bill", [&](sql::Connection& c) -> absl::StatusOr<std::vector<BillLine>> {
        std::vector<BillLine> out;
        // The order's columns, from `first`: channel_txn_id, out_trade_no, sub_mch_id, device,
        // trade_type, amount_minor, currency, description.
        auto order_line = [&](sql::ResultSet& rs, int first, const char* state) {
          BillLine l;
          l.app_id = options_.app_id;
          l.mch_id = options_.mch_id;
          l.channel_txn_id = rs.getString(first);
          l.out_trade_no = rs.getString(first + 1);
          l.sub_mch_id = rs.getString(first + 2);
          l.device = rs.getString(first + 3);
          l.trade_type = rs.getString(first + 4);
          l.amount_minor = rs.getInt64(first + 5);
          l.currency = rs.getString(first + 6);
          l.product = rs.getString(first + 7);
          l.payer = "sandbox-payer";
          l.trade_state = state;
          l.rate = rate;
          return l;
        };
        std::unique_ptr<sql::PreparedStatement> paid(c.prepareStatement(
            "SELECT channel_txn_id, out_trade_no, sub_mch_id, device, trade_type, amount_minor, "
            "currency, description, paid_at FROM sandbox_orders WHERE paid_at >= ? AND paid_at < ? "
            "AND status IN ('SUCCESS', 'REFUND') ORDER BY paid_at, channel_txn_id"));
        paid->setString(1, FormatSqlTime(from));
        paid->setString(2, FormatSqlTime(to));
        std::unique_ptr<sql::ResultSet> rs(paid->executeQuery());
        while (rs->next()) {
          BillLine l = order_line(*rs, 1, "SUCCESS");
          l.at = ParseSqlTime(rs->getString(9));
          l.fee_milli_minor = fee(l.amount_minor);
          out.push_back(std::move(l));
        }
        std::unique_ptr<sql::PreparedStatement> refunds(c.prepareStatement(
            "SELECT r.channel_refund_id, r.out_refund_no, r.amount_minor, r.created_at, "
            "o.channel_txn_id, o.out_trade_no, o.sub_mch_id, o.device, o.trade_type, "
            "o.amount_minor, o.currency, o.description FROM sandbox_refunds r JOIN sandbox_orders "
            "o ON o.channel_txn_id = r.channel_txn_id WHERE r.created_at >= ? AND r.created_at < "
            "? AND r.status = 'SUCCESS' ORDER BY r.created_at, r.channel_refund_id"));
        refunds->setString(1, FormatSqlTime(from));
        refunds->setString(2, FormatSqlTime(to));
        std::unique_ptr<sql::ResultSet> rr(refunds->executeQuery());
        while (rr->next()) {
          BillLine l = order_line(*rr, 5, "REFUND");
          l.at = ParseSqlTime(rr->getString(4));
          l.channel_refund_id = rr->getString(1);
          l.out_refund_no = rr->getString(2);
          l.refund_minor = rr->getInt64(3);
          l.refund_state = "SUCCESS";
          l.fee_milli_minor = -fee(l.refund_minor);
          out.push_back(std::move(l));
        }
        return out;
      });
  if (!lines.ok()) return lines.status();
  return FormatDownloadBill(*lines);
}

}  // namespace aggpay::payment
