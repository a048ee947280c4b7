#include "services/risk/mysql_risk_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/status_macros.h"
#include "services/common/text/utf8.h"

namespace aggpay::risk {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;
using Stmt = std::unique_ptr<sql::PreparedStatement>;
using Rows = std::unique_ptr<sql::ResultSet>;

std::string Str(sql::ResultSet& rs, int i) {
  return rs.isNull(i) ? "" : std::string(rs.getString(i));
}

std::optional<absl::Time> OptTime(sql::ResultSet& rs, int i) {
  if (rs.isNull(i)) return std::nullopt;
  return ParseSqlTime(rs.getString(i));
}

// Stored text: fields separated by tabs, records by newlines; '%', tab, newline and '=' are
// percent-escaped inside a field.
std::string Escape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\t':
        out += "%09";
        break;
      case '\n':
        out += "%0A";
        break;
      case '=':
        out += "%3D";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      absl::string_view code = s.substr(i + 1, 2);
      char c = code == "25"   ? '%'
               : code == "09" ? '\t'
               : code == "0A" ? '\n'
               : code == "3D" ? '='
                              : 0;
      if (c != 0) {
        out += c;
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string EncodeMap(const std::map<std::string, std::string>& m) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : m) parts.push_back(absl::StrCat(Escape(k), "=", Escape(v)));
  return absl::StrJoin(parts, "\t");
}

std::map<std::string, std::string> DecodeMap(absl::string_view text) {
  std::map<std::string, std::string> m;
  if (text.empty()) return m;
  for (absl::string_view kv : absl::StrSplit(text, '\t')) {
    std::vector<absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.size() == 2) m[Unescape(p[0])] = Unescape(p[1]);
  }
  return m;
}

std::string EncodeHits(const std::vector<Hit>& hits) {
  std::vector<std::string> lines;
  for (const Hit& h : hits) {
    std::string line = absl::StrCat(Escape(h.rule_id), "\t", ActionName(h.action));
    if (!h.evidence.empty()) absl::StrAppend(&line, "\t", EncodeMap(h.evidence));
    lines.push_back(std::move(line));
  }
  return absl::StrJoin(lines, "\n");
}

std::vector<Hit> DecodeHits(absl::string_view text) {
  std::vector<Hit> hits;
  if (text.empty()) return hits;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits('\t', 2));
    if (f.size() < 2) continue;
    Hit h;
    h.rule_id = Unescape(f[0]);
    h.action = ParseAction(f[1], "action").value_or(Action::kReview);
    if (f.size() == 3) h.evidence = DecodeMap(f[2]);
    hits.push_back(std::move(h));
  }
  return hits;
}

absl::Status Bump(sql::Connection& c) {
  common::Prepare(c, "UPDATE risk_generation SET generation = generation + 1 WHERE id = 1")
      .execute();
  return absl::OkStatus();
}

void InsertAction(sql::Connection& c, const std::string& merchant_id, absl::string_view kind,
                  const std::string& payload, absl::Time now) {
  auto& st = common::Prepare(c,
                             "INSERT INTO risk_actions (merchant_id, kind, payload, status, "
                             "created_at) VALUES (?, ?, ?, 'PENDING', ?)");
  st.setString(1, merchant_id);
  st.setString(2, std::string(kind));
  st.setString(3, payload);
  st.setString(4, FormatSqlTime(now));
  st.execute();
}

int64_t LastInsertId(sql::Connection& c) {
  Rows rs(common::Prepare(c, "SELECT LAST_INSERT_ID()").executeQuery());
  rs->next();
  return rs->getInt64(1);
}

// Inserts an ACTIVE freeze unless one of that kind is active: true when it inserted.
bool OpenFreeze(sql::Connection& c, const std::string& merchant_id, absl::string_view kind,
                const std::string& rule_id, int64_t event_id, const std::string& reason,
                absl::Time now) {
  auto& st = common::Prepare(
      c,
      "INSERT IGNORE INTO risk_freezes (merchant_id, kind, status, rule_id, event_id, reason, "
      "created_at, active_key) VALUES (?, ?, 'ACTIVE', ?, ?, ?, ?, CONCAT(?, ':', ?))");
  st.setString(1, merchant_id);
  st.setString(2, std::string(kind));
  st.setString(3, rule_id);
  if (event_id > 0) {
    st.setInt64(4, event_id);
  } else {
    st.setNull(4, 0);
  }
  st.setString(5, reason);
  st.setString(6, FormatSqlTime(now));
  st.setString(7, merchant_id);
  st.setString(8, std::string(kind));
  return st.executeUpdate() == 1;
}

