#include "services/admin/mysql_audit_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace aggpay::admin {
namespace {

using common::ChainedAuditEntry;

constexpr const char* kColumns =
    "seq, at, actor, role, action, target, request_id, outcome, details, prev_hash, hash";

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
  common::AuditRecord r = input;
  // Stored at microsecond precision; hash what is stored.
  r.at = absl::FromUnixMicros(absl::ToUnixMicros(r.at));
  if (r.target.size() > 255) r.target.resize(255);
  return pool_.InTransaction("append audit", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> head_q(c.createStatement());
    std::unique_ptr<sql::ResultSet> head(head_q->executeQuery(
        "SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"));
    if (!head->next()) return absl::InternalError("audit chain head is missing");
    const int64_t seq = head->getInt64(1) + 1;
    const std::string prev_hash = head->getString(2);
    const std::string hash = common::AuditEntryHash(seq, r, prev_hash);
    std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(absl::StrCat(
        "INSERT INTO audit_log (", kColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    ins->setInt64(1, seq);
    ins->setString(2, common::FormatSqlTime(r.at));
    ins->setString(3, r.actor);
    ins->setString(4, r.role);
    ins->setString(5, r.action);
    ins->setString(6, r.target);
    ins->setString(7, r.request_id);
    ins->setString(8, r.outcome);
    ins->setString(9, r.details);
    ins->setString(10, prev_hash);
    ins->setString(11, hash);
    ins->execute();
    std::unique_ptr<sql::PreparedStatement> up(
        c.prepareStatement("UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1"));
    up->setInt64(1, seq);
    up->setString(2, hash);
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
        std::unique_ptr<sql::PreparedStatement> page(c.prepareStatement(absl::StrCat(
            "SELECT ", kColumns, " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 5000")));
        int64_t after = 0;
        bool more = true;
        while (more) {
          page->setInt64(1, after);
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
