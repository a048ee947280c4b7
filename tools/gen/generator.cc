#include "tools/gen/generator.h"

#include <cppconn/statement.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/money/money.h"
#include "services/fee/domain/fee_calculator.h"
#include "services/fee/domain/refund.h"
#include "services/fee/domain/seed_plans.h"

namespace aggpay::gen {
namespace {

// SplitMix64: a fixed, portable stream per (seed, date, index).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Stream {
 public:
  explicit Stream(uint64_t key) : state_(key) {}
  uint64_t Next() { return state_ = Mix(state_); }
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

constexpr const char* kWallets[] = {"wechat", "alipay", "unionpay"};
constexpr fee::Channel kChannels[] = {fee::Channel::kWechat, fee::Channel::kAlipay,
                                      fee::Channel::kUnionpay};

void Exec(sql::Connection& c, const std::string& statement) {
  std::unique_ptr<sql::Statement> st(c.createStatement());
  st->execute(statement);
}

// Buffers rows of one INSERT and sends them rows_per_insert at a time. Every value is
// generated here (ids, numbers, fixed words): no outside text reaches the SQL.
class Inserter {
 public:
  Inserter(sql::Connection& c, std::string head, int rows)
      : c_(c), head_(std::move(head)), max_(rows) {}
  void Add(const std::string& values) {
    absl::StrAppend(&sql_, n_ == 0 ? head_ : ",", "(", values, ")");
    if (++n_ >= max_) Flush();
  }
  void Flush() {
    if (n_ == 0) return;
    Exec(c_, sql_);
    sql_.clear();
    n_ = 0;
  }

