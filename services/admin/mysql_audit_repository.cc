#include "services/admin/mysql_audit_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/text/utf8.h"

namespace aggpay::admin {
namespace {

using common::ChainedAuditEntry;

constexpr const char* kColumns =
    "seq, at, actor, role, action, target, request_id, outcome, details, prev_hash, hash";
// The largest insert: 512 rows of 12 values, well within a statement's 65,535 placeholders.
constexpr size_t kMaxInsertRows = 512;

ChainedAuditEntry ReadEntry(sql::ResultSet& rs) {
  ChainedAuditEntry e;
  e.seq = rs.getInt64(1);
  e.record.at = common::ParseSqlTime(rs.getString(2));
  e.record.actor = rs.getString(3);
  e.record.role = rs.getString(4);
  e.record.action = rs.getString(5);
  e.record.target = rs.getString(6);
  e.record.request_id = rs.getString(7);
  e.record.outcome = rs.getString(8);
  e.record.details = rs.getString(9);
  e.prev_hash = rs.getString(10);
  e.hash = rs.getString(11);
  return e;
}

}  // namespace

absl::Status MysqlAuditRepository::Append(const common::AuditRecord& input) {
  return AppendBatch({input});
}

absl::Status MysqlAuditRepository::AppendBatch(const std::vector<common::AuditRecord>& input) {
  if (input.empty()) return absl::OkStatus();
  std::vector<common::AuditRecord> records = input;
  for (common::AuditRecord& r : records) {
    // Stored at microsecond precision; hash what is stored.
    r.at = absl::FromUnixMicros(absl::ToUnixMicros(r.at));
    r.target = common::TruncateUtf8(r.target, 255);
    r.actor = common::TruncateUtf8(r.actor, 128);
    r.action = common::TruncateUtf8(r.action, 160);
    r.request_id = common::TruncateUtf8(r.request_id, 128);
    r.details = common::TruncateUtf8(r.details, 16000);
  }
  // Every statement here has one of a few texts, prepared once per connection: a batch is
  // START, the head, the keys, one insert per power of two in the batch's size, the head's
  // update and COMMIT.
  return pool_.InTransaction("append audit", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::ResultSet> head(
        common::Prepare(c,
                        "SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE")
            .executeQuery());
    if (!head->next()) return absl::InternalError("audit chain head is missing");
    int64_t seq = head->getInt64(1);
    std::string prev_hash = head->getString(2);
    // Keys already chained (a repeated outbox delivery), read under the head lock.
    std::set<std::string> chained;
    std::vector<std::string> keys;
    for (const auto& r : records) {
      if (!r.source_key.empty()) keys.push_back(r.source_key);
    }
    if (!keys.empty()) {
      // Padded to a power of two by repeating the last key.
      const size_t n = common::PaddedCount(keys.size());
      sql::PreparedStatement* q =
          &common::Prepare(c, absl::StrCat("SELECT source_key FROM audit_log WHERE source_key IN (",
                                           common::Placeholders(n), ")"));
      for (size_t i = 0; i < n; ++i) {
        q->setString(static_cast<int>(i + 1), keys[std::min(i, keys.size() - 1)]);
      }
      std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
      while (rs->next()) chained.insert(rs->getString(1));
    }
    std::vector<const common::AuditRecord*> todo;
    for (const auto& r : records) {
      if (!r.source_key.empty() && !chained.insert(r.source_key).second) continue;
      todo.push_back(&r);
    }
    if (todo.empty()) return absl::OkStatus();
    // In chunks whose sizes are powers of two (13 rows: 8, 4 and 1), chained in order.
    size_t done = 0;
    while (done < todo.size()) {
      size_t chunk = 1;
      while (chunk * 2 <= todo.size() - done && chunk < kMaxInsertRows) chunk *= 2;
      std::string sql = absl::StrCat("INSERT INTO audit_log (", kColumns, ", source_key) VALUES ");
      for (size_t k = 0; k < chunk; ++k) {
        sql += k == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      : ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      }
      sql::PreparedStatement* ins = &common::Prepare(c, sql);
      int i = 1;
      for (size_t k = 0; k < chunk; ++k) {
        const common::AuditRecord* r = todo[done + k];
        ++seq;
        const std::string hash = common::AuditEntryHash(seq, *r, prev_hash);
        ins->setInt64(i++, seq);
        ins->setString(i++, common::FormatSqlTime(r->at));
        ins->setString(i++, r->actor);
        ins->setString(i++, r->role);
        ins->setString(i++, r->action);
        ins->setString(i++, r->target);
        ins->setString(i++, r->request_id);
        ins->setString(i++, r->outcome);
        ins->setString(i++, r->details);
        ins->setString(i++, prev_hash);
        ins->setString(i++, hash);
        if (r->source_key.empty()) {
          ins->setNull(i++, 0);
        } else {
          ins->setString(i++, r->source_key);
        }
        prev_hash = hash;
      }
      ins->execute();
      done += chunk;
    }
    sql::PreparedStatement* up =
        &common::Prepare(c, "UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1");
    up->setInt64(1, seq);
    up->setString(2, prev_hash);
    up->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ChainedAuditEntry>> MysqlAuditRepository::List(const AuditFilter& f) {
  return pool_.Run(
      "list audit", [&](sql::Connection& c) -> absl::StatusOr<std::vector<ChainedAuditEntry>> {
        std::string sql = absl::StrCat("SELECT ", kColumns, " FROM audit_log WHERE seq > ?");
        if (!f.actor.empty()) sql += " AND actor = ?";
        if (!f.action.empty()) sql += " AND action = ?";
        sql += " ORDER BY seq LIMIT ?";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        st->setInt64(i++, f.after_seq);
        if (!f.actor.empty()) st->setString(i++, f.actor);
        if (!f.action.empty()) st->setString(i++, f.action);
        st->setInt(i, f.limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<ChainedAuditEntry> out;
        while (rs->next()) out.push_back(ReadEntry(*rs));
        return out;
      });
}

absl::StatusOr<common::AuditVerifyResult> MysqlAuditRepository::Verify() {
  return pool_.Run(
      "verify audit", [&](sql::Connection& c) -> absl::StatusOr<common::AuditVerifyResult> {
        std::unique_ptr<sql::Statement> head_q(c.createStatement());
        std::unique_ptr<sql::ResultSet> head(
            head_q->executeQuery("SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1"));
        if (!head->next()) return absl::InternalError("audit chain head is missing");
        const int64_t head_seq = head->getInt64(1);
        const std::string head_hash = head->getString(2);
        common::AuditChainVerifier verifier;
        std::unique_ptr<sql::PreparedStatement> page(c.prepareStatement(
            absl::StrCat("SELECT ", kColumns,
                         " FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 5000")));
        int64_t after = 0;
        bool more = true;
        while (more) {
          page->setInt64(1, after);
          page->setInt64(2, head_seq);
          std::unique_ptr<sql::ResultSet> rs(page->executeQuery());
          more = false;
          while (rs->next()) {
            ChainedAuditEntry e = ReadEntry(*rs);
            after = e.seq;
            more = true;
            if (!verifier.Add(e)) return verifier.Finish(head_seq, head_hash);
          }
        }
        return verifier.Finish(head_seq, head_hash);
      });
}

}  // namespace aggpay::admin
