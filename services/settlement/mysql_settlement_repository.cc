#include "services/settlement/mysql_settlement_repository.h"

#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "services/common/status/field_errors.h"
#include "spdlog/spdlog.h"

namespace aggpay::settlement {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

std::string Str(sql::ResultSet& rs, int i) {
  return rs.isNull(i) ? "" : std::string(rs.getString(i));
}

void Exec(sql::Connection& c, const std::string& statement) {
  std::unique_ptr<sql::Statement> st(c.createStatement());
  st->execute(statement);
}

// Rows of one statement with no parameters.
std::unique_ptr<sql::ResultSet> Query(sql::Connection& c, const std::string& statement) {
  std::unique_ptr<sql::Statement> st(c.createStatement());
  return std::unique_ptr<sql::ResultSet>(st->executeQuery(statement));
}

// The shard filter on a merchant id column: validated integers, never client text.
std::string ShardFilter(const Shard& shard, absl::string_view column) {
  if (shard.count <= 1) return "";
  return absl::StrCat(" AND CRC32(", column, ") % ", shard.count, " = ", shard.index - 1);
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "?" : ", ?");
  return out;
}

constexpr char kLineColumns[] =
    "line_id, batch_id, cycle, business_date, merchant_id, currency, payments, gross_minor, "
    "fees_minor, refund_count, refunds_minor, fee_returns_minor, carried_in_minor, net_minor, "
    "status, payout_date, COALESCE(released_by_batch, 0)";

Line ReadLine(sql::ResultSet& rs) {
  Line l;
  l.line_id = rs.getInt64(1);
  l.batch_id = rs.getInt64(2);
  l.cycle = Str(rs, 3);
  l.business_date = Str(rs, 4);
  l.merchant_id = Str(rs, 5);
  l.currency = Str(rs, 6);
  l.payments = rs.getInt64(7);
  l.amounts.gross = rs.getInt64(8);
  l.amounts.fees = rs.getInt64(9);
  l.refund_count = rs.getInt64(10);
  l.amounts.refunds = rs.getInt64(11);
  l.amounts.fee_returns = rs.getInt64(12);
  l.amounts.carried_in = rs.getInt64(13);
  l.net = rs.getInt64(14);
  l.status = Str(rs, 15);
  l.payout_date = Str(rs, 16);
  l.released_by_batch = rs.getInt64(17);
  return l;
}

constexpr char kBatchColumns[] =
    "batch_id, run_key, cycle, business_date, shard_index, shard_count, status, window_from, "
    "window_to, payout_date, line_count, payout_count, started_at, finished_at, payout_file_at";

Batch ReadBatch(sql::ResultSet& rs) {
  Batch b;
  b.batch_id = rs.getInt64(1);
  b.run_key = Str(rs, 2);
  b.cycle = Str(rs, 3);
  b.business_date = Str(rs, 4);
  b.shard.index = rs.getInt(5);
  b.shard.count = rs.getInt(6);
  b.status = Str(rs, 7);
  if (!rs.isNull(8)) b.window_from = ParseSqlTime(rs.getString(8));
  if (!rs.isNull(9)) b.window_to = ParseSqlTime(rs.getString(9));
  b.payout_date = Str(rs, 10);
  b.line_count = rs.getInt64(11);
  b.payout_count = rs.getInt64(12);
  b.started_at = ParseSqlTime(rs.getString(13));
  b.finished_at = ParseSqlTime(rs.getString(14));
  if (!rs.isNull(15)) b.payout_file_at = ParseSqlTime(rs.getString(15));
  return b;
}

void LoadPayoutTotals(sql::Connection& c, Batch& b) {
  sql::PreparedStatement& st = common::Prepare(
      c,
      "SELECT currency, SUM(amount_minor) FROM payout_instructions WHERE batch_id = ? GROUP BY "
      "currency ORDER BY currency");
  st.setInt64(1, b.batch_id);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  while (rs->next()) b.payout_totals.emplace_back(Str(*rs, 1), rs->getInt64(2));
}

std::optional<Batch> FindBatch(sql::Connection& c, const std::string& run_key) {
  sql::PreparedStatement& st = common::Prepare(
      c, absl::StrCat("SELECT ", kBatchColumns, " FROM settlement_batches WHERE run_key = ?"));
  st.setString(1, run_key);
  std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) return std::nullopt;
  Batch b = ReadBatch(*rs);
  rs.reset();
  LoadPayoutTotals(c, b);
  return b;
}

// Serializes runs of one key: the row lock is held until this transaction ends, and goes with
// the connection if the process dies. The row must exist (EnsureLockRow, committed first:
// two transactions inserting the same new row would deadlock instead of queueing).
void LockKey(sql::Connection& c, const std::string& key) {
  sql::PreparedStatement& lock =
      common::Prepare(c, "SELECT lock_key FROM settlement_locks WHERE lock_key = ? FOR UPDATE");
  lock.setString(1, key);
  std::unique_ptr<sql::ResultSet> rs(lock.executeQuery());
  while (rs->next()) {
  }
}

