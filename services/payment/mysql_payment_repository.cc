#include "services/payment/mysql_payment_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/types/span.h"
#include "services/common/mysql/multi_row_insert.h"
#include "services/common/text/utf8.h"

namespace aggpay::payment {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kPaymentColumns =
    "payment_id, merchant_id, store_id, terminal_sn, code_id, flow, wallet, channel, sub_mch_id, "
    "out_trade_no, client_request_id, description, amount_minor, currency, fee_minor, plan_id, "
    "plan_version, status, channel_txn_id, pay_url, refunded_minor, fee_returned_minor, "
    "refund_count, payer_ip, device_id, merchant_zone, business_date, created_at, updated_at, "
    "paid_at, expires_at, next_query_at, query_attempts, risk_decision, risk_event_id, recorded_at";

constexpr const char* kRefundColumns =
    "refund_id, payment_id, merchant_id, out_refund_no, amount_minor, currency, fee_return_minor, "
    "status, channel_refund_id, reason, created_at, succeeded_at, next_query_at, business_date";

std::string Str(sql::ResultSet& rs, int i) {
  return rs.isNull(i) ? "" : std::string(rs.getString(i));
}

std::optional<absl::Time> OptTime(sql::ResultSet& rs, int i) {
  if (rs.isNull(i)) return std::nullopt;
  return ParseSqlTime(rs.getString(i));
}

void BindNullable(sql::PreparedStatement& st, int i, const std::string& v) {
  if (v.empty()) {
    st.setNull(i, 0);
  } else {
    st.setString(i, v);
  }
}

void BindTime(sql::PreparedStatement& st, int i, const std::optional<absl::Time>& t) {
  if (t) {
    st.setString(i, FormatSqlTime(*t));
  } else {
    st.setNull(i, 0);
  }
}

absl::StatusOr<PaymentRecord> ReadPayment(sql::ResultSet& rs) {
  PaymentRecord p;
  p.payment_id = Str(rs, 1);
  p.merchant_id = Str(rs, 2);
  p.store_id = Str(rs, 3);
  p.terminal_sn = Str(rs, 4);
  p.code_id = Str(rs, 5);
  auto flow = ParseFlow(Str(rs, 6));
  auto wallet = ParseWallet(Str(rs, 7));
  auto status = ParsePaymentStatus(Str(rs, 18));
  if (!flow.ok() || !wallet.ok() || !status.ok()) {
    return absl::InternalError(absl::StrCat("payment ", p.payment_id, " has an unreadable row"));
  }
  p.flow = *flow;
  p.wallet = *wallet;
  p.channel = Str(rs, 8);
  p.sub_mch_id = Str(rs, 9);
  p.out_trade_no = Str(rs, 10);
  p.client_request_id = Str(rs, 11);
  p.description = Str(rs, 12);
  p.amount_minor = rs.getInt64(13);
  p.currency = Str(rs, 14);
  p.fee_minor = rs.getInt64(15);
  p.plan_id = Str(rs, 16);
  p.plan_version = rs.getInt64(17);
  p.status = *status;
  p.channel_txn_id = Str(rs, 19);
  p.pay_url = Str(rs, 20);
  p.refunded_minor = rs.getInt64(21);
  p.fee_returned_minor = rs.getInt64(22);
  p.refund_count = rs.getInt(23);
  p.payer_ip = Str(rs, 24);
  p.device_id = Str(rs, 25);
  p.merchant_zone = Str(rs, 26);
  p.business_date = Str(rs, 27);
  p.created_at = ParseSqlTime(rs.getString(28));
  p.updated_at = ParseSqlTime(rs.getString(29));
  p.paid_at = OptTime(rs, 30);
  p.expires_at = ParseSqlTime(rs.getString(31));
  p.next_query_at = OptTime(rs, 32);
  p.query_attempts = rs.getInt(33);
  p.risk_decision = Str(rs, 34);
  p.risk_event_id = rs.isNull(35) ? 0 : rs.getInt64(35);
  p.recorded_at = OptTime(rs, 36);
  return p;
}

absl::StatusOr<RefundRecord> ReadRefund(sql::ResultSet& rs) {
  RefundRecord r;
  r.refund_id = Str(rs, 1);
  r.payment_id = Str(rs, 2);
  r.merchant_id = Str(rs, 3);
  r.out_refund_no = Str(rs, 4);
  r.amount_minor = rs.getInt64(5);
  r.currency = Str(rs, 6);
  r.fee_return_minor = rs.getInt64(7);
  auto status = ParseRefundStatus(Str(rs, 8));
  if (!status.ok()) return absl::InternalError(absl::StrCat("refund ", r.refund_id, " unreadable"));
  r.status = *status;
  r.channel_refund_id = Str(rs, 9);
  r.reason = Str(rs, 10);
  r.created_at = ParseSqlTime(rs.getString(11));
  r.succeeded_at = OptTime(rs, 12);
  r.next_query_at = OptTime(rs, 13);
  r.business_date = Str(rs, 14);
  return r;
}

absl::StatusOr<std::optional<PaymentRecord>> LoadPayment(sql::Connection& c,
                                                         const std::string& where,
                                                         const std::vector<std::string>& args,
                                                         bool lock) {
  sql::PreparedStatement* st =
      &common::Prepare(c, absl::StrCat("SELECT ", kPaymentColumns, " FROM payments WHERE ", where,
                                       lock ? " FOR UPDATE" : ""));
  for (size_t i = 0; i < args.size(); ++i) st->setString(static_cast<int>(i + 1), args[i]);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::optional<PaymentRecord>();
  auto p = ReadPayment(*rs);
  if (!p.ok()) return p.status();
  return std::optional<PaymentRecord>(*std::move(p));
}

absl::StatusOr<std::vector<RefundRecord>> ReadRefunds(sql::ResultSet& rs) {
  std::vector<RefundRecord> out;
  while (rs.next()) {
    auto r = ReadRefund(rs);
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

absl::StatusOr<std::optional<RefundRecord>> LoadRefund(sql::Connection& c, const std::string& where,
                                                       const std::vector<std::string>& args) {
  std::unique_ptr<sql::PreparedStatement> st(
      c.prepareStatement(absl::StrCat("SELECT ", kRefundColumns, " FROM refunds WHERE ", where)));
  for (size_t i = 0; i < args.size(); ++i) st->setString(static_cast<int>(i + 1), args[i]);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  if (!rs->next()) return std::optional<RefundRecord>();
  auto r = ReadRefund(*rs);
  if (!r.ok()) return r.status();
  return std::optional<RefundRecord>(*std::move(r));
}

void UpdatePayment(sql::Connection& c, const PaymentRecord& p, absl::Time now) {
  sql::PreparedStatement* st = &common::Prepare(
      c,
      "UPDATE payments SET status = ?, channel_txn_id = ?, pay_url = ?, refunded_minor = ?, "
      "fee_returned_minor = ?, refund_count = ?, business_date = ?, paid_at = ?, "
      "next_query_at = ?, query_attempts = ?, updated_at = ?, recorded_at = IF(?, "
      "COALESCE(recorded_at, NOW(6)), NULL) WHERE payment_id = ?");
  st->setString(1, std::string(PaymentStatusName(p.status)));
  BindNullable(*st, 2, p.channel_txn_id);
  st->setString(3, p.pay_url);
  st->setInt64(4, p.refunded_minor);
  st->setInt64(5, p.fee_returned_minor);
  st->setInt(6, p.refund_count);
  BindNullable(*st, 7, p.business_date);
  BindTime(*st, 8, p.paid_at);
  BindTime(*st, 9, p.next_query_at);
  st->setInt(10, p.query_attempts);
  st->setString(11, FormatSqlTime(now));
  // The database's clock, as D0 windows read it (migration 0014).
  st->setBoolean(12, p.recorded_at.has_value());
  st->setString(13, p.payment_id);
  st->execute();
}

// One ledger transaction: its row, then two entries per posting in one statement.
void PostLedger(sql::Connection& c, const std::string& kind, const std::string& ref_id,
                const std::vector<Posting>& postings, absl::Time now) {
  if (postings.empty()) return;
  sql::PreparedStatement* txn = &common::Prepare(
      c, "INSERT INTO ledger_transactions (kind, ref_id, created_at) VALUES (?, ?, ?)");
  txn->setString(1, kind);
  txn->setString(2, ref_id);
  txn->setString(3, FormatSqlTime(now));
  txn->execute();
  std::string sql =
      "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, posting_kind) VALUES ";
  for (size_t i = 0; i < postings.size() * 2; ++i)
    sql += i == 0 ? "(@txn, ?, ?, ?, ?)" : ", (@txn, ?, ?, ?, ?)";
  // The entries' own AUTO_INCREMENT would move LAST_INSERT_ID() after the first row: the
  // transaction id is captured once.
  common::Prepare(c, "SET @txn = LAST_INSERT_ID()").execute();
  // One text per number of postings (a handful): cached like the others.
  sql::PreparedStatement* st = &common::Prepare(c, sql);
  int i = 1;
  for (const Posting& p : postings) {
    st->setString(i++, p.debit_account);
    st->setString(i++, p.currency);
    st->setInt64(i++, p.amount_minor);
    st->setString(i++, p.kind);
    st->setString(i++, p.credit_account);
    st->setString(i++, p.currency);
    st->setInt64(i++, -p.amount_minor);
    st->setString(i++, p.kind);
  }
  st->execute();
}

void InsertNotification(sql::Connection& c, const NotificationDraft& n, absl::Time now) {
  sql::PreparedStatement* st = &common::Prepare(
      c,
      "INSERT IGNORE INTO notifications (merchant_id, event, ref_id, body, status, attempts, "
      "last_http_status, last_error, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'PENDING', "
      "0, 0, '', ?, ?)");
  st->setString(1, n.merchant_id);
  st->setString(2, n.event);
  st->setString(3, n.ref_id);
  st->setString(4, n.body);
  st->setString(5, FormatSqlTime(now));
  st->setString(6, FormatSqlTime(now));
  st->execute();
}

void UpsertRefund(sql::Connection& c, const RefundRecord& r, bool insert, absl::Time now) {
  if (insert) {
    sql::PreparedStatement* st = &common::Prepare(
        c, absl::StrCat("INSERT INTO refunds (", kRefundColumns,
                        ", updated_at, plan_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, (SELECT plan_id FROM payments WHERE payment_id = ?))"));
    st->setString(1, r.refund_id);
    st->setString(2, r.payment_id);
    st->setString(3, r.merchant_id);
    st->setString(4, r.out_refund_no);
    st->setInt64(5, r.amount_minor);
    st->setString(6, r.currency);
    st->setInt64(7, r.fee_return_minor);
    st->setString(8, std::string(RefundStatusName(r.status)));
    BindNullable(*st, 9, r.channel_refund_id);
    st->setString(10, common::TruncateUtf8Chars(r.reason, 800));
    st->setString(11, FormatSqlTime(r.created_at));
    BindTime(*st, 12, r.succeeded_at);
    BindTime(*st, 13, r.next_query_at);
    BindNullable(*st, 14, r.business_date);
    st->setString(15, FormatSqlTime(now));
    st->setString(16, r.payment_id);
    st->execute();
    return;
  }
  sql::PreparedStatement* st = &common::Prepare(
      c,
      "UPDATE refunds SET status = ?, channel_refund_id = ?, fee_return_minor = ?, "
      "succeeded_at = ?, next_query_at = ?, updated_at = ?, business_date = ?, recorded_at = "
      "IF(? IS NULL, NULL, COALESCE(recorded_at, NOW(6))) WHERE refund_id = ?");
  st->setString(1, std::string(RefundStatusName(r.status)));
  BindNullable(*st, 2, r.channel_refund_id);
  st->setInt64(3, r.fee_return_minor);
  BindTime(*st, 4, r.succeeded_at);
  BindTime(*st, 5, r.next_query_at);
  st->setString(6, FormatSqlTime(now));
  BindNullable(*st, 7, r.business_date);
  BindTime(*st, 8, r.succeeded_at);
  st->setString(9, r.refund_id);
  st->execute();
}

NotificationRecord ReadNotification(sql::ResultSet& rs) {
  NotificationRecord n;
  n.notification_id = rs.getInt64(1);
  n.merchant_id = Str(rs, 2);
  n.event = Str(rs, 3);
  n.ref_id = Str(rs, 4);
  n.body = Str(rs, 5);
  n.status = Str(rs, 6);
  n.attempts = rs.getInt(7);
  n.last_http_status = rs.getInt(8);
  n.last_error = Str(rs, 9);
  n.next_attempt_at = OptTime(rs, 10);
  n.delivered_at = OptTime(rs, 11);
  n.created_at = ParseSqlTime(rs.getString(12));
  return n;
}

// The gate over one transaction's connection (READ COMMITTED, as every pool connection).
// INSERT IGNORE makes sure the day's row exists (the closer and migration 0014 create the coming
// days beforehand, so normally it inserts nothing); the locking read then holds the row in share
// mode to the end of the transaction. CloseBusinessDay's exclusive lock waits for every
// transaction holding the day, and a transaction asking after the close commits reads it
// closed and moves on to the next day.
class MysqlBusinessDayGate final : public BusinessDayGate {
 public:
  explicit MysqlBusinessDayGate(sql::Connection& c) : c_(c) {}

  absl::StatusOr<std::string> OpenDayOnOrAfter(const std::string& date) override {
    absl::CivilDay day;
    if (!absl::ParseCivilTime(date, &day)) {
      return absl::InternalError(absl::StrCat("business date \"", date, "\" is not a date"));
    }
    // Days are closed in order by the T+1 batches, a few days behind today at most.
    for (int i = 0; i < 366; ++i, ++day) {
      const std::string d = absl::FormatCivilTime(day);
      sql::PreparedStatement& hold =
          common::Prepare(c_, "INSERT IGNORE INTO payment_business_days (day) VALUES (?)");
      hold.setString(1, d);
      hold.execute();
      sql::PreparedStatement& read = common::Prepare(
          c_,
          "SELECT closed_at IS NULL FROM payment_business_days WHERE day = ? LOCK IN SHARE "
          "MODE");
      read.setString(1, d);
      std::unique_ptr<sql::ResultSet> rs(read.executeQuery());
      if (rs->next() && rs->getBoolean(1)) return d;
    }
    return absl::InternalError(absl::StrCat("no open business day within a year of ", date));
  }

 private:
  sql::Connection& c_;
};

// One payment row's values, from placeholder *i on: kPaymentColumns, then dynamic_code_id.
void BindPaymentRow(sql::PreparedStatement& st, int* i, const PaymentRecord& p) {
  st.setString((*i)++, p.payment_id);
  st.setString((*i)++, p.merchant_id);
  st.setString((*i)++, p.store_id);
  BindNullable(st, (*i)++, p.terminal_sn);
  BindNullable(st, (*i)++, p.code_id);
  st.setString((*i)++, std::string(FlowName(p.flow)));
  st.setString((*i)++, std::string(WalletName(p.wallet)));
  st.setString((*i)++, p.channel);
  st.setString((*i)++, p.sub_mch_id);
  st.setString((*i)++, p.out_trade_no);
  BindNullable(st, (*i)++, p.client_request_id);
  st.setString((*i)++, common::TruncateUtf8Chars(p.description, 128));
  st.setInt64((*i)++, p.amount_minor);
  st.setString((*i)++, p.currency);
  st.setInt64((*i)++, p.fee_minor);
  st.setString((*i)++, p.plan_id);
  st.setInt64((*i)++, p.plan_version);
  st.setString((*i)++, std::string(PaymentStatusName(p.status)));
  BindNullable(st, (*i)++, p.channel_txn_id);
  st.setString((*i)++, p.pay_url);
  st.setInt64((*i)++, p.refunded_minor);
  st.setInt64((*i)++, p.fee_returned_minor);
  st.setInt((*i)++, p.refund_count);
  st.setString((*i)++, common::TruncateUtf8Chars(p.payer_ip, 64));
  st.setString((*i)++, common::TruncateUtf8Chars(p.device_id, 128));
  st.setString((*i)++, p.merchant_zone);
  BindNullable(st, (*i)++, p.business_date);
  st.setString((*i)++, FormatSqlTime(p.created_at));
  st.setString((*i)++, FormatSqlTime(p.updated_at));
  BindTime(st, (*i)++, p.paid_at);
  st.setString((*i)++, FormatSqlTime(p.expires_at));
  BindTime(st, (*i)++, p.next_query_at);
  st.setInt((*i)++, p.query_attempts);
  st.setString((*i)++, p.risk_decision.empty() ? "ALLOW" : p.risk_decision);
  if (p.risk_event_id > 0) {
    st.setInt64((*i)++, p.risk_event_id);
  } else {
    st.setNull((*i)++, 0);
  }
  BindTime(st, (*i)++, p.recorded_at);
  BindNullable(st, (*i)++, p.flow == Flow::kDynamicCode ? p.code_id : std::string());
}

// New payments in as few statements as the batch allows (common::MultiRowInsert).
void InsertPayments(sql::Connection& c, absl::Span<const PaymentRecord* const> batch) {
  static const common::MultiRowInsert insert(
      absl::StrCat("INSERT INTO payments (", kPaymentColumns,
                   ", dynamic_code_id, lease_owner, lease_until) VALUES "),
      // kPaymentColumns and dynamic_code_id.
      absl::StrCat("(", common::Placeholders(37), ", NULL, NULL)"));
  insert.Run(c, batch.size(), [&](sql::PreparedStatement& st, int* i, size_t r) {
    BindPaymentRow(st, i, *batch[r]);
  });
}

constexpr const char* kNotificationColumns =
    "notification_id, merchant_id, event, ref_id, body, status, attempts, last_http_status, "
    "last_error, next_attempt_at, delivered_at, created_at";

}  // namespace

MysqlPaymentRepository::MysqlPaymentRepository(common::MysqlPool& pool)
    : pool_(pool), inserts_(pool, "create payment", InsertPayments) {}

absl::Status MysqlPaymentRepository::Insert(const PaymentRecord& p) { return inserts_.Write(p); }

absl::StatusOr<std::optional<PaymentRecord>> MysqlPaymentRepository::Get(const std::string& id) {
  return pool_.Run("get payment", [&](sql::Connection& c) {
    return LoadPayment(c, "payment_id = ?", {id}, false);
  });
}

absl::StatusOr<std::optional<PaymentRecord>> MysqlPaymentRepository::GetByOutTradeNo(
    const std::string& merchant_id, const std::string& no) {
  return pool_.Run("get payment by out_trade_no", [&](sql::Connection& c) {
    return LoadPayment(c, "merchant_id = ? AND out_trade_no = ?", {merchant_id, no}, false);
  });
}

absl::StatusOr<std::optional<PaymentRecord>> MysqlPaymentRepository::GetByClientRequest(
    const std::string& merchant_id, const std::string& id) {
  return pool_.Run(
      "get payment by client request",
      [&](sql::Connection& c) -> absl::StatusOr<std::optional<PaymentRecord>> {
        // Asked before every new payment that carries a client_request_id, and almost never a
        // retry: the one column of the unique key's own index answers "none" for a fraction of
        // what the whole row costs (the client library allocates and binds every column of a
        // result on every execution, docs/performance.md). A retry reads its row by id.
        static const std::string kSql =
            "SELECT payment_id FROM payments WHERE merchant_id = ? AND client_request_id = ?";
        sql::PreparedStatement* st = &common::Prepare(c, kSql);
        st->setString(1, merchant_id);
        st->setString(2, id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<PaymentRecord>();
        const std::string payment_id = rs->getString(1);
        rs.reset();
        return LoadPayment(c, "payment_id = ?", {payment_id}, false);
      });
}

absl::StatusOr<std::optional<PaymentRecord>> MysqlPaymentRepository::GetByDynamicCode(
    const std::string& code_id) {
  return pool_.Run("get payment by dynamic code", [&](sql::Connection& c) {
    return LoadPayment(c, "dynamic_code_id = ?", {code_id}, false);
  });
}

absl::StatusOr<std::vector<PaymentRecord>> MysqlPaymentRepository::List(const PaymentFilter& f) {
  return pool_.Run(
      "list payments", [&](sql::Connection& c) -> absl::StatusOr<std::vector<PaymentRecord>> {
        std::string sql =
            absl::StrCat("SELECT ", kPaymentColumns, " FROM payments WHERE merchant_id = ?");
        if (!f.business_date.empty()) sql += " AND business_date = ?";
        if (f.status) sql += " AND status = ?";
        if (!f.before_payment_id.empty()) sql += " AND payment_id < ?";
        sql += " ORDER BY payment_id DESC LIMIT ?";
        sql::PreparedStatement* st = &common::Prepare(c, sql);
        int i = 1;
        st->setString(i++, f.merchant_id);
        if (!f.business_date.empty()) st->setString(i++, f.business_date);
        if (f.status) st->setString(i++, std::string(PaymentStatusName(*f.status)));
        if (!f.before_payment_id.empty()) st->setString(i++, f.before_payment_id);
        st->setInt(i, f.limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<PaymentRecord> out;
        while (rs->next()) {
          auto p = ReadPayment(*rs);
          if (!p.ok()) return p.status();
          out.push_back(*std::move(p));
        }
        return out;
      });
}

absl::StatusOr<PaymentChange> MysqlPaymentRepository::Change(const std::string& id,
                                                             const PaymentDecision& decide,
                                                             absl::Time now) {
  return pool_.InTransaction(
      "change payment", [&](sql::Connection& c) -> absl::StatusOr<PaymentChange> {
        auto current = LoadPayment(c, "payment_id = ?", {id}, true);
        if (!current.ok()) return current.status();
        if (!current->has_value()) return absl::NotFoundError("payment not found");
        MysqlBusinessDayGate gate(c);
        auto change = decide(**current, gate);
        if (!change.ok()) return change.status();
        UpdatePayment(c, change->payment, now);
        PostLedger(c, change->ledger_kind, change->payment.payment_id, change->postings, now);
        if (change->notification) InsertNotification(c, *change->notification, now);
        return change;
      });
}

absl::StatusOr<bool> MysqlPaymentRepository::MoveStatus(const std::string& payment_id,
                                                        PaymentStatus from, PaymentStatus to,
                                                        const std::string& channel_txn_id,
                                                        const std::string& pay_url,
                                                        absl::Time now) {
  return pool_.Run("move payment status", [&](sql::Connection& c) -> absl::StatusOr<bool> {
    // Exactly what Change writes for such a decision (UpdatePayment of the row with these three
    // fields changed), and only while the row is `from`: the row lock of the UPDATE orders it
    // against every transactional writer.
    sql::PreparedStatement* st = &common::Prepare(
        c,
        "UPDATE payments SET status = ?, channel_txn_id = IF(? = '', channel_txn_id, ?), "
        "pay_url = IF(? = '', pay_url, ?), updated_at = ? WHERE payment_id = ? AND status = ?");
    st->setString(1, std::string(PaymentStatusName(to)));
    st->setString(2, channel_txn_id);
    st->setString(3, channel_txn_id);
    st->setString(4, pay_url);
    st->setString(5, pay_url);
    st->setString(6, FormatSqlTime(now));
    st->setString(7, payment_id);
    st->setString(8, std::string(PaymentStatusName(from)));
    return st->executeUpdate() == 1;
  });
}

absl::StatusOr<RefundChange> MysqlPaymentRepository::BeginRefund(const std::string& payment_id,
                                                                 const RefundDecision& decide,
                                                                 absl::Time now) {
  auto out =
      pool_.InTransaction("begin refund", [&](sql::Connection& c) -> absl::StatusOr<RefundChange> {
        auto current = LoadPayment(c, "payment_id = ?", {payment_id}, true);
        if (!current.ok()) return current.status();
        if (!current->has_value()) return absl::NotFoundError("payment not found");
        auto change = decide(**current);
        if (!change.ok()) return change.status();
        UpsertRefund(c, change->refund, /*insert=*/true, now);
        UpdatePayment(c, change->payment, now);
        return change;
      });
  return out;
}

absl::StatusOr<RefundChange> MysqlPaymentRepository::FinishRefund(
    const std::string& refund_id, const RefundOutcomeDecision& decide, absl::Time now) {
  return pool_.InTransaction(
      "finish refund", [&](sql::Connection& c) -> absl::StatusOr<RefundChange> {
        std::unique_ptr<sql::PreparedStatement> find(
            c.prepareStatement("SELECT payment_id FROM refunds WHERE refund_id = ?"));
        find->setString(1, refund_id);
        std::unique_ptr<sql::ResultSet> f(find->executeQuery());
        if (!f->next()) return absl::NotFoundError("refund not found");
        const std::string payment_id = f->getString(1);
        // Payment first, then refund: the same lock order as BeginRefund.
        auto payment = LoadPayment(c, "payment_id = ?", {payment_id}, true);
        if (!payment.ok()) return payment.status();
        if (!payment->has_value()) return absl::InternalError("refund without its payment");
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kRefundColumns, " FROM refunds WHERE refund_id = ? FOR UPDATE")));
        st->setString(1, refund_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        rs->next();
        auto refund = ReadRefund(*rs);
        if (!refund.ok()) return refund.status();
        MysqlBusinessDayGate gate(c);
        auto change = decide(**payment, *refund, gate);
        if (!change.ok()) return change.status();
        UpsertRefund(c, change->refund, /*insert=*/false, now);
        UpdatePayment(c, change->payment, now);
        PostLedger(c, "refund", change->refund.refund_id, change->postings, now);
        if (change->notification) InsertNotification(c, *change->notification, now);
        return change;
      });
}

absl::StatusOr<std::optional<RefundRecord>> MysqlPaymentRepository::GetRefund(
    const std::string& refund_id) {
  return pool_.Run("get refund",
                   [&](sql::Connection& c) { return LoadRefund(c, "refund_id = ?", {refund_id}); });
}

absl::StatusOr<std::optional<RefundRecord>> MysqlPaymentRepository::GetRefundByOutRefundNo(
    const std::string& merchant_id, const std::string& no) {
  return pool_.Run("get refund by out_refund_no", [&](sql::Connection& c) {
    return LoadRefund(c, "merchant_id = ? AND out_refund_no = ?", {merchant_id, no});
  });
}

absl::StatusOr<std::vector<PaymentRecord>> MysqlPaymentRepository::ClaimDue(
    const std::string& owner, absl::Duration lease, int limit, absl::Time now) {
  return pool_.Run(
      "claim due payments", [&](sql::Connection& c) -> absl::StatusOr<std::vector<PaymentRecord>> {
        // One statement claims: a row whose lease is held by another instance is not touched.
        std::unique_ptr<sql::PreparedStatement> claim(c.prepareStatement(
            "UPDATE payments SET lease_owner = ?, lease_until = ? WHERE next_query_at <= ? AND "
            "(lease_until IS NULL OR lease_until < ?) ORDER BY next_query_at LIMIT ?"));
        claim->setString(1, owner);
        claim->setString(2, FormatSqlTime(now + lease));
        claim->setString(3, FormatSqlTime(now));
        claim->setString(4, FormatSqlTime(now));
        claim->setInt(5, limit);
        if (claim->executeUpdate() == 0) return std::vector<PaymentRecord>();
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            absl::StrCat("SELECT ", kPaymentColumns,
                         " FROM payments WHERE lease_owner = ? AND lease_until = ?")));
        st->setString(1, owner);
        st->setString(2, FormatSqlTime(now + lease));
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<PaymentRecord> out;
        while (rs->next()) {
          auto p = ReadPayment(*rs);
          if (!p.ok()) return p.status();
          out.push_back(*std::move(p));
        }
        return out;
      });
}