constexpr const char* kFreezeColumns =
    "freeze_id, merchant_id, kind, status, rule_id, event_id, reason, created_at, lifted_at, "
    "lifted_by";

FreezeRecord ReadFreeze(sql::ResultSet& rs) {
  FreezeRecord f;
  f.freeze_id = rs.getInt64(1);
  f.merchant_id = Str(rs, 2);
  f.kind = Str(rs, 3);
  f.status = Str(rs, 4);
  f.rule_id = Str(rs, 5);
  f.event_id = rs.isNull(6) ? 0 : rs.getInt64(6);
  f.reason = Str(rs, 7);
  f.created_at = ParseSqlTime(rs.getString(8));
  f.lifted_at = OptTime(rs, 9);
  f.lifted_by = Str(rs, 10);
  return f;
}

constexpr const char* kAppealColumns =
    "appeal_id, merchant_id, freeze_id, status, statement, documents, review_note, reviewed_by, "
    "submitted_at, reviewed_at";

AppealRecord ReadAppeal(sql::ResultSet& rs) {
  AppealRecord a;
  a.appeal_id = rs.getInt64(1);
  a.merchant_id = Str(rs, 2);
  a.freeze_id = rs.getInt64(3);
  a.status = Str(rs, 4);
  a.statement = Str(rs, 5);
  std::string docs = Str(rs, 6);
  if (!docs.empty()) {
    for (absl::string_view line : absl::StrSplit(docs, '\n')) {
      std::vector<absl::string_view> p = absl::StrSplit(line, absl::MaxSplits('\t', 1));
      if (p.size() == 2) a.documents.push_back({Unescape(p[0]), std::string(p[1])});
    }
  }
  a.review_note = Str(rs, 7);
  a.reviewed_by = Str(rs, 8);
  a.submitted_at = ParseSqlTime(rs.getString(9));
  a.reviewed_at = OptTime(rs, 10);
  return a;
}

absl::StatusOr<AppealRecord> AppealById(sql::Connection& c, int64_t id, bool lock) {
  Stmt st(c.prepareStatement(absl::StrCat("SELECT ", kAppealColumns,
                                          " FROM risk_appeals WHERE appeal_id = ?",
                                          lock ? " FOR UPDATE" : "")));
  st->setInt64(1, id);
  Rows rs(st->executeQuery());
  if (!rs->next()) return absl::NotFoundError(absl::StrCat("appeal ", id, " not found"));
  return ReadAppeal(*rs);
}

absl::StatusOr<FreezeRecord> ActiveFreeze(sql::Connection& c, const std::string& merchant_id,
                                          absl::string_view kind) {
  Stmt st(c.prepareStatement(absl::StrCat("SELECT ", kFreezeColumns,
                                          " FROM risk_freezes WHERE active_key = CONCAT(?, ':', ?)"
                                          " FOR UPDATE")));
  st->setString(1, merchant_id);
  st->setString(2, std::string(kind));
  Rows rs(st->executeQuery());
  if (!rs->next()) {
    return absl::FailedPreconditionError(
        absl::StrCat("merchant ", merchant_id, " has no active ", kind, " freeze"));
  }
  return ReadFreeze(*rs);
}

absl::StatusOr<FreezeRecord> LiftFreeze(sql::Connection& c, FreezeRecord f,
                                        const std::string& actor, absl::Time now) {
  Stmt up(c.prepareStatement(
      "UPDATE risk_freezes SET status = 'LIFTED', lifted_at = ?, lifted_by = ?, active_key = NULL "
      "WHERE freeze_id = ? AND status = 'ACTIVE'"));
  up->setString(1, FormatSqlTime(now));
  up->setString(2, actor);
  up->setInt64(3, f.freeze_id);
  if (up->executeUpdate() != 1) return absl::AbortedError("the freeze changed; retry");
  f.status = "LIFTED";
  f.lifted_at = now;
  f.lifted_by = actor;
  return f;
}

}  // namespace