// The batch row, first with no counts; sets @batch for the statements that follow.
int64_t InsertBatch(sql::Connection& c, const std::string& run_key, const std::string& cycle,
                    const std::string& business_date, const Shard& shard,
                    std::optional<absl::Time> from, std::optional<absl::Time> to,
                    const std::string& payout_date, absl::Time now) {
  sql::PreparedStatement& st = common::Prepare(
      c,
      "INSERT INTO settlement_batches (run_key, cycle, business_date, shard_index, shard_count, "
      "status, window_from, window_to, payout_date, line_count, payout_count, started_at, "
      "finished_at) VALUES (?, ?, ?, ?, ?, 'DONE', ?, ?, ?, 0, 0, ?, ?)");
  st.setString(1, run_key);
  st.setString(2, cycle);
  st.setString(3, business_date);
  st.setInt(4, shard.index);
  st.setInt(5, shard.count);
  if (from) {
    st.setString(6, FormatSqlTime(*from));
  } else {
    st.setNull(6, 0);
  }
  if (to) {
    st.setString(7, FormatSqlTime(*to));
  } else {
    st.setNull(7, 0);
  }
  st.setString(8, payout_date);
  st.setString(9, FormatSqlTime(now));
  st.setString(10, FormatSqlTime(now));
  st.execute();
  common::Prepare(c, "SET @batch = LAST_INSERT_ID()").execute();
  std::unique_ptr<sql::ResultSet> rs(Query(c, "SELECT @batch"));
  rs->next();
  return rs->getInt64(1);
}

// Sets @first_line for the statements that read the batch's own lines back: the id of the first
// line its INSERT ... SELECT made (every line of the batch has an id at least that), or past the
// last line when it made none. They read `line_id >= @first_line AND batch_id = @batch`, a range
// of the primary key that starts at the batch, so settlement_lines needs no index on batch_id.
void SetFirstLine(sql::Connection& c, int64_t line_count) {
  common::Prepare(c, line_count > 0 ? "SET @first_line = LAST_INSERT_ID()"
                                    : "SET @first_line = (SELECT COALESCE(MAX(line_id), 0) + 1 "
                                      "FROM settlement_lines)")
      .execute();
}

// Payouts of the lines @batch pays: its own PAID lines with something to pay, and the HELD
// lines it released. A line_id is unique in payout_instructions: never paid twice.
int64_t InsertPayouts(sql::Connection& c) {
  return common::Prepare(
             c,
             "INSERT INTO payout_instructions (batch_id, line_id, merchant_id, currency, "
             "amount_minor, payout_date) SELECT @batch, line_id, merchant_id, currency, "
             "net_minor, payout_date FROM settlement_lines WHERE released_by_batch = @batch "
             "ORDER BY line_id")
             .executeUpdate() +
         common::Prepare(
             c,
             "INSERT INTO payout_instructions (batch_id, line_id, merchant_id, currency, "
             "amount_minor, payout_date) SELECT @batch, line_id, merchant_id, currency, "
             "net_minor, payout_date FROM settlement_lines WHERE line_id >= @first_line AND "
             "batch_id = @batch AND "
             "status = 'PAID' AND net_minor > 0 ORDER BY line_id")
             .executeUpdate();
}

// The batch's ledger transaction ('settlement', batch id): every line takes out of the
// merchant's payable account what its day added (gross - refunds - fees + fee returns), so
// `ledger check` can prove the payable balance is exactly the unsettled activity:
//   carry_in   debit merchant, credit carry:<m>      what an earlier negative line left owed
//   payout     debit merchant, credit payout:<cur>   a PAID line's net (payout clearing)
//   hold       debit merchant, credit held:<m>       a HELD line's net
//   carry      debit carry:<m>, credit merchant      a CARRIED line's (negative) net
//   release    debit held:<m>, credit payout:<cur>   a HELD line this batch released
// Payout clearing takes one summed credit per currency and posting kind, not one per line: the
// payout instructions say which merchant each part of it goes to, and the batch's entries still
// balance per currency.
void PostLedger(sql::Connection& c, absl::Time now) {
  sql::PreparedStatement& txn = common::Prepare(
      c,
      "INSERT INTO ledger_transactions (kind, ref_id, created_at) VALUES ('settlement', "
      "CAST(@batch AS CHAR), ?)");
  txn.setString(1, FormatSqlTime(now));
  txn.execute();
  common::Prepare(c, "SET @txn = LAST_INSERT_ID()").execute();
  // One pass over the batch's lines, each joined to the entries a line makes on its merchant's
  // own accounts (1-3, 5-8; 4 is the summed clearing credit below), and one over the lines it
  // released.
  const int entries =
      common::Prepare(
          c,
          "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, posting_kind) "
          "SELECT @txn, CASE k.n WHEN 2 THEN CONCAT('carry:', l.merchant_id, ':', l.currency) "
          "WHEN 6 THEN CONCAT('held:', l.merchant_id, ':', l.currency) WHEN 7 THEN "
          "CONCAT('carry:', l.merchant_id, ':', l.currency) ELSE CONCAT('merchant:', "
          "l.merchant_id, ':', l.currency) END, l.currency, CASE k.n WHEN 1 THEN "
          "-l.carried_in_minor WHEN 2 THEN l.carried_in_minor WHEN 6 THEN -l.net_minor WHEN 7 "
          "THEN -l.net_minor ELSE l.net_minor END, CASE WHEN k.n <= 2 THEN 'carry_in' WHEN k.n "
          "= 3 THEN 'payout' WHEN k.n <= 6 THEN 'hold' ELSE 'carry' END FROM settlement_lines l "
          "JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 5 UNION "
          "ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8) k WHERE l.line_id >= @first_line "
          "AND l.batch_id = @batch AND "
          "((k.n <= 2 AND l.carried_in_minor < 0) OR (k.n = 3 AND l.status = 'PAID' AND "
          "l.net_minor > 0) OR (k.n IN (5, 6) AND l.status = 'HELD') OR (k.n >= 7 AND l.status "
          "= 'CARRIED')) ORDER BY l.line_id, k.n")
          .executeUpdate() +
      common::Prepare(c,
                      "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, "
                      "posting_kind) SELECT @txn, CONCAT('held:', merchant_id, ':', currency), "
                      "currency, net_minor, 'release' FROM settlement_lines WHERE "
                      "released_by_batch = @batch ORDER BY line_id")
          .executeUpdate() +
      common::Prepare(c,
                      "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, "
                      "posting_kind) SELECT @txn, CONCAT('payout:', currency), currency, "
                      "-SUM(net_minor), 'payout' FROM settlement_lines WHERE line_id >= "
                      "@first_line AND batch_id = @batch "
                      "AND status = 'PAID' AND net_minor > 0 GROUP BY currency ORDER BY currency")
          .executeUpdate() +
      common::Prepare(c,
                      "INSERT INTO ledger_entries (txn_id, account, currency, amount_minor, "
                      "posting_kind) SELECT @txn, CONCAT('payout:', currency), currency, "
                      "-SUM(net_minor), 'release' FROM settlement_lines WHERE released_by_batch = "
                      "@batch GROUP BY currency ORDER BY currency")
          .executeUpdate();
  // A transaction needs entries (`ledger check`): a batch that moved nothing has none. Still
  // uncommitted, so this is not an update of the append-only ledger.
  if (entries == 0)
    common::Prepare(c, "DELETE FROM ledger_transactions WHERE txn_id = @txn").execute();
}