absl::Status MysqlPaymentRepository::Release(const std::string& payment_id,
                                             const std::string& owner,
                                             std::optional<absl::Time> next, int attempts) {
  return pool_.Run("release payment", [&](sql::Connection& c) -> absl::Status {
    // Only a payment still waiting keeps a next query time: a final one may have been settled
    // meanwhile by a callback.
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE payments SET lease_owner = NULL, lease_until = NULL, query_attempts = ?, "
        "next_query_at = IF(status IN ('SUCCESS', 'FAILED', 'CLOSED'), NULL, ?) "
        "WHERE payment_id = ? AND lease_owner = ?"));
    st->setInt(1, attempts);
    BindTime(*st, 2, next);
    st->setString(3, payment_id);
    st->setString(4, owner);
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<RefundRecord>> MysqlPaymentRepository::DueRefunds(int limit,
                                                                             absl::Time now) {
  return pool_.Run(
      "due refunds", [&](sql::Connection& c) -> absl::StatusOr<std::vector<RefundRecord>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            absl::StrCat("SELECT ", kRefundColumns,
                         " FROM refunds WHERE next_query_at <= ? ORDER BY next_query_at "
                         "LIMIT ?")));
        st->setString(1, FormatSqlTime(now));
        st->setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        return ReadRefunds(*rs);
      });
}