absl::StatusOr<int64_t> MysqlRiskRepository::Generation() {
  return pool_.Run("risk generation", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    Rows rs(
        common::Prepare(c, "SELECT generation FROM risk_generation WHERE id = 1").executeQuery());
    if (!rs->next()) return absl::InternalError("risk_generation has no row; run migrate");
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<StoredRule>> MysqlRiskRepository::LoadRules() {
  return pool_.Run(
      "load risk rules", [&](sql::Connection& c) -> absl::StatusOr<std::vector<StoredRule>> {
        Rows rs(common::Prepare(c,
                                "SELECT rule_id, enabled, action, fail_mode, params, version, "
                                "updated_by, updated_at FROM risk_rules ORDER BY rule_id")
                    .executeQuery());
        std::vector<StoredRule> out;
        while (rs->next()) {
          StoredRule r;
          r.config.rule_id = Str(*rs, 1);
          r.config.enabled = rs->getInt(2) != 0;
          ASSIGN_OR_RETURN(r.config.action, ParseAction(Str(*rs, 3), "action"));
          ASSIGN_OR_RETURN(r.config.fail_mode, ParseFailMode(Str(*rs, 4), "fail_mode"));
          ASSIGN_OR_RETURN(r.config.params, ParseParams(Str(*rs, 5)));
          r.config.version = rs->getInt64(6);
          r.updated_by = Str(*rs, 7);
          r.updated_at = ParseSqlTime(rs->getString(8));
          out.push_back(std::move(r));
        }
        return out;
      });
}

absl::StatusOr<StoredRule> MysqlRiskRepository::UpdateRule(
    const std::string& rule_id, const std::function<absl::StatusOr<RuleConfig>(RuleConfig)>& change,
    const std::string& actor, const std::string& reason, absl::Time now) {
  return pool_.InTransaction(
      "update risk rule", [&](sql::Connection& c) -> absl::StatusOr<StoredRule> {
        Stmt q(c.prepareStatement(
            "SELECT enabled, action, fail_mode, params, version FROM risk_rules WHERE rule_id = ? "
            "FOR UPDATE"));
        q->setString(1, rule_id);
        Rows rs(q->executeQuery());
        if (!rs->next()) return absl::NotFoundError(absl::StrCat("no rule \"", rule_id, "\""));
        RuleConfig current;
        current.rule_id = rule_id;
        current.enabled = rs->getInt(1) != 0;
        ASSIGN_OR_RETURN(current.action, ParseAction(Str(*rs, 2), "action"));
        ASSIGN_OR_RETURN(current.fail_mode, ParseFailMode(Str(*rs, 3), "fail_mode"));
        ASSIGN_OR_RETURN(current.params, ParseParams(Str(*rs, 4)));
        current.version = rs->getInt64(5);
        ASSIGN_OR_RETURN(RuleConfig next, change(current));
        next.version = current.version + 1;
        Stmt up(
            c.prepareStatement("UPDATE risk_rules SET enabled = ?, action = ?, fail_mode = ?, "
                               "params = ?, version = ?, "
                               "updated_by = ?, updated_at = ? WHERE rule_id = ?"));
        up->setInt(1, next.enabled ? 1 : 0);
        up->setString(2, std::string(ActionName(next.action)));
        up->setString(3, std::string(FailModeName(next.fail_mode)));
        up->setString(4, FormatParams(next.params));
        up->setInt64(5, next.version);
        up->setString(6, actor);
        up->setString(7, FormatSqlTime(now));
        up->setString(8, rule_id);
        up->execute();
        Stmt v(c.prepareStatement(
            "INSERT INTO risk_rule_versions (rule_id, version, enabled, action, fail_mode, params, "
            "changed_by, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        v->setString(1, rule_id);
        v->setInt64(2, next.version);
        v->setInt(3, next.enabled ? 1 : 0);
        v->setString(4, std::string(ActionName(next.action)));
        v->setString(5, std::string(FailModeName(next.fail_mode)));
        v->setString(6, FormatParams(next.params));
        v->setString(7, actor);
        v->setString(8, reason);
        v->setString(9, FormatSqlTime(now));
        v->execute();
        RETURN_IF_ERROR(Bump(c));
        return StoredRule{std::move(next), actor, now};
      });
}

absl::StatusOr<std::vector<RegionRange>> MysqlRiskRepository::LoadRegions() {
  return pool_.Run(
      "load regions", [&](sql::Connection& c) -> absl::StatusOr<std::vector<RegionRange>> {
        Rows rs(common::Prepare(c, "SELECT range_start, range_end, cidr, region FROM risk_regions")
                    .executeQuery());
        std::vector<RegionRange> out;
        while (rs->next()) {
          RegionRange r;
          std::string a = rs->getString(1);
          std::string b = rs->getString(2);
          if (a.size() != 16 || b.size() != 16) return absl::InternalError("bad risk_regions row");
          std::copy(a.begin(), a.end(), r.start.begin());
          std::copy(b.begin(), b.end(), r.end.begin());
          r.cidr = Str(*rs, 3);
          r.region = Str(*rs, 4);
          out.push_back(std::move(r));
        }
        return out;
      });
}

absl::StatusOr<int64_t> MysqlRiskRepository::ReplaceRegions(const std::vector<RegionRange>& ranges,
                                                            const std::string& sha256,
                                                            const std::string& actor,
                                                            absl::Time now) {
  return pool_.InTransaction("import regions", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    Stmt del(c.prepareStatement("DELETE FROM risk_regions"));
    del->execute();
    constexpr size_t kChunk = 500;
    for (size_t i = 0; i < ranges.size(); i += kChunk) {
      size_t n = std::min(kChunk, ranges.size() - i);
      std::string sql = "INSERT INTO risk_regions (range_start, range_end, cidr, region) VALUES ";
      for (size_t j = 0; j < n; ++j) absl::StrAppend(&sql, j ? ", " : "", "(?, ?, ?, ?)");
      Stmt st(c.prepareStatement(sql));
      for (size_t j = 0; j < n; ++j) {
        const RegionRange& r = ranges[i + j];
        int k = static_cast<int>(j) * 4;
        st->setString(k + 1, std::string(r.start.begin(), r.start.end()));
        st->setString(k + 2, std::string(r.end.begin(), r.end.end()));
        st->setString(k + 3, r.cidr);
        st->setString(k + 4, r.region);
      }
      st->execute();
    }
    Stmt imp(c.prepareStatement(
        "INSERT INTO risk_region_imports (ranges, sha256, imported_by, imported_at) "
        "VALUES (?, ?, ?, ?)"));
    imp->setInt64(1, static_cast<int64_t>(ranges.size()));
    imp->setString(2, sha256);
    imp->setString(3, actor);
    imp->setString(4, FormatSqlTime(now));
    imp->execute();
    int64_t version = LastInsertId(c);
    RETURN_IF_ERROR(Bump(c));
    return version;
  });
}

absl::StatusOr<History> MysqlRiskRepository::LoadHistory(const std::string& merchant_id,
                                                         const std::string& currency,
                                                         absl::CivilDay today, int window_days) {
  return pool_.Run("risk history", [&](sql::Connection& c) -> absl::StatusOr<History> {
    auto& st = common::Prepare(
        c,
        "SELECT MIN(day), COALESCE(SUM(CASE WHEN day >= ? THEN amount_minor ELSE 0 END), 0) "
        "FROM risk_daily_totals WHERE merchant_id = ? AND currency = ? AND day < ?");
    st.setString(1, DayKey(today - window_days));
    st.setString(2, merchant_id);
    st.setString(3, currency);
    st.setString(4, DayKey(today));
    Rows rs(st.executeQuery());
    History h;
    if (rs->next() && !rs->isNull(1)) {
      absl::CivilDay first;
      if (absl::ParseCivilTime(std::string(rs->getString(1)).substr(0, 10), &first)) {
        h.first_day = first;
      }
      h.window_sum_minor = rs->getInt64(2);
    }
    return h;
  });
}

absl::Status MysqlRiskRepository::AddDailyTotals(const std::vector<DailyDelta>& deltas) {
  if (deltas.empty()) return absl::OkStatus();
  return pool_.Run("risk daily totals", [&](sql::Connection& c) -> absl::Status {
    std::string sql =
        "INSERT INTO risk_daily_totals (merchant_id, currency, day, amount_minor, payments) "
        "VALUES ";
    for (size_t i = 0; i < deltas.size(); ++i)
      absl::StrAppend(&sql, i ? ", " : "", "(?, ?, ?, ?, ?)");
    absl::StrAppend(&sql,
                    " ON DUPLICATE KEY UPDATE amount_minor = amount_minor + VALUES(amount_minor), "
                    "payments = payments + VALUES(payments)");
    Stmt st(c.prepareStatement(sql));
    int k = 0;
    for (const DailyDelta& d : deltas) {
      st->setString(++k, d.merchant_id);
      st->setString(++k, d.currency);
      st->setString(++k, d.day);
      st->setInt64(++k, d.amount_minor);
      st->setInt64(++k, d.payments);
    }
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<RecordedDecision> MysqlRiskRepository::RecordDecision(const EventDraft& e,
                                                                     absl::Time now) {
  return pool_.InTransaction(
      "record risk decision", [&](sql::Connection& c) -> absl::StatusOr<RecordedDecision> {
        auto& st = common::Prepare(c,
                                   "INSERT INTO risk_events (merchant_id, decision, hits, "
                                   "amount_minor, currency, payer_ip, "
                                   "device_id, terminal_sn, attempt_id, created_at) VALUES (?, ?, "
                                   "?, ?, ?, ?, ?, ?, ?, ?)");
        st.setString(1, e.merchant_id);
        st.setString(2, std::string(DecisionName(e.decision)));
        st.setString(3, EncodeHits(e.hits));
        st.setInt64(4, e.amount_minor);
        st.setString(5, e.currency);
        st.setString(6, e.payer_ip);
        st.setString(7, e.device_id);
        st.setString(8, e.terminal_sn);
        st.setString(9, e.attempt_id);
        st.setString(10, FormatSqlTime(now));
        st.execute();
        RecordedDecision out;
        out.event_id = LastInsertId(c);
        std::set<std::string> rules;
        for (const Hit& h : e.hits) rules.insert(h.rule_id);
        std::string sql = "INSERT IGNORE INTO risk_event_rules (rule_id, event_id) VALUES ";
        int i = 0;
        for (size_t j = 0; j < rules.size(); ++j) absl::StrAppend(&sql, i++ ? ", " : "", "(?, ?)");
        if (!rules.empty()) {
          Stmt er(c.prepareStatement(sql));
          int k = 0;
          for (const auto& r : rules) {
            er->setString(++k, r);
            er->setInt64(++k, out.event_id);
          }
          er->execute();
        }
        std::set<std::string> acted;
        for (const Hit& h : e.hits) {
          std::string reason = absl::StrCat("risk rule ", h.rule_id, " (event ", out.event_id, ")");
          if (h.action == Action::kFreeze) {
            OpenFreeze(c, e.merchant_id, kTransactionFreeze, h.rule_id, out.event_id, reason, now);
            InsertAction(c, e.merchant_id, kFreezeCollection, reason, now);
            acted.insert(e.merchant_id);
          } else if (h.action == Action::kForceOffline) {
            for (const std::string& m : h.merchants) {
              if (OpenFreeze(c, m, kDeviceFreeze, h.rule_id, out.event_id, reason, now)) {
                InsertAction(c, m, kForceOffline, reason, now);
                acted.insert(m);
              }
            }
          }
        }
        out.merchants_with_actions.assign(acted.begin(), acted.end());
        return out;
      });
}

absl::StatusOr<std::vector<EventRecord>> MysqlRiskRepository::ListEvents(const EventFilter& f) {
  return pool_.Run(
      "list risk events", [&](sql::Connection& c) -> absl::StatusOr<std::vector<EventRecord>> {
        std::string sql =
            "SELECT e.event_id, e.merchant_id, e.decision, e.hits, e.amount_minor, e.currency, "
            "e.payer_ip, e.device_id, e.terminal_sn, e.attempt_id, e.created_at FROM risk_events e";
        std::vector<std::string> where;
        if (!f.rule_id.empty()) {
          absl::StrAppend(&sql, " JOIN risk_event_rules r ON r.event_id = e.event_id");
          where.push_back("r.rule_id = ?");
        }
        if (!f.merchant_id.empty()) where.push_back("e.merchant_id = ?");
        if (f.since) where.push_back("e.created_at >= ?");
        if (f.before_event_id > 0) where.push_back("e.event_id < ?");
        if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
        absl::StrAppend(&sql, " ORDER BY e.event_id DESC LIMIT ?");
        Stmt st(c.prepareStatement(sql));
        int k = 0;
        if (!f.rule_id.empty()) st->setString(++k, f.rule_id);
        if (!f.merchant_id.empty()) st->setString(++k, f.merchant_id);
        if (f.since) st->setString(++k, FormatSqlTime(*f.since));
        if (f.before_event_id > 0) st->setInt64(++k, f.before_event_id);
        st->setInt(++k, f.limit);
        Rows rs(st->executeQuery());
        std::vector<EventRecord> out;
        while (rs->next()) {
          EventRecord e;
          e.event_id = rs->getInt64(1);
          e.merchant_id = Str(*rs, 2);
          std::string d = Str(*rs, 3);
          for (Decision x :
               {Decision::kAllow, Decision::kReview, Decision::kBlock, Decision::kFreeze}) {
            if (d == DecisionName(x)) e.decision = x;
          }
          e.hits = DecodeHits(Str(*rs, 4));
          e.amount_minor = rs->getInt64(5);
          e.currency = Str(*rs, 6);
          e.payer_ip = Str(*rs, 7);
          e.device_id = Str(*rs, 8);
          e.terminal_sn = Str(*rs, 9);
          e.attempt_id = Str(*rs, 10);
          e.created_at = ParseSqlTime(rs->getString(11));
          out.push_back(std::move(e));
        }
        return out;
      });
}

absl::StatusOr<FreezeRecord> MysqlRiskRepository::CreateFreeze(const std::string& merchant_id,
                                                               const std::string& reason,
                                                               const std::string& actor,
                                                               absl::Time now) {
  return pool_.InTransaction(
      "risk freeze", [&](sql::Connection& c) -> absl::StatusOr<FreezeRecord> {
        if (!OpenFreeze(c, merchant_id, kTransactionFreeze, "staff", 0, reason, now)) {
          return absl::AlreadyExistsError(
              absl::StrCat("merchant ", merchant_id, " already has an active transaction freeze"));
        }
        InsertAction(c, merchant_id, kFreezeCollection, reason, now);
        return ActiveFreeze(c, merchant_id, kTransactionFreeze);
      });
}

absl::StatusOr<std::vector<FreezeRecord>> MysqlRiskRepository::ListFreezes(
    const std::string& merchant_id, bool active_only) {
  return pool_.Run(
      "list freezes", [&](sql::Connection& c) -> absl::StatusOr<std::vector<FreezeRecord>> {
        std::string sql = absl::StrCat("SELECT ", kFreezeColumns, " FROM risk_freezes");
        std::vector<std::string> where;
        if (!merchant_id.empty()) where.push_back("merchant_id = ?");
        if (active_only) where.push_back("status = 'ACTIVE'");
        if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
        absl::StrAppend(&sql, " ORDER BY freeze_id DESC LIMIT 200");
        Stmt st(c.prepareStatement(sql));
        if (!merchant_id.empty()) st->setString(1, merchant_id);
        Rows rs(st->executeQuery());
        std::vector<FreezeRecord> out;
        while (rs->next()) out.push_back(ReadFreeze(*rs));
        return out;
      });
}

absl::StatusOr<AppealRecord> MysqlRiskRepository::SubmitAppeal(
    const std::string& merchant_id, const std::string& statement,
    const std::vector<AppealDocumentRef>& docs, absl::Time now) {
  return pool_.InTransaction(
      "submit appeal", [&](sql::Connection& c) -> absl::StatusOr<AppealRecord> {
        auto freeze = ActiveFreeze(c, merchant_id, kTransactionFreeze);
        if (!freeze.ok()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "merchant ", merchant_id, " has no transaction freeze to appeal against"));
        }
        std::vector<std::string> lines;
        for (const auto& d : docs) lines.push_back(absl::StrCat(Escape(d.name), "\t", d.sha256));
        Stmt st(
            c.prepareStatement("INSERT IGNORE INTO risk_appeals (merchant_id, freeze_id, status, "
                               "statement, documents, "
                               "submitted_at, pending_key) VALUES (?, ?, 'PENDING', ?, ?, ?, ?)"));
        st->setString(1, merchant_id);
        st->setInt64(2, freeze->freeze_id);
        st->setString(3, statement);
        st->setString(4, absl::StrJoin(lines, "\n"));
        st->setString(5, FormatSqlTime(now));
        st->setInt64(6, freeze->freeze_id);
        if (st->executeUpdate() != 1) {
          return absl::AlreadyExistsError(absl::StrCat("an appeal of freeze ", freeze->freeze_id,
                                                       " is already pending review"));
        }
        return AppealById(c, LastInsertId(c), false);
      });
}

absl::StatusOr<std::vector<AppealRecord>> MysqlRiskRepository::ListAppeals(
    const std::string& merchant_id, bool pending_only) {
  return pool_.Run(
      "list appeals", [&](sql::Connection& c) -> absl::StatusOr<std::vector<AppealRecord>> {
        std::string sql = absl::StrCat("SELECT ", kAppealColumns, " FROM risk_appeals");
        std::vector<std::string> where;
        if (!merchant_id.empty()) where.push_back("merchant_id = ?");
        if (pending_only) where.push_back("status = 'PENDING'");
        if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
        absl::StrAppend(&sql, " ORDER BY appeal_id DESC LIMIT 200");
        Stmt st(c.prepareStatement(sql));
        if (!merchant_id.empty()) st->setString(1, merchant_id);
        Rows rs(st->executeQuery());
        std::vector<AppealRecord> out;
        while (rs->next()) out.push_back(ReadAppeal(*rs));
        return out;
      });
}

absl::StatusOr<AppealRecord> MysqlRiskRepository::ReviewAppeal(int64_t appeal_id, bool approve,
                                                               const std::string& note,
                                                               const std::string& actor,
                                                               absl::Time now) {
  return pool_.InTransaction(
      "review appeal", [&](sql::Connection& c) -> absl::StatusOr<AppealRecord> {
        ASSIGN_OR_RETURN(AppealRecord a, AppealById(c, appeal_id, true));
        if (a.status != "PENDING") {
          return absl::FailedPreconditionError(
              absl::StrCat("appeal ", appeal_id, " was already ", a.status));
        }
        Stmt up(
            c.prepareStatement("UPDATE risk_appeals SET status = ?, review_note = ?, reviewed_by = "
                               "?, reviewed_at = ?, "
                               "pending_key = NULL WHERE appeal_id = ?"));
        up->setString(1, approve ? "APPROVED" : "REJECTED");
        up->setString(2, note);
        up->setString(3, actor);
        up->setString(4, FormatSqlTime(now));
        up->setInt64(5, appeal_id);
        up->execute();
        if (approve) {
          Stmt q(c.prepareStatement(absl::StrCat(
              "SELECT ", kFreezeColumns, " FROM risk_freezes WHERE freeze_id = ? FOR UPDATE")));
          q->setInt64(1, a.freeze_id);
          Rows rs(q->executeQuery());
          if (rs->next()) {
            FreezeRecord f = ReadFreeze(*rs);
            if (f.status == "ACTIVE") {
              RETURN_IF_ERROR(LiftFreeze(c, f, actor, now).status());
              InsertAction(c, a.merchant_id, kUnfreezeCollection,
                           absl::StrCat("risk appeal ", appeal_id, " approved"), now);
            }
          }
        }
        return AppealById(c, appeal_id, false);
      });
}

absl::StatusOr<FreezeRecord> MysqlRiskRepository::PassSecurityCheck(const std::string& merchant_id,
                                                                    const std::string& note,
                                                                    const std::string& actor,
                                                                    absl::Time now) {
  return pool_.InTransaction(
      "security check", [&](sql::Connection& c) -> absl::StatusOr<FreezeRecord> {
        ASSIGN_OR_RETURN(FreezeRecord f, ActiveFreeze(c, merchant_id, kDeviceFreeze));
        ASSIGN_OR_RETURN(FreezeRecord lifted, LiftFreeze(c, f, actor, now));
        InsertAction(c, merchant_id, kReleaseTerminals,
                     absl::StrCat("security check passed: ", note), now);
        return lifted;
      });
}

absl::StatusOr<std::optional<AlertThresholds>> MysqlRiskRepository::GetThresholds(
    const std::string& merchant_id) {
  return pool_.Run(
      "get thresholds", [&](sql::Connection& c) -> absl::StatusOr<std::optional<AlertThresholds>> {
        auto& st = common::Prepare(c,
                                   "SELECT currency, single_payment_minor, hourly_volume_minor, "
                                   "new_region FROM risk_alert_thresholds WHERE merchant_id = ?");
        st.setString(1, merchant_id);
        Rows rs(st.executeQuery());
        if (!rs->next()) return std::optional<AlertThresholds>();
        AlertThresholds t;
        t.merchant_id = merchant_id;
        t.currency = Str(*rs, 1);
        t.single_payment_minor = rs->getInt64(2);
        t.hourly_volume_minor = rs->getInt64(3);
        t.new_region = rs->getInt(4) != 0;
        return std::optional<AlertThresholds>(t);
      });
}

absl::Status MysqlRiskRepository::SetThresholds(const AlertThresholds& t, absl::Time now) {
  return pool_.InTransaction("set thresholds", [&](sql::Connection& c) -> absl::Status {
    Stmt st(c.prepareStatement(
        "INSERT INTO risk_alert_thresholds (merchant_id, currency, single_payment_minor, "
        "hourly_volume_minor, new_region, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE currency = VALUES(currency), single_payment_minor = "
        "VALUES(single_payment_minor), hourly_volume_minor = VALUES(hourly_volume_minor), "
        "new_region = VALUES(new_region), updated_at = VALUES(updated_at)"));
    st->setString(1, t.merchant_id);
    st->setString(2, t.currency);
    st->setInt64(3, t.single_payment_minor);
    st->setInt64(4, t.hourly_volume_minor);
    st->setInt(5, t.new_region ? 1 : 0);
    st->setString(6, FormatSqlTime(now));
    st->execute();
    return Bump(c);
  });
}

absl::StatusOr<std::vector<AlertRecord>> MysqlRiskRepository::RaiseAlerts(
    const std::string& merchant_id, const std::vector<AlertDraft>& drafts,
    const std::function<std::string(const AlertRecord&)>& body_of, absl::Time now) {
  return pool_.InTransaction(
      "raise alerts", [&](sql::Connection& c) -> absl::StatusOr<std::vector<AlertRecord>> {
        std::vector<AlertRecord> out;
        for (const AlertDraft& d : drafts) {
          AlertRecord a;
          a.alert_id = absl::StrCat("al", absl::StrFormat("%012x", absl::ToUnixMillis(now)),
                                    common::RandomToken(9).substr(0, 12));
          a.merchant_id = merchant_id;
          a.kind = d.kind;
          a.detail = d.detail;
          a.created_at = now;
          auto& st = common::Prepare(c,
                                     "INSERT IGNORE INTO risk_alerts (alert_id, merchant_id, kind, "
                                     "detail, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?)");
          st.setString(1, a.alert_id);
          st.setString(2, merchant_id);
          st.setString(3, d.kind);
          st.setString(4, EncodeMap(d.detail));
          st.setString(5, d.dedupe_key);
          st.setString(6, FormatSqlTime(now));
          if (st.executeUpdate() != 1) continue;
          InsertAction(c, merchant_id, kNotify, absl::StrCat(a.alert_id, "\n", body_of(a)), now);
          out.push_back(std::move(a));
        }
        return out;
      });
}

absl::StatusOr<std::vector<AlertRecord>> MysqlRiskRepository::ListAlerts(
    const std::string& merchant_id, int limit) {
  return pool_.Run("list alerts",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<AlertRecord>> {
                     Stmt st(c.prepareStatement(
                         "SELECT alert_id, merchant_id, kind, detail, created_at FROM risk_alerts "
                         "WHERE merchant_id = ? ORDER BY created_at DESC, alert_id DESC LIMIT ?"));
                     st->setString(1, merchant_id);
                     st->setInt(2, limit);
                     Rows rs(st->executeQuery());
                     std::vector<AlertRecord> out;
                     while (rs->next()) {
                       AlertRecord a;
                       a.alert_id = Str(*rs, 1);
                       a.merchant_id = Str(*rs, 2);
                       a.kind = Str(*rs, 3);
                       a.detail = DecodeMap(Str(*rs, 4));
                       a.created_at = ParseSqlTime(rs->getString(5));
                       out.push_back(std::move(a));
                     }
                     return out;
                   });
}

absl::StatusOr<std::vector<ActionRecord>> MysqlRiskRepository::ClaimActions(
    const std::string& merchant_id, absl::Duration lease, int limit) {
  return pool_.InTransaction(
      "claim risk actions", [&](sql::Connection& c) -> absl::StatusOr<std::vector<ActionRecord>> {
        // Per merchant, only the oldest pending action is claimable: a freeze is never overtaken by
        // the unfreeze that follows it.
        std::string sql =
            "SELECT a.action_id, a.merchant_id, a.kind, a.payload, a.attempts FROM risk_actions a "
            "WHERE a.status = 'PENDING' AND (a.lease_until IS NULL OR a.lease_until < NOW(6)) "
            "AND NOT EXISTS (SELECT 1 FROM risk_actions o WHERE o.merchant_id = a.merchant_id AND "
            "o.status = 'PENDING' AND o.action_id < a.action_id)";
        if (!merchant_id.empty()) absl::StrAppend(&sql, " AND a.merchant_id = ?");
        absl::StrAppend(&sql, " ORDER BY a.action_id LIMIT ? FOR UPDATE SKIP LOCKED");
        Stmt st(c.prepareStatement(sql));
        int k = 0;
        if (!merchant_id.empty()) st->setString(++k, merchant_id);
        st->setInt(++k, limit);
        Rows rs(st->executeQuery());
        std::vector<ActionRecord> out;
        while (rs->next()) {
          out.push_back({rs->getInt64(1), Str(*rs, 2), Str(*rs, 3), Str(*rs, 4), rs->getInt(5)});
        }
        if (out.empty()) return out;
        std::string ids;
        for (const auto& a : out) absl::StrAppend(&ids, ids.empty() ? "" : ",", a.action_id);
        Stmt up(c.prepareStatement(absl::StrCat(
            "UPDATE risk_actions SET lease_until = NOW(6) + INTERVAL ? MICROSECOND, attempts = "
            "attempts + 1 WHERE action_id IN (",
            ids, ")")));
        up->setInt64(1, absl::ToInt64Microseconds(lease));
        up->execute();
        return out;
      });
}

absl::Status MysqlRiskRepository::CompleteAction(int64_t action_id) {
  return pool_.Run("complete risk action", [&](sql::Connection& c) -> absl::Status {
    Stmt st(c.prepareStatement(
        "UPDATE risk_actions SET status = 'DONE', done_at = NOW(6), lease_until = NULL, "
        "last_error = '' WHERE action_id = ?"));
    st->setInt64(1, action_id);
    st->execute();
    return absl::OkStatus();
  });
}

absl::Status MysqlRiskRepository::FailAction(int64_t action_id, const std::string& error,
                                             absl::Duration retry_after) {
  return pool_.Run("fail risk action", [&](sql::Connection& c) -> absl::Status {
    Stmt st(c.prepareStatement(
        "UPDATE risk_actions SET lease_until = NOW(6) + INTERVAL ? MICROSECOND, last_error = ? "
        "WHERE action_id = ?"));
    st->setInt64(1, absl::ToInt64Microseconds(retry_after));
    st->setString(2, std::string(common::TruncateUtf8(error, 255)));
    st->setInt64(3, action_id);
    st->execute();
    return absl::OkStatus();
  });
}

}  // namespace aggpay::risk