// The counts are the run's own inserts (its lines; its payouts, released lines' included).
void FinishBatch(sql::Connection& c, int64_t line_count, int64_t payout_count, absl::Time now) {
  sql::PreparedStatement& st = common::Prepare(
      c,
      "UPDATE settlement_batches SET line_count = ?, payout_count = ?, finished_at = ? WHERE "
      "batch_id = @batch");
  st.setInt64(1, line_count);
  st.setInt64(2, payout_count);
  st.setString(3, FormatSqlTime(now));
  st.execute();
}

void LoadFrozen(sql::Connection& c, const std::set<std::string>& frozen) {
  Exec(c,
       "CREATE TEMPORARY TABLE IF NOT EXISTS settle_frozen (merchant_id VARCHAR(64) NOT NULL "
       "PRIMARY KEY) ENGINE=MEMORY DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
  Exec(c, "DELETE FROM settle_frozen");
  std::vector<std::string> ids(frozen.begin(), frozen.end());
  for (size_t start = 0; start < ids.size(); start += 500) {
    const size_t n = std::min<size_t>(500, ids.size() - start);
    std::string sql = "INSERT INTO settle_frozen (merchant_id) VALUES ";
    for (size_t i = 0; i < n; ++i) absl::StrAppend(&sql, i == 0 ? "(?)" : ", (?)");
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
    for (size_t i = 0; i < n; ++i) st->setString(static_cast<int>(i + 1), ids[start + i]);
    st->execute();
  }
}

}  // namespace