absl::Status MysqlPaymentRepository::SetWebhook(const Webhook& w, absl::Time now) {
  return pool_.InTransaction("set webhook", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO merchant_webhooks (merchant_id, notify_url, secret_sealed, updated_at) VALUES "
        "(?, ?, ?, ?) ON DUPLICATE KEY UPDATE notify_url = VALUES(notify_url), secret_sealed = "
        "VALUES(secret_sealed), updated_at = VALUES(updated_at)"));
    st->setString(1, w.merchant_id);
    st->setString(2, w.notify_url);
    st->setString(3, w.secret_sealed);
    st->setString(4, FormatSqlTime(now));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<Webhook>> MysqlPaymentRepository::GetWebhook(
    const std::string& merchant_id) {
  return pool_.Run(
      "get webhook", [&](sql::Connection& c) -> absl::StatusOr<std::optional<Webhook>> {
        sql::PreparedStatement* st = &common::Prepare(
            c, "SELECT notify_url, secret_sealed FROM merchant_webhooks WHERE merchant_id = ?");
        st->setString(1, merchant_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<Webhook>();
        return std::optional<Webhook>(Webhook{merchant_id, rs->getString(1), rs->getString(2)});
      });
}

absl::StatusOr<std::vector<AgedWebhook>> MysqlPaymentRepository::ListAgedWebhooks(
    absl::Time set_before, int limit) {
  return pool_.Run(
      "list aged webhooks", [&](sql::Connection& c) -> absl::StatusOr<std::vector<AgedWebhook>> {
        sql::PreparedStatement* st = &common::Prepare(
            c,
            "SELECT merchant_id, updated_at FROM merchant_webhooks WHERE updated_at < ? ORDER BY "
            "updated_at, merchant_id LIMIT ?");
        st->setString(1, common::FormatSqlTime(set_before));
        st->setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<AgedWebhook> out;
        while (rs->next())
          out.push_back(AgedWebhook{rs->getString(1), ParseSqlTime(rs->getString(2))});
        return out;
      });
}

absl::StatusOr<std::vector<NotificationRecord>> MysqlPaymentRepository::ClaimNotifications(
    int limit, const std::vector<std::string>& busy, absl::Duration lease, absl::Time now) {
  return pool_.InTransaction(
      "claim notifications",
      [&](sql::Connection& c) -> absl::StatusOr<std::vector<NotificationRecord>> {
        std::string sql = absl::StrCat(
            "SELECT ", kNotificationColumns,
            " FROM notifications WHERE next_attempt_at <= ? AND (lease_until IS NULL OR "
            "lease_until < ?)");
        if (!busy.empty()) {
          sql += " AND merchant_id NOT IN (";
          for (size_t i = 0; i < busy.size(); ++i) sql += i == 0 ? "?" : ", ?";
          sql += ")";
        }
        sql += " ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        st->setString(i++, FormatSqlTime(now));
        st->setString(i++, FormatSqlTime(now));
        for (const auto& m : busy) st->setString(i++, m);
        st->setInt(i, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<NotificationRecord> out;
        while (rs->next()) out.push_back(ReadNotification(*rs));
        if (out.empty()) return out;
        std::string up_sql = "UPDATE notifications SET lease_until = ? WHERE notification_id IN (";
        for (size_t k = 0; k < out.size(); ++k) up_sql += k == 0 ? "?" : ", ?";
        up_sql += ")";
        std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(up_sql));
        up->setString(1, FormatSqlTime(now + lease));
        for (size_t k = 0; k < out.size(); ++k) {
          up->setInt64(static_cast<int>(k + 2), out[k].notification_id);
        }
        up->execute();
        return out;
      });
}

absl::Status MysqlPaymentRepository::RecordAttempt(int64_t id, int http_status,
                                                   const std::string& error, bool delivered,
                                                   std::optional<absl::Time> next, absl::Time now) {
  return pool_.Run("record notification attempt", [&](sql::Connection& c) -> absl::Status {
    sql::PreparedStatement* st = &common::Prepare(
        c,
        "UPDATE notifications SET attempts = attempts + 1, last_http_status = ?, last_error = ?, "
        "status = ?, next_attempt_at = ?, delivered_at = ?, lease_until = NULL WHERE "
        "notification_id = ?");
    st->setInt(1, http_status);
    st->setString(2, common::TruncateUtf8(error, 255));
    st->setString(3, delivered ? "DELIVERED" : (next ? "PENDING" : "GAVE_UP"));
    BindTime(*st, 4, delivered ? std::nullopt : next);
    BindTime(*st, 5, delivered ? std::optional<absl::Time>(now) : std::nullopt);
    st->setInt64(6, id);
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<NotificationRecord>> MysqlPaymentRepository::ListNotifications(
    const std::string& merchant_id, const std::string& ref_id, int limit) {
  return pool_.Run("list notifications",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<NotificationRecord>> {
                     std::string sql = absl::StrCat("SELECT ", kNotificationColumns,
                                                    " FROM notifications WHERE merchant_id = ?");
                     if (!ref_id.empty()) sql += " AND ref_id = ?";
                     sql += " ORDER BY notification_id DESC LIMIT ?";
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
                     int i = 1;
                     st->setString(i++, merchant_id);
                     if (!ref_id.empty()) st->setString(i++, ref_id);
                     st->setInt(i, limit);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     std::vector<NotificationRecord> out;
                     while (rs->next()) out.push_back(ReadNotification(*rs));
                     return out;
                   });
}

absl::StatusOr<NotificationRecord> MysqlPaymentRepository::Resend(int64_t id, absl::Time now) {
  return pool_.Run(
      "resend notification", [&](sql::Connection& c) -> absl::StatusOr<NotificationRecord> {
        std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
            "UPDATE notifications SET status = 'PENDING', next_attempt_at = ?, lease_until = NULL "
            "WHERE notification_id = ?"));
        up->setString(1, FormatSqlTime(now));
        up->setInt64(2, id);
        if (up->executeUpdate() == 0) return absl::NotFoundError("notification not found");
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kNotificationColumns, " FROM notifications WHERE notification_id = ?")));
        st->setInt64(1, id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        rs->next();
        return ReadNotification(*rs);
      });
}