 private:
  sql::Connection& c_;
  std::string head_;
  int max_;
  std::string sql_;
  int n_ = 0;
};

std::string Q(absl::string_view s) { return absl::StrCat("'", s, "'"); }

}  // namespace

absl::StatusOr<GenResult> Generate(common::MysqlPool& pool, const GenOptions& o) {
  if (o.payments < 0) return absl::InvalidArgumentError("--payments: must be >= 0");
  if (o.merchants < 1) return absl::InvalidArgumentError("--merchants: must be >= 1");
  if (o.refund_ppm < 0 || o.refund_ppm > 1000000) {
    return absl::InvalidArgumentError("--refund-ratio: between 0 and 1");
  }
  const fee::FeePlan bank = fee::BankStandardPlan();
  const fee::FeePlan independent = fee::IndependentStandardPlan();
  const common::Currency cny = bank.currency;
  const std::string date =
      absl::StrFormat("%04d-%02d-%02d", o.date.year(), o.date.month(), o.date.day());
  const int64_t yyyymmdd = o.date.year() * 10000 + o.date.month() * 100 + o.date.day();
  // Ids: 26 characters, unique per (seed, date, index); the prefix bounds this run's rows.
  const std::string id_prefix = absl::StrFormat("%04x%08d", o.seed & 0xffff, yyyymmdd);
  const absl::Time day_start = absl::FromCivil(o.date, o.zone);
  const std::string now = common::FormatSqlTime(day_start);
  return pool.Run("generate", [&](sql::Connection& c) -> absl::StatusOr<GenResult> {
    GenResult result;
    Exec(c, "SET SESSION unique_checks = 0");
    {
      Inserter merchants(c,
                         "INSERT IGNORE INTO merchants (merchant_id, display_name, legal_name, "
                         "kind, status, home_currency, time_zone, region, contact_phone, "
                         "agent_id, created_at, updated_at) VALUES ",
                         o.rows_per_insert);
      Inserter plans(c,
                     "INSERT IGNORE INTO merchant_fee_plans (merchant_id, effective_from, "
                     "plan_id, assigned_at) VALUES ",
                     o.rows_per_insert);
      for (int64_t m = 0; m < o.merchants; ++m) {
        const std::string id = absl::StrCat(o.merchant_prefix, m);
        const bool t1 = !o.both_plans || m % 2 == 0;
        merchants.Add(absl::StrCat(
            Q(id), ",", Q(absl::StrCat("Shop ", m)), ",", Q(absl::StrCat("Generated merchant ", m)),
            ",", Q("SMALL_BUSINESS"), ",'ACTIVE','CNY','Asia/Shanghai',", Q("CN-31"), ",",
            Q("13800000000"), ",NULL,", Q("2026-01-01 00:00:00"), ",", Q("2026-01-01 00:00:00")));
        plans.Add(absl::StrCat(Q(id), ",'2026-01-01 00:00:00',", Q(t1 ? bank.id : independent.id),
                               ",'2026-01-01 00:00:00'"));
      }
      merchants.Flush();
      plans.Flush();
      result.merchants = o.merchants;
    }
    Inserter payments(
        c,
        "INSERT INTO payments (payment_id, merchant_id, store_id, flow, wallet, channel, "
        "sub_mch_id, out_trade_no, description, amount_minor, currency, fee_minor, plan_id, "
        "plan_version, status, channel_txn_id, pay_url, refunded_minor, fee_returned_minor, "
        "refund_count, payer_ip, device_id, merchant_zone, business_date, created_at, "
        "updated_at, paid_at, recorded_at, expires_at, query_attempts) VALUES ",
        o.rows_per_insert);
    Inserter refunds(c,
                     "INSERT INTO refunds (refund_id, payment_id, merchant_id, out_refund_no, "
                     "amount_minor, currency, fee_return_minor, status, channel_refund_id, "
                     "reason, created_at, updated_at, succeeded_at, plan_id, business_date) "
                     "VALUES ",
                     o.rows_per_insert);
    for (int64_t k = 0; k < o.payments; ++k) {
      Stream r(Mix(o.seed) ^ Mix(static_cast<uint64_t>(yyyymmdd) << 32 | 0x5e771e) ^
               Mix(static_cast<uint64_t>(k) + 1));
      const int64_t m = r.Below(o.merchants);
      const std::string merchant = absl::StrCat(o.merchant_prefix, m);
      const fee::FeePlan& plan = !o.both_plans || m % 2 == 0 ? bank : independent;
      const int w = static_cast<int>(r.Below(3));
      // Mostly small tickets; 1% large ones that reach the bank plan's cap.
      const int64_t amount = r.Below(100) == 0 ? 100000 + r.Below(2000000) : 1 + r.Below(30000);
      const int64_t fee = fee::FeeMinor(plan, kChannels[w], amount);
      const absl::Time paid = day_start + absl::Microseconds(r.Below(86400LL * 1000000));
      const std::string pid = absl::StrCat("G", id_prefix, absl::StrFormat("%013d", k));
      int64_t refunded = 0;
      int64_t returned = 0;
      int refund_count = 0;
      if (r.Below(1000000) < o.refund_ppm) {
        const int64_t ramount = r.Below(2) == 0 || amount == 1 ? amount : 1 + r.Below(amount - 1);
        auto fr = fee::FeeToReturn({common::Money(amount, cny), common::Money(fee, cny),
                                    common::Money(0, cny), common::Money(0, cny),
                                    common::Money(ramount, cny)});
        if (!fr.ok()) return fr.status();
        refunded = ramount;
        returned = fr->amount_minor();
        refund_count = 1;
        const absl::Time at = paid + absl::Seconds(60 + r.Below(30 * 3600));
        const std::string rid = absl::StrCat("H", id_prefix, absl::StrFormat("%013d", k));
        const std::string t = common::FormatSqlTime(at);
        const absl::CivilDay rday = absl::ToCivilDay(at, o.zone);
        refunds.Add(absl::StrCat(Q(rid), ",", Q(pid), ",", Q(merchant), ",", Q(rid), ",", ramount,
                                 ",'CNY',", returned, ",'SUCCESS',", Q(absl::StrCat("sr", rid)),
                                 ",'generated',", Q(t), ",", Q(t), ",", Q(t), ",", Q(plan.id), ",",
                                 Q(absl::FormatCivilTime(rday))));
        ++result.refunds;
        if (o.keep_rows) {
          result.refund_rows.push_back({rid, pid, merchant, plan.id, "CNY", ramount, returned, at});
        }
      }
      const std::string t = common::FormatSqlTime(paid);
      payments.Add(absl::StrCat(
          Q(pid), ",", Q(merchant), ",", Q(absl::StrCat("s", merchant)), ",'NATIVE',",
          Q(kWallets[w]), ",'sandbox',", Q(absl::StrCat("sub", m)), ",", Q(pid), ",'generated',",
          amount, ",'CNY',", fee, ",", Q(plan.id), ",", plan.version, ",'SUCCESS',",
          Q(absl::StrCat("st", pid)), ",'',", refunded, ",", returned, ",", refund_count,
          ",'127.0.0.1','gen','Asia/Shanghai',", Q(date), ",", Q(t), ",", Q(t), ",", Q(t), ",",
          Q(t), ",", Q(common::FormatSqlTime(paid + absl::Minutes(15))), ",0"));
      ++result.payments;
      if (o.keep_rows) {
        result.payment_rows.push_back({pid, merchant, plan.id, "CNY", amount, fee, paid, date});
      }
    }
    payments.Flush();
    refunds.Flush();
    if (o.progress) o.progress("payments and refunds");
    // The ledger, as the payment service would have posted it (services/payment/domain/ledger.h):
    // capture channel <- merchant, fee merchant <- fee; refund merchant <- channel, fee return
    // fee <- merchant. Set-based over this run's id range.
    const std::string pfrom = Q(absl::StrCat("G", id_prefix));
    const std::string pto = Q(absl::StrCat("G", id_prefix, "z"));
    const std::string rfrom = Q(absl::StrCat("H", id_prefix));
    const std::string rto = Q(absl::StrCat("H", id_prefix, "z"));
    const std::string in_payments =
        absl::StrCat(" AND t.ref_id > ", pfrom, " AND t.ref_id < ", pto);
    const std::string in_refunds = absl::StrCat(" AND t.ref_id > ", rfrom, " AND t.ref_id < ", rto);
    const std::string entries =
        "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, posting_kind) ";
    Exec(c, absl::StrCat("INSERT INTO ledger_transactions (kind, ref_id, created_at) SELECT "
                         "'payment', payment_id, paid_at FROM payments WHERE payment_id > ",
                         pfrom, " AND payment_id < ", pto));
    const std::string from_payments =
        " FROM ledger_transactions t JOIN payments p ON p.payment_id = t.ref_id WHERE t.kind = "
        "'payment'";
    // One statement per entry column: no UNION, so nothing is materialized on the way.
    for (const std::string& select :
         {std::string("SELECT t.txn_id, CONCAT('channel:', p.wallet, ':', p.currency), "
                      "p.currency, p.amount_minor, 'capture'") +
              from_payments,
          std::string("SELECT t.txn_id, CONCAT('merchant:', p.merchant_id, ':', p.currency), "
                      "p.currency, -p.amount_minor, 'capture'") +
              from_payments,
          std::string("SELECT t.txn_id, CONCAT('merchant:', p.merchant_id, ':', p.currency), "
                      "p.currency, p.fee_minor, 'fee'") +
              from_payments + " AND p.fee_minor > 0",
          std::string("SELECT t.txn_id, CONCAT('fee:', p.currency), p.currency, -p.fee_minor, "
                      "'fee'") +
              from_payments + " AND p.fee_minor > 0"}) {
      Exec(c, absl::StrCat(entries, select, in_payments));
    }
    Exec(c, absl::StrCat("INSERT INTO ledger_transactions (kind, ref_id, created_at) SELECT "
                         "'refund', refund_id, succeeded_at FROM refunds WHERE refund_id > ",
                         rfrom, " AND refund_id < ", rto));
    const std::string from_refunds =
        " FROM ledger_transactions t JOIN refunds r ON r.refund_id = t.ref_id JOIN payments p ON "
        "p.payment_id = r.payment_id WHERE t.kind = 'refund'";
    for (const std::string& select :
         {std::string("SELECT t.txn_id, CONCAT('merchant:', r.merchant_id, ':', r.currency), "
                      "r.currency, r.amount_minor, 'refund'") +
              from_refunds,
          std::string("SELECT t.txn_id, CONCAT('channel:', p.wallet, ':', r.currency), "
                      "r.currency, -r.amount_minor, 'refund'") +
              from_refunds,
          std::string("SELECT t.txn_id, CONCAT('fee:', r.currency), r.currency, "
                      "r.fee_return_minor, 'fee_return'") +
              from_refunds + " AND r.fee_return_minor > 0",
          std::string("SELECT t.txn_id, CONCAT('merchant:', r.merchant_id, ':', r.currency), "
                      "r.currency, -r.fee_return_minor, 'fee_return'") +
              from_refunds + " AND r.fee_return_minor > 0"}) {
      Exec(c, absl::StrCat(entries, select, in_refunds));
    }
    if (o.progress) o.progress("ledger postings");
    Exec(c, "SET SESSION unique_checks = 1");
    return result;
  });
}

}  // namespace aggpay::gen