absl::Status MysqlSettlementRepository::EnsureLockRow(const std::string& key) {
  return pool_.Run("settlement lock row", [&](sql::Connection& c) -> absl::Status {
    sql::PreparedStatement& ins =
        common::Prepare(c, "INSERT IGNORE INTO settlement_locks (lock_key) VALUES (?)");
    ins.setString(1, key);
    ins.execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<BusinessCalendar> MysqlSettlementRepository::LoadCalendar(const std::string& name) {
  return pool_.Run("load calendar", [&](sql::Connection& c) -> absl::StatusOr<BusinessCalendar> {
    std::vector<CalendarDay> days;
    std::set<int> years;
    {
      sql::PreparedStatement& st = common::Prepare(
          c, "SELECT day, kind, name FROM business_calendar_days WHERE calendar = ?");
      st.setString(1, name);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) {
        absl::CivilDay day;
        if (!absl::ParseCivilTime(Str(*rs, 1), &day)) continue;
        days.push_back(
            {day, Str(*rs, 2) == "WORKDAY" ? DayKind::kWorkday : DayKind::kHoliday, Str(*rs, 3)});
      }
    }
    sql::PreparedStatement& st =
        common::Prepare(c, "SELECT year FROM business_calendar_years WHERE calendar = ?");
    st.setString(1, name);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) years.insert(rs->getInt(1));
    return BusinessCalendar(name, days, std::move(years));
  });
}

absl::StatusOr<std::set<int>> MysqlSettlementRepository::ImportCalendar(
    const std::string& name, const std::vector<CalendarDay>& days, absl::Time now) {
  std::set<int> years;
  for (const CalendarDay& d : days) years.insert(static_cast<int>(d.day.year()));
  return pool_.InTransaction(
      "import calendar", [&](sql::Connection& c) -> absl::StatusOr<std::set<int>> {
        for (int year : years) {
          sql::PreparedStatement& del = common::Prepare(
              c, "DELETE FROM business_calendar_days WHERE calendar = ? AND day >= ? AND day < ?");
          del.setString(1, name);
          del.setString(2, absl::StrCat(year, "-01-01"));
          del.setString(3, absl::StrCat(year + 1, "-01-01"));
          del.execute();
          sql::PreparedStatement& y =
              common::Prepare(c,
                              "INSERT INTO business_calendar_years (calendar, year, imported_at) "
                              "VALUES (?, ?, ?) ON "
                              "DUPLICATE KEY UPDATE imported_at = VALUES(imported_at)");
          y.setString(1, name);
          y.setInt(2, year);
          y.setString(3, FormatSqlTime(now));
          y.execute();
        }
        sql::PreparedStatement& ins =
            common::Prepare(c,
                            "INSERT INTO business_calendar_days (calendar, day, kind, name, "
                            "imported_at) VALUES (?, "
                            "?, ?, ?, ?)");
        for (const CalendarDay& d : days) {
          ins.setString(1, name);
          ins.setString(2, FormatDate(d.day));
          ins.setString(3, std::string(DayKindName(d.kind)));
          ins.setString(4, d.name);
          ins.setString(5, FormatSqlTime(now));
          ins.execute();
        }
        return years;
      });
}

absl::StatusOr<RunOutcome> MysqlSettlementRepository::Run(const RunSpec& spec) {
  if (absl::Status s = EnsureLockRow(spec.cycle == "D0" ? "D0" : spec.run_key); !s.ok()) return s;
  auto result = RunInTransaction(spec);
  if (spec.cycle == "D0" && absl::IsNotFound(result.status())) {
    RunOutcome none;
    none.already_done = true;
    none.batch.cycle = "D0";
    return none;
  }
  return result;
}

absl::StatusOr<RunOutcome> MysqlSettlementRepository::RunInTransaction(const RunSpec& spec) {
  return pool_.InTransaction(
      "settlement run", [&](sql::Connection& c) -> absl::StatusOr<RunOutcome> {
        // The run's MEMORY tables (frozen merchants, the day's sums) take their cap from the
        // session when the connection first creates them: 4 GB, about 10 million rows of sums;
        // the memory used is what the rows take. The implicit temporary tables of other
        // queries stay bounded by tmp_table_size.
        Exec(c, "SET SESSION max_heap_table_size = 4294967296");
        // Read committed (every pooled session is, MysqlPool::Connect; a SET TRANSACTION here
        // would fail, the transaction being open): the run reads what committed before it took
        // its lock, and the grouping read of the day's payments takes no row locks (payments
        // keep flowing).
        RunOutcome out;
        RunSpec run = spec;
        if (run.cycle == "D0") {
          // One D0 run at a time; its window starts where the last committed one ended.
          LockKey(c, "D0");
          std::unique_ptr<sql::ResultSet> rs(
              Query(c, "SELECT MAX(window_to) FROM settlement_batches WHERE cycle = 'D0'"));
          if (rs->next() && !rs->isNull(1)) run.window_from = ParseSqlTime(rs->getString(1));
          {
            // Successes are stamped with the database's clock: the window ends d0_lag before
            // the database's now too, whatever this host's clock says.
            sql::PreparedStatement& st =
                common::Prepare(c, "SELECT NOW(6) - INTERVAL ? MICROSECOND");
            st.setInt64(1, absl::ToInt64Microseconds(run.d0_lag));
            std::unique_ptr<sql::ResultSet> now(st.executeQuery());
            if (now->next())
              run.window_to = std::min(run.window_to, ParseSqlTime(now->getString(1)));
          }
          if (run.window_from >= run.window_to) {
            out.already_done = true;
            out.batch.cycle = "D0";
            out.batch.window_from = run.window_from;
            out.batch.window_to = run.window_from;
            return out;
          }
          run.run_key = absl::StrCat("D0:", FormatSqlTime(run.window_to));
          run.period = run.run_key;
        } else {
          LockKey(c, run.run_key);
        }
        if (auto done = FindBatch(c, run.run_key)) {
          out.already_done = true;
          out.batch = *std::move(done);
          return out;
        }
        if (run.cycle == "T1") {
          sql::PreparedStatement& st = common::Prepare(
              c,
              "SELECT shard_count FROM settlement_batches WHERE cycle = 'T1' AND business_date = ? "
              "AND shard_count <> ? LIMIT 1");
          st.setString(1, run.business_date);
          st.setInt(2, run.shard.count);
          std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
          if (rs->next()) {
            return common::FailedPreconditionField(
                "--shard", absl::StrCat(run.business_date, " is being settled in ", rs->getInt(1),
                                        " shards: run the missing ones with n = ", rs->getInt(1)));
          }
        }
        const bool windowed = !run.by_business_date;
        // Where the run's time goes, in the log: one line per run.
        std::string phases;
        absl::Time mark = absl::Now();
        const auto phase = [&](absl::string_view name) {
          const absl::Time t = absl::Now();
          absl::StrAppend(&phases, phases.empty() ? "" : ", ", name, " ",
                          absl::FormatDuration(absl::Trunc(t - mark, absl::Milliseconds(1))));
          mark = t;
        };
        InsertBatch(c, run.run_key, run.cycle, run.business_date, run.shard,
                    windowed ? std::optional(run.window_from) : std::nullopt,
                    windowed ? std::optional(run.window_to) : std::nullopt, run.payout_date,
                    run.now);
        LoadFrozen(c, run.frozen);
        phase("lock and batch");
        int64_t released = 0;
        {
          // Holds of this cycle's merchants (in this shard) whose freeze is lifted are paid now.
          std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
              "UPDATE settlement_lines SET status = 'PAID', released_by_batch = @batch, "
              "payout_date "
              "= ? WHERE status = 'HELD' AND cycle = ? AND merchant_id NOT IN (SELECT merchant_id "
              "FROM settle_frozen)",
              ShardFilter(run.shard, "merchant_id"))));
          st->setString(1, run.payout_date);
          st->setString(2, run.cycle);
          released = st->executeUpdate();
        }
        phase("releases");
        {
          // The carried balances this run nets are locked first: a run of another date over the
          // same merchants (a catch-up after an outage) waits, then reads what this one left,
          // so no balance is netted twice. (The INSERT ... SELECT below reads without locks.)
          std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
              absl::StrCat("SELECT COUNT(*) FROM settlement_carry WHERE cycle = ?",
                           ShardFilter(run.shard, "merchant_id"), " FOR UPDATE")));
          st->setString(1, run.cycle);
          std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        }
        int64_t line_count = 0;
        if (!run.plan_ids.empty()) {
          // The day's sums per merchant and currency go into one keyed temporary table: the
          // payments' grouping streams from its covering index straight into it, in key order,
          // and the refunds' grouping is added to the same rows. The lines are then inserted
          // from it in key order. (One INSERT ... SELECT over the UNION of both groupings
          // materialized the union and grouped it again through a second temporary table.)
          // In memory: the refunds' additions to it cost a third of what they did in an InnoDB
          // temporary table (no undo). Its cap is the session's, set above.
          Exec(c,
               "CREATE TEMPORARY TABLE IF NOT EXISTS settle_sums (merchant_id VARCHAR(64) NOT "
               "NULL, currency CHAR(3) NOT NULL, n BIGINT NOT NULL, gross BIGINT NOT NULL, fees "
               "BIGINT NOT NULL, rn BIGINT NOT NULL, refunds BIGINT NOT NULL, fee_returns BIGINT "
               "NOT NULL, PRIMARY KEY USING BTREE (merchant_id, currency)) ENGINE=MEMORY DEFAULT "
               "CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
          Exec(c, "DELETE FROM settle_sums");
          const std::string plans = Placeholders(run.plan_ids.size());
          // Which rows of payments or refunds belong to this run: the business date, or the
          // D0 window by the time each was recorded; successful, of this cycle's plans, and of
          // this shard's merchants.
          const auto rows_of = [&](absl::string_view table, absl::string_view prefix) {
            return absl::StrCat(
                " FROM ", table, " FORCE INDEX (idx_", prefix,
                run.by_business_date ? "_settle) WHERE business_date = ?"
                                     : "_recorded) WHERE recorded_at >= ? AND recorded_at < ?",
                " AND status = 'SUCCESS' AND plan_id IN (", plans, ")",
                ShardFilter(run.shard, "merchant_id"), " GROUP BY merchant_id, currency");
          };
          const auto bind_rows = [&](sql::PreparedStatement& st) {
            int i = 1;
            if (run.by_business_date) {
              st.setString(i++, run.business_date);
            } else {
              st.setString(i++, FormatSqlTime(run.window_from));
              st.setString(i++, FormatSqlTime(run.window_to));
            }
            for (const std::string& p : run.plan_ids) st.setString(i++, p);
          };
          {
            std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
                "INSERT INTO settle_sums (merchant_id, currency, n, gross, fees, rn, refunds, "
                "fee_returns) SELECT merchant_id, currency, COUNT(*), SUM(amount_minor), "
                "SUM(fee_minor), 0, 0, 0",
                rows_of("payments", "payments"))));
            bind_rows(*st);
            st->execute();
          }
          {
            // Refunds carry their payment's plan and their business date: one covering index,
            // no read of their payments.
            std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
                "INSERT INTO settle_sums (merchant_id, currency, n, gross, fees, rn, refunds, "
                "fee_returns) SELECT merchant_id, currency, 0, 0, 0, COUNT(*), SUM(amount_minor), "
                "SUM(fee_return_minor)",
                rows_of("refunds", "refunds"),
                " ON DUPLICATE KEY UPDATE rn = VALUES(rn), refunds = VALUES(refunds), "
                "fee_returns = VALUES(fee_returns)")));
            bind_rows(*st);
            st->execute();
          }
          const std::string net =
              "(s.gross - s.refunds - s.fees + s.fee_returns + COALESCE(c.balance_minor, 0))";
          std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
              "INSERT INTO settlement_lines (batch_id, cycle, period, business_date, merchant_id, "
              "currency, payments, gross_minor, fees_minor, refund_count, refunds_minor, "
              "fee_returns_minor, carried_in_minor, net_minor, status, payout_date) SELECT @batch, "
              "?, ?, ?, s.merchant_id, s.currency, s.n, s.gross, s.fees, s.rn, s.refunds, "
              "s.fee_returns, COALESCE(c.balance_minor, 0), ",
              net, ", CASE WHEN ", net, " < 0 THEN 'CARRIED' WHEN f.merchant_id IS NOT NULL AND ",
              net,
              " > 0 THEN 'HELD' ELSE 'PAID' END, ? FROM settle_sums s LEFT JOIN settlement_carry "
              "c ON c.cycle = ? AND c.merchant_id = s.merchant_id AND c.currency = s.currency "
              "LEFT JOIN settle_frozen f ON f.merchant_id = s.merchant_id ORDER BY s.merchant_id, "
              "s.currency")));
          st->setString(1, run.cycle);
          st->setString(2, run.period);
          st->setString(3, run.business_date);
          st->setString(4, run.payout_date);
          st->setString(5, run.cycle);
          line_count = st->executeUpdate();
        }
        SetFirstLine(c, line_count);
        // Nothing in a D0 window: roll back, so no empty batch is kept and the next run looks at
        // the same interval again (and at anything committed late into it).
        if (run.cycle == "D0" && line_count + released == 0)
          return absl::NotFoundError("D0 window is empty");
        phase("lines");
        const int64_t payout_count = InsertPayouts(c);
        phase("payouts");
        common::Prepare(c,
                        "DELETE c FROM settlement_carry c JOIN settlement_lines l ON l.line_id >= "
                        "@first_line AND l.batch_id = @batch AND c.cycle = l.cycle AND "
                        "c.merchant_id = l.merchant_id AND "
                        "c.currency = l.currency")
            .execute();
        common::Prepare(
            c,
            "INSERT INTO settlement_carry (cycle, merchant_id, currency, balance_minor, "
            "batch_id) SELECT cycle, merchant_id, currency, net_minor, batch_id FROM "
            "settlement_lines WHERE line_id >= @first_line AND batch_id = @batch AND status = "
            "'CARRIED'")
            .execute();
        phase("carry");
        PostLedger(c, run.now);
        phase("ledger");
        FinishBatch(c, line_count, payout_count, run.now);
        phase("finish");
        spdlog::info("settlement run {}: {}", run.run_key, phases);
        auto batch = FindBatch(c, run.run_key);
        if (!batch) return absl::InternalError("settlement batch vanished");
        out.batch = *std::move(batch);
        return out;
      });
}