absl::StatusOr<NotificationRecord> MysqlPaymentRepository::Enqueue(const NotificationDraft& n,
                                                                   absl::Time now) {
  return pool_.InTransaction(
      "enqueue notification", [&](sql::Connection& c) -> absl::StatusOr<NotificationRecord> {
        InsertNotification(c, n, now);
        std::unique_ptr<sql::PreparedStatement> st(
            c.prepareStatement(absl::StrCat("SELECT ", kNotificationColumns,
                                            " FROM notifications WHERE event = ? AND ref_id = ?")));
        st->setString(1, n.event);
        st->setString(2, n.ref_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return absl::InternalError("notification not stored");
        NotificationRecord stored = ReadNotification(*rs);
        if (stored.merchant_id != n.merchant_id) {
          return absl::AlreadyExistsError("ref_id: taken by another merchant's notification");
        }
        return stored;
      });
}

absl::StatusOr<absl::Time> MysqlPaymentRepository::CloseBusinessDay(const std::string& date,
                                                                    absl::Time now) {
  return pool_.InTransaction(
      "close business day", [&](sql::Connection& c) -> absl::StatusOr<absl::Time> {
        // One statement that takes the row exclusively: it waits for the transactions holding
        // the day in share mode (recording successes on it) and keeps an earlier close's time.
        sql::PreparedStatement& close = common::Prepare(
            c,
            "INSERT INTO payment_business_days (day, closed_at) VALUES (?, ?) ON DUPLICATE KEY "
            "UPDATE closed_at = COALESCE(closed_at, VALUES(closed_at))");
        close.setString(1, date);
        close.setString(2, FormatSqlTime(now));
        close.execute();
        // The next days exist before their first success, so no recording transaction has to
        // create its day's row (two first successes of a day would queue on one insert).
        absl::CivilDay day;
        if (absl::ParseCivilTime(date, &day)) {
          sql::PreparedStatement& ahead =
              common::Prepare(c, "INSERT IGNORE INTO payment_business_days (day) VALUES (?)");
          for (int i = 1; i <= 8; ++i) {
            ahead.setString(1, absl::FormatCivilTime(day + i));
            ahead.execute();
          }
        }
        sql::PreparedStatement& read =
            common::Prepare(c, "SELECT closed_at FROM payment_business_days WHERE day = ?");
        read.setString(1, date);
        std::unique_ptr<sql::ResultSet> rs(read.executeQuery());
        if (!rs->next()) return absl::InternalError("closed business day vanished");
        return ParseSqlTime(rs->getString(1));
      });
}

absl::StatusOr<LedgerReport> MysqlPaymentRepository::CheckLedger() {
  return pool_.Run("check ledger", [&](sql::Connection& c) -> absl::StatusOr<LedgerReport> {
    LedgerReport report;
    std::unique_ptr<sql::Statement> st(c.createStatement());
    {
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT COUNT(*), (SELECT COUNT(DISTINCT account, currency) FROM ledger_entries) FROM "
          "ledger_transactions"));
      rs->next();
      report.transactions = rs->getInt64(1);
      report.accounts = rs->getInt64(2);
    }
    {
      // Every transaction balances, per currency, and has entries.
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT t.txn_id, t.kind, t.ref_id, COALESCE(SUM(e.amount_minor), 0), COUNT(e.entry_id) "
          "FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.txn_id = t.txn_id GROUP BY "
          "t.txn_id, t.kind, t.ref_id, e.currency HAVING SUM(e.amount_minor) <> 0 OR "
          "COUNT(e.entry_id) < 2 LIMIT 100"));
      while (rs->next()) {
        report.problems.push_back(absl::StrCat("transaction ", rs->getInt64(1), " (", Str(*rs, 2),
                                               " ", Str(*rs, 3), ") sums to ", rs->getInt64(4),
                                               " over ", rs->getInt64(5), " entries"));
      }
    }
    {
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT COUNT(*) FROM ledger_entries e LEFT JOIN ledger_transactions t ON t.txn_id = "
          "e.txn_id WHERE t.txn_id IS NULL"));
      rs->next();
      if (rs->getInt64(1) > 0) {
        report.problems.push_back(absl::StrCat(rs->getInt64(1), " entries without a transaction"));
      }
    }
    {
      // Each merchant account's balance equals what its payments and refunds say it should be,
      // less what settlement has taken out of it: captured - fees - refunded + fees returned -
      // each settlement line's day (a liability: credits, so negative).
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT b.merchant_id, b.currency, b.expected - COALESCE(s.settled, 0), "
          "COALESCE(l.balance, 0) FROM ("
          "  SELECT p.merchant_id, p.currency, SUM(p.amount_minor - p.fee_minor) - "
          "    COALESCE(SUM(r.refunded - r.returned), 0) AS expected FROM payments p LEFT JOIN ("
          "      SELECT payment_id, SUM(amount_minor) AS refunded, SUM(fee_return_minor) AS "
          "      returned FROM refunds WHERE status = 'SUCCESS' GROUP BY payment_id) r ON "
          "      r.payment_id = p.payment_id WHERE p.status = 'SUCCESS' GROUP BY p.merchant_id, "
          "      p.currency) b LEFT JOIN ("
          "  SELECT merchant_id, currency, SUM(gross_minor - refunds_minor - fees_minor + "
          "    fee_returns_minor) AS settled FROM settlement_lines GROUP BY merchant_id, currency"
          "  ) s ON s.merchant_id = b.merchant_id AND s.currency = b.currency LEFT JOIN ("
          "  SELECT account, currency, -SUM(amount_minor) AS balance FROM ledger_entries WHERE "
          "  account LIKE 'merchant:%' GROUP BY account, currency) l ON l.account = "
          "  CONCAT('merchant:', b.merchant_id, ':', b.currency) AND l.currency = b.currency "
          "WHERE COALESCE(l.balance, 0) <> b.expected - COALESCE(s.settled, 0) LIMIT 100"));
      while (rs->next()) {
        report.problems.push_back(absl::StrCat("merchant ", Str(*rs, 1), " ", Str(*rs, 2),
                                               ": payments say ", rs->getInt64(3),
                                               ", the ledger says ", rs->getInt64(4)));
      }
    }
    // Every successful payment and refund has its ledger transaction, and no other one does.
    for (const auto& [kind, table, id] :
         {std::tuple{"payment", "payments", "payment_id"}, {"refund", "refunds", "refund_id"}}) {
      std::unique_ptr<sql::ResultSet> rs(
          st->executeQuery(absl::StrCat("SELECT x.", id, ", x.status FROM ", table,
                                        " x LEFT JOIN ledger_transactions t ON "
                                        "t.kind = '",
                                        kind, "' AND t.ref_id = x.", id,
                                        " WHERE (x.status = 'SUCCESS') <> "
                                        "(t.txn_id IS NOT NULL) LIMIT 100")));
      while (rs->next()) {
        report.problems.push_back(absl::StrCat(kind, " ", Str(*rs, 1), " is ", Str(*rs, 2),
                                               " but its ledger transaction ",
                                               Str(*rs, 2) == "SUCCESS" ? "is missing" : "exists"));
      }
    }
    {
      // And from the ledger's side: every transaction records an existing payment, refund or
      // settlement batch.
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT t.txn_id, t.kind, t.ref_id FROM ledger_transactions t LEFT JOIN payments p ON "
          "t.kind = 'payment' AND p.payment_id = t.ref_id LEFT JOIN refunds r ON t.kind = "
          "'refund' AND r.refund_id = t.ref_id LEFT JOIN settlement_batches b ON t.kind = "
          "'settlement' AND b.batch_id = t.ref_id WHERE p.payment_id IS NULL AND "
          "r.refund_id IS NULL AND b.batch_id IS NULL LIMIT 100"));
      while (rs->next()) {
        report.problems.push_back(absl::StrCat("ledger transaction ", rs->getInt64(1), " (",
                                               Str(*rs, 2), " ", Str(*rs, 3),
                                               ") records nothing that exists"));
      }
    }
    {
      // A payment's refunded totals are what its refunds hold (all but the failed ones).
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT p.payment_id, p.refunded_minor, COALESCE(SUM(r.amount_minor), 0), "
          "p.fee_returned_minor, COALESCE(SUM(r.fee_return_minor), 0) FROM payments p LEFT JOIN "
          "refunds r ON r.payment_id = p.payment_id AND r.status <> 'FAILED' GROUP BY "
          "p.payment_id, p.refunded_minor, p.fee_returned_minor HAVING p.refunded_minor <> "
          "COALESCE(SUM(r.amount_minor), 0) OR p.fee_returned_minor <> "
          "COALESCE(SUM(r.fee_return_minor), 0) LIMIT 100"));
      while (rs->next()) {
        report.problems.push_back(absl::StrCat(
            "payment ", Str(*rs, 1), " says refunded ", rs->getInt64(2), " (fee ", rs->getInt64(4),
            "), its refunds hold ", rs->getInt64(3), " (fee ", rs->getInt64(5), ")"));
      }
    }
    return report;
  });
}