absl::StatusOr<std::optional<absl::Time>> MysqlSettlementRepository::LastD0WindowEnd() {
  return pool_.Run(
      "last D0 window", [&](sql::Connection& c) -> absl::StatusOr<std::optional<absl::Time>> {
        std::unique_ptr<sql::ResultSet> rs(
            Query(c, "SELECT MAX(window_to) FROM settlement_batches WHERE cycle = 'D0'"));
        if (!rs->next() || rs->isNull(1)) return std::optional<absl::Time>();
        return std::optional(ParseSqlTime(rs->getString(1)));
      });
}

absl::StatusOr<RunOutcome> MysqlSettlementRepository::ReleaseHeld(const std::string& merchant_id,
                                                                  const std::string& business_date,
                                                                  const std::string& payout_date,
                                                                  absl::Time now) {
  if (absl::Status s = EnsureLockRow(absl::StrCat("release:", merchant_id)); !s.ok()) return s;
  return pool_.InTransaction("release held", [&](sql::Connection& c) -> absl::StatusOr<RunOutcome> {
    // Read committed, as every pooled session is (MysqlPool::Connect).
    LockKey(c, absl::StrCat("release:", merchant_id));
    RunOutcome out;
    {
      sql::PreparedStatement& st = common::Prepare(
          c, "SELECT COUNT(*) FROM settlement_lines WHERE status = 'HELD' AND merchant_id = ?");
      st.setString(1, merchant_id);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      rs->next();
      if (rs->getInt64(1) == 0) {
        out.already_done = true;
        return out;
      }
    }
    const std::string key = absl::StrCat("RELEASE:", merchant_id, ":", FormatSqlTime(now));
    InsertBatch(c, key, "RELEASE", business_date, Shard{}, std::nullopt, std::nullopt, payout_date,
                now);
    sql::PreparedStatement& st = common::Prepare(
        c,
        "UPDATE settlement_lines SET status = 'PAID', released_by_batch = @batch, payout_date = "
        "? WHERE status = 'HELD' AND merchant_id = ?");
    st.setString(1, payout_date);
    st.setString(2, merchant_id);
    st.execute();
    SetFirstLine(c, 0);
    const int64_t payout_count = InsertPayouts(c);
    PostLedger(c, now);
    FinishBatch(c, 0, payout_count, now);
    auto batch = FindBatch(c, key);
    if (!batch) return absl::InternalError("release batch vanished");
    out.batch = *std::move(batch);
    return out;
  });
}

absl::StatusOr<std::vector<Batch>> MysqlSettlementRepository::ListBatches(const std::string& date,
                                                                          int limit) {
  return pool_.Run("list batches", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Batch>> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT ", kBatchColumns, " FROM settlement_batches",
        date.empty() ? "" : " WHERE business_date = ?", " ORDER BY batch_id DESC LIMIT ?")));
    int i = 1;
    if (!date.empty()) st->setString(i++, date);
    st->setInt(i, limit);
    std::vector<Batch> out;
    {
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      while (rs->next()) out.push_back(ReadBatch(*rs));
    }
    for (Batch& b : out) LoadPayoutTotals(c, b);
    return out;
  });
}

absl::StatusOr<std::vector<Line>> MysqlSettlementRepository::ListLines(
    const std::string& date, const std::string& merchant_id, const std::string& status,
    int64_t after_line_id, int limit) {
  return pool_.Run("list lines", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Line>> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        absl::StrCat("SELECT ", kLineColumns, " FROM settlement_lines WHERE line_id > ?",
                     date.empty() ? "" : " AND business_date = ?",
                     merchant_id.empty() ? "" : " AND merchant_id = ?",
                     status.empty() ? "" : " AND status = ?", " ORDER BY line_id LIMIT ?")));
    int i = 1;
    st->setInt64(i++, after_line_id);
    if (!date.empty()) st->setString(i++, date);
    if (!merchant_id.empty()) st->setString(i++, merchant_id);
    if (!status.empty()) st->setString(i++, status);
    st->setInt(i, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<Line> out;
    while (rs->next()) out.push_back(ReadLine(*rs));
    return out;
  });
}

absl::StatusOr<std::vector<Line>> MysqlSettlementRepository::ReleasedLines(int64_t batch_id) {
  return pool_.Run("released lines", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Line>> {
    sql::PreparedStatement& st = common::Prepare(
        c, absl::StrCat("SELECT ", kLineColumns,
                        " FROM settlement_lines WHERE released_by_batch = ? ORDER BY line_id"));
    st.setInt64(1, batch_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    std::vector<Line> out;
    while (rs->next()) out.push_back(ReadLine(*rs));
    return out;
  });
}

absl::StatusOr<std::vector<Payout>> MysqlSettlementRepository::Payouts(int64_t batch_id) {
  return pool_.Run("payouts", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Payout>> {
    sql::PreparedStatement& st = common::Prepare(
        c,
        "SELECT payout_id, line_id, merchant_id, currency, amount_minor, payout_date FROM "
        "payout_instructions WHERE batch_id = ? ORDER BY payout_id");
    st.setInt64(1, batch_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    std::vector<Payout> out;
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt64(2), Str(*rs, 3), Str(*rs, 4), rs->getInt64(5),
                     Str(*rs, 6)});
    }
    return out;
  });
}

absl::StatusOr<std::vector<Batch>> MysqlSettlementRepository::BatchesWithoutPayoutFile(int limit) {
  return pool_.Run(
      "batches without file", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Batch>> {
        sql::PreparedStatement& st = common::Prepare(
            c, absl::StrCat(
                   "SELECT ", kBatchColumns,
                   " FROM settlement_batches WHERE payout_file_at IS NULL AND payout_count > 0 "
                   "ORDER BY batch_id LIMIT ?"));
        st.setInt(1, limit);
        std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
        std::vector<Batch> out;
        while (rs->next()) out.push_back(ReadBatch(*rs));
        return out;
      });
}