absl::StatusOr<std::vector<RefundRecord>> MysqlPaymentRepository::ListRefunds(
    const std::string& payment_id) {
  return pool_.Run(
      "list refunds", [&](sql::Connection& c) -> absl::StatusOr<std::vector<RefundRecord>> {
        sql::PreparedStatement* st = &common::Prepare(
            c, absl::StrCat("SELECT ", kRefundColumns,
                            " FROM refunds WHERE payment_id = ? ORDER BY refund_id LIMIT 100"));
        st->setString(1, payment_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        return ReadRefunds(*rs);
      });
}

absl::StatusOr<std::vector<LedgerTransactionRecord>> MysqlPaymentRepository::LedgerOf(
    const std::string& payment_id, const std::vector<std::string>& refund_ids) {
  return pool_.Run(
      "payment ledger",
      [&](sql::Connection& c) -> absl::StatusOr<std::vector<LedgerTransactionRecord>> {
        // By (kind, ref_id), the transactions' unique key.
        std::string sql =
            "SELECT t.txn_id, t.kind, t.ref_id, t.created_at, e.account, e.currency, "
            "e.amount_minor, e.posting_kind FROM ledger_transactions t JOIN ledger_entries e ON "
            "e.txn_id = t.txn_id WHERE (t.kind = 'payment' AND t.ref_id = ?)";
        if (!refund_ids.empty()) {
          sql += " OR (t.kind = 'refund' AND t.ref_id IN (?";
          for (size_t i = 1; i < refund_ids.size(); ++i) sql += ", ?";
          sql += "))";
        }
        sql += " ORDER BY t.txn_id, e.entry_id";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        st->setString(i++, payment_id);
        for (const std::string& id : refund_ids) st->setString(i++, id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<LedgerTransactionRecord> out;
        while (rs->next()) {
          const int64_t txn = rs->getInt64(1);
          if (out.empty() || out.back().txn_id != txn) {
            out.push_back({txn, Str(*rs, 2), Str(*rs, 3), ParseSqlTime(rs->getString(4)), {}});
          }
          out.back().entries.push_back({Str(*rs, 5), Str(*rs, 6), rs->getInt64(7), Str(*rs, 8)});
        }
        return out;
      });
}

absl::StatusOr<PaymentSummaryRecord> MysqlPaymentRepository::Summarize(const std::string& from_id,
                                                                       const std::string& to_id) {
  return pool_.Run("summarize payments",
                   [&](sql::Connection& c) -> absl::StatusOr<PaymentSummaryRecord> {
                     // A range of the primary key: ids begin with their creation time.
                     sql::PreparedStatement* st = &common::Prepare(
                         c,
                         "SELECT currency, COUNT(*), SUM(status = 'SUCCESS'), "
                         "COALESCE(SUM(IF(status = 'SUCCESS', amount_minor, 0)), 0) FROM payments "
                         "WHERE payment_id >= ? AND payment_id < ? GROUP BY currency ORDER BY "
                         "currency");
                     st->setString(1, from_id);
                     st->setString(2, to_id);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     PaymentSummaryRecord out;
                     while (rs->next()) {
                       out.created += rs->getInt64(2);
                       if (rs->getInt64(3) > 0) {
                         out.succeeded.push_back({Str(*rs, 1), rs->getInt64(3), rs->getInt64(4)});
                       }
                     }
                     return out;
                   });
}

}  // namespace aggpay::payment