absl::Status MysqlSettlementRepository::MarkPayoutFileWritten(int64_t batch_id, absl::Time at) {
  return pool_.Run("payout file written", [&](sql::Connection& c) -> absl::Status {
    sql::PreparedStatement& st =
        common::Prepare(c,
                        "UPDATE settlement_batches SET payout_file_at = ? WHERE batch_id = ? AND "
                        "payout_file_at IS NULL");
    st.setString(1, FormatSqlTime(at));
    st.setInt64(2, batch_id);
    st.execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<StatementData> MysqlSettlementRepository::Statement(const std::string& merchant_id,
                                                                   const std::string& date) {
  return pool_.Run("statement", [&](sql::Connection& c) -> absl::StatusOr<StatementData> {
    StatementData out;
    {
      sql::PreparedStatement& st = common::Prepare(
          c, absl::StrCat("SELECT ", kLineColumns,
                          " FROM settlement_lines WHERE merchant_id = ? AND business_date = ? "
                          "ORDER BY line_id"));
      st.setString(1, merchant_id);
      st.setString(2, date);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) out.lines.push_back(ReadLine(*rs));
    }
    {
      sql::PreparedStatement& st = common::Prepare(
          c,
          "SELECT payment_id, out_trade_no, paid_at, currency, amount_minor, fee_minor FROM "
          "payments WHERE merchant_id = ? AND business_date = ? AND status = 'SUCCESS' ORDER BY "
          "paid_at, payment_id");
      st.setString(1, merchant_id);
      st.setString(2, date);
      std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) {
        out.rows.push_back({false, Str(*rs, 1), Str(*rs, 1), Str(*rs, 2),
                            ParseSqlTime(rs->getString(3)), Str(*rs, 4), rs->getInt64(5),
                            rs->getInt64(6)});
      }
    }
    sql::PreparedStatement& st = common::Prepare(
        c,
        "SELECT refund_id, payment_id, out_refund_no, succeeded_at, currency, amount_minor, "
        "fee_return_minor FROM refunds WHERE business_date = ? AND status = 'SUCCESS' AND "
        "merchant_id = ? ORDER BY succeeded_at, refund_id");
    st.setString(1, date);
    st.setString(2, merchant_id);
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      out.rows.push_back({true, Str(*rs, 1), Str(*rs, 2), Str(*rs, 3),
                          ParseSqlTime(rs->getString(4)), Str(*rs, 5), rs->getInt64(6),
                          rs->getInt64(7)});
    }
    return out;
  });
}

absl::StatusOr<std::vector<OurRecord>> MysqlSettlementRepository::OurRecords(
    const std::string& channel, absl::Time from, absl::Time to,
    const std::vector<std::pair<bool, std::string>>& bill_ids) {
  return pool_.Run(
      "reconcile records", [&](sql::Connection& c) -> absl::StatusOr<std::vector<OurRecord>> {
        std::vector<OurRecord> out;
        std::set<std::pair<bool, std::string>> have;
        {
          sql::PreparedStatement& st = common::Prepare(
              c,
              "SELECT payment_id, status, amount_minor, currency FROM payments WHERE paid_at >= ? "
              "AND paid_at < ? AND status = 'SUCCESS' AND channel = ?");
          st.setString(1, FormatSqlTime(from));
          st.setString(2, FormatSqlTime(to));
          st.setString(3, channel);
          std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
          while (rs->next()) {
            out.push_back({false, Str(*rs, 1), Str(*rs, 2), rs->getInt64(3), Str(*rs, 4), true});
            have.insert({false, out.back().id});
          }
        }
        {
          sql::PreparedStatement& st =
              common::Prepare(c,
                              "SELECT r.refund_id, r.status, r.amount_minor, r.currency FROM "
                              "refunds r JOIN payments "
                              "p ON p.payment_id = r.payment_id WHERE r.succeeded_at >= ? AND "
                              "r.succeeded_at < ? AND "
                              "r.status = 'SUCCESS' AND p.channel = ?");
          st.setString(1, FormatSqlTime(from));
          st.setString(2, FormatSqlTime(to));
          st.setString(3, channel);
          std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
          while (rs->next()) {
            out.push_back({true, Str(*rs, 1), Str(*rs, 2), rs->getInt64(3), Str(*rs, 4), true});
            have.insert({true, out.back().id});
          }
        }
        // The bill's rows we did not see succeed that day: found whatever their status.
        for (bool refund : {false, true}) {
          std::vector<std::string> ids;
          for (const auto& [is_refund, id] : bill_ids) {
            if (is_refund == refund && !have.contains({refund, id})) ids.push_back(id);
          }
          for (size_t start = 0; start < ids.size(); start += 500) {
            const size_t n = std::min<size_t>(500, ids.size() - start);
            std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
                refund ? "SELECT refund_id, status, amount_minor, currency FROM refunds WHERE "
                         "refund_id IN ("
                       : "SELECT payment_id, status, amount_minor, currency FROM payments WHERE "
                         "payment_id IN (",
                Placeholders(n), ")")));
            for (size_t i = 0; i < n; ++i) st->setString(static_cast<int>(i + 1), ids[start + i]);
            std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
            while (rs->next()) {
              out.push_back(
                  {refund, Str(*rs, 1), Str(*rs, 2), rs->getInt64(3), Str(*rs, 4), false});
            }
          }
        }
        return out;
      });
}

absl::StatusOr<int64_t> MysqlSettlementRepository::SaveReconciliation(
    const StoredReconciliation& r) {
  return pool_.InTransaction(
      "save reconciliation", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
        sql::PreparedStatement& st = common::Prepare(
            c,
            "INSERT INTO reconciliations (channel, bill_date, bill_sha256, result, bill_rows, "
            "matched, missing_ours, missing_channel, differs, channel_fee_milli, our_fee_milli, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        const ReconResult& x = r.result;
        st.setString(1, r.channel);
        st.setString(2, r.date);
        st.setString(3, r.bill_sha256);
        st.setString(4, x.clean() ? "CLEAN" : "DIFFERENCES");
        st.setInt64(5, x.bill_rows);
        st.setInt64(6, x.matched);
        st.setInt64(7, x.missing_ours);
        st.setInt64(8, x.missing_channel);
        st.setInt64(9, x.differs);
        st.setInt64(10, x.channel_fee_milli);
        st.setInt64(11, x.our_fee_milli);
        st.setString(12, FormatSqlTime(r.created_at));
        st.execute();
        std::unique_ptr<sql::ResultSet> id(Query(c, "SELECT LAST_INSERT_ID()"));
        id->next();
        const int64_t rid = id->getInt64(1);
        for (size_t start = 0; start < x.items.size(); start += 200) {
          const size_t n = std::min<size_t>(200, x.items.size() - start);
          std::string sql =
              "INSERT INTO reconciliation_items (reconciliation_id, item_no, kind, ref_type, "
              "ref_id, "
              "channel_ref, our_amount, channel_amount, our_status, channel_status, detail) "
              "VALUES ";
          for (size_t i = 0; i < n; ++i) {
            absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
          }
          std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(sql));
          int k = 1;
          for (size_t i = 0; i < n; ++i) {
            const ReconItem& item = x.items[start + i];
            ins->setInt64(k++, rid);
            ins->setInt(k++, static_cast<int>(start + i + 1));
            ins->setString(k++, std::string(ItemKindName(item.kind)));
            ins->setString(k++, item.is_refund ? "REFUND" : "PAYMENT");
            ins->setString(k++, item.ref_id.substr(0, 64));
            ins->setString(k++, item.channel_ref.substr(0, 64));
            ins->setInt64(k++, item.our_amount);
            ins->setInt64(k++, item.channel_amount);
            ins->setString(k++, item.our_status.substr(0, 12));
            ins->setString(k++, item.channel_status.substr(0, 12));
            ins->setString(k++, item.detail.substr(0, 255));
          }
          ins->execute();
        }
        return rid;
      });
}

absl::StatusOr<std::vector<StoredReconciliation>> MysqlSettlementRepository::ListReconciliations(
    const std::string& channel, const std::string& date) {
  return pool_.Run(
      "list reconciliations",
      [&](sql::Connection& c) -> absl::StatusOr<std::vector<StoredReconciliation>> {
        std::string sql =
            "SELECT reconciliation_id, channel, bill_date, bill_sha256, bill_rows, matched, "
            "missing_ours, missing_channel, differs, channel_fee_milli, our_fee_milli, created_at "
            "FROM reconciliations WHERE 1 = 1";
        if (!channel.empty()) sql += " AND channel = ?";
        if (!date.empty()) sql += " AND bill_date = ?";
        sql += " ORDER BY reconciliation_id DESC LIMIT 100";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        if (!channel.empty()) st->setString(i++, channel);
        if (!date.empty()) st->setString(i++, date);
        std::vector<StoredReconciliation> out;
        {
          std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
          while (rs->next()) {
            StoredReconciliation r;
            r.reconciliation_id = rs->getInt64(1);
            r.channel = Str(*rs, 2);
            r.date = Str(*rs, 3);
            r.bill_sha256 = Str(*rs, 4);
            r.result.bill_rows = rs->getInt64(5);
            r.result.matched = rs->getInt64(6);
            r.result.missing_ours = rs->getInt64(7);
            r.result.missing_channel = rs->getInt64(8);
            r.result.differs = rs->getInt64(9);
            r.result.channel_fee_milli = rs->getInt64(10);
            r.result.our_fee_milli = rs->getInt64(11);
            r.created_at = ParseSqlTime(rs->getString(12));
            out.push_back(std::move(r));
          }
        }
        for (StoredReconciliation& r : out) {
          sql::PreparedStatement& items = common::Prepare(
              c,
              "SELECT kind, ref_type, ref_id, channel_ref, our_amount, channel_amount, our_status, "
              "channel_status, detail FROM reconciliation_items WHERE reconciliation_id = ? ORDER "
              "BY "
              "item_no");
          items.setInt64(1, r.reconciliation_id);
          std::unique_ptr<sql::ResultSet> rs(items.executeQuery());
          while (rs->next()) {
            ReconItem item;
            const std::string kind = Str(*rs, 1);
            for (ItemKind k :
                 {ItemKind::kMissingOurs, ItemKind::kMissingChannel, ItemKind::kAmountDiffers,
                  ItemKind::kStatusDiffers, ItemKind::kFeeDiffers}) {
              if (ItemKindName(k) == kind) item.kind = k;
            }
            item.is_refund = Str(*rs, 2) == "REFUND";
            item.ref_id = Str(*rs, 3);
            item.channel_ref = Str(*rs, 4);
            item.our_amount = rs->getInt64(5);
            item.channel_amount = rs->getInt64(6);
            item.our_status = Str(*rs, 7);
            item.channel_status = Str(*rs, 8);
            item.detail = Str(*rs, 9);
            r.result.items.push_back(std::move(item));
          }
          r.result.fee_totals_agree =
              FeeTotalsAgree(r.result.channel_fee_milli, r.result.our_fee_milli);
        }
        return out;
      });
}

}  // namespace aggpay::settlement
