#include "services/binding/mysql_code_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/mysql/select_by_keys.h"
#include "services/common/text/utf8.h"

namespace aggpay::binding {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kCodeColumns =
    "code_id, kind, status, merchant_id, store_id, terminal_sn, display_name, channel_params, "
    "amount_minor, currency, valid_until, replaced_by, created_at";

std::string Str(sql::ResultSet& rs, int i) {
  return rs.isNull(i) ? "" : std::string(rs.getString(i));
}

absl::StatusOr<CodeRecord> ReadCode(sql::ResultSet& rs) {
  CodeRecord c;
  c.code_id = Str(rs, 1);
  auto kind = ParseCodeKind(Str(rs, 2));
  auto status = ParseCodeStatus(Str(rs, 3));
  if (!kind.ok() || !status.ok()) {
    return absl::InternalError(absl::StrCat("code ", c.code_id, " has an unreadable row"));
  }
  c.kind = *kind;
  c.status = *status;
  c.merchant_id = Str(rs, 4);
  c.store_id = Str(rs, 5);
  c.terminal_sn = Str(rs, 6);
  c.display_name = Str(rs, 7);
  c.channel_params = DecodeChannelParams(Str(rs, 8));
  if (!rs.isNull(9)) c.amount_minor = rs.getInt64(9);
  c.currency = Str(rs, 10);
  if (!rs.isNull(11)) c.valid_until = ParseSqlTime(rs.getString(11));
  c.replaced_by = Str(rs, 12);
  c.created_at = ParseSqlTime(rs.getString(13));
  return c;
}

void BindNullable(sql::PreparedStatement& st, int i, const std::string& v) {
  if (v.empty()) {
    st.setNull(i, 0);
  } else {
    st.setString(i, v);
  }
}

void InsertCode(sql::Connection& c, const CodeRecord& r, absl::Time now) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      absl::StrCat("INSERT INTO collection_codes (", kCodeColumns,
                   ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  st->setString(1, r.code_id);
  st->setString(2, std::string(CodeKindName(r.kind)));
  st->setString(3, std::string(CodeStatusName(r.status)));
  st->setString(4, r.merchant_id);
  st->setString(5, r.store_id);
  BindNullable(*st, 6, r.terminal_sn);
  st->setString(7, r.display_name);
  st->setString(8, EncodeChannelParams(r.channel_params));
  if (r.amount_minor) {
    st->setInt64(9, *r.amount_minor);
  } else {
    st->setNull(9, 0);
  }
  BindNullable(*st, 10, r.currency);
  if (r.valid_until) {
    st->setString(11, FormatSqlTime(*r.valid_until));
  } else {
    st->setNull(11, 0);
  }
  BindNullable(*st, 12, r.replaced_by);
  st->setString(13, FormatSqlTime(r.created_at));
  st->setString(14, FormatSqlTime(now));
  st->execute();
}

void UpdateCode(sql::Connection& c, const CodeRecord& r, absl::Time now) {
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
      "UPDATE collection_codes SET status = ?, terminal_sn = ?, valid_until = ?, replaced_by = ?, "
      "updated_at = ? WHERE code_id = ?"));
  st->setString(1, std::string(CodeStatusName(r.status)));
  BindNullable(*st, 2, r.terminal_sn);
  if (r.valid_until) {
    st->setString(3, FormatSqlTime(*r.valid_until));
  } else {
    st->setNull(3, 0);
  }
  BindNullable(*st, 4, r.replaced_by);
  st->setString(5, FormatSqlTime(now));
  st->setString(6, r.code_id);
  st->execute();
}

void InsertHistory(sql::Connection& c, const std::vector<HistoryEntry>& entries) {
  if (entries.empty()) return;
  std::string sql =
      "INSERT INTO code_history (code_id, merchant_id, terminal_sn, event, reason, actor, at) "
      "VALUES ";
  for (size_t i = 0; i < entries.size(); ++i)
    sql += i == 0 ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
  std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
  int i = 1;
  for (const HistoryEntry& e : entries) {
    st->setString(i++, e.code_id);
    st->setString(i++, e.merchant_id);
    BindNullable(*st, i++, e.terminal_sn);
    st->setString(i++, e.event);
    st->setString(i++, common::TruncateUtf8Chars(e.reason, 256));
    st->setString(i++, common::TruncateUtf8Chars(e.actor, 128));
    st->setString(i++, FormatSqlTime(e.at));
  }
  st->execute();
}

// Appends one invalidation-log row inside the caller's transaction. The head row's lock orders
// writers, so sequence numbers commit in order.
int64_t AppendInvalidation(sql::Connection& c, const std::string& code_id,
                           const std::string& merchant_id, absl::Time now) {
  std::unique_ptr<sql::Statement> bump(c.createStatement());
  bump->execute("UPDATE code_invalidation_head SET seq = LAST_INSERT_ID(seq + 1) WHERE id = 1");
  std::unique_ptr<sql::ResultSet> rs(bump->executeQuery("SELECT LAST_INSERT_ID()"));
  rs->next();
  const int64_t seq = rs->getInt64(1);
  std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(
      "INSERT INTO code_invalidations (seq, code_id, merchant_id, at) VALUES (?, ?, ?, ?)"));
  ins->setInt64(1, seq);
  BindNullable(*ins, 2, code_id);
  BindNullable(*ins, 3, merchant_id);
  ins->setString(4, FormatSqlTime(now));
  ins->execute();
  return seq;
}

constexpr const char* kRequestColumns =
    "request_id, merchant_id, code_id, reason, mode, status, otp_hash, otp_expires_at, attempts, "
    "created_at, new_code_id, decided_by";

absl::StatusOr<RequestRecord> ReadRequest(sql::ResultSet& rs) {
  RequestRecord out;
  ResetRequest& r = out.request;
  r.request_id = Str(rs, 1);
  r.merchant_id = Str(rs, 2);
  r.code_id = Str(rs, 3);
  auto reason = ParseResetReason(Str(rs, 4));
  auto mode = ParseResetMode(Str(rs, 5));
  auto status = ParseRequestStatus(Str(rs, 6));
  if (!reason.ok() || !mode.ok() || !status.ok()) {
    return absl::InternalError(absl::StrCat("reset request ", r.request_id, " is unreadable"));
  }
  r.reason = *reason;
  r.mode = *mode;
  r.status = *status;
  r.otp_hash = Str(rs, 7);
  r.otp_expires_at = ParseSqlTime(rs.getString(8));
  r.attempts = rs.getInt(9);
  r.created_at = ParseSqlTime(rs.getString(10));
  out.new_code_id = Str(rs, 11);
  out.decided_by = Str(rs, 12);
  return out;
}

}  // namespace

std::string EncodeChannelParams(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [channel, id] : params) {
    absl::StrAppend(&out, out.empty() ? "" : ";", channel, "=", id);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> DecodeChannelParams(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view part : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::vector<std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    if (kv.size() == 2) out.emplace_back(kv[0], kv[1]);
  }
  return out;
}

absl::Status MysqlCodeRepository::Create(const CodeRecord& code, const HistoryEntry& history) {
  return pool_.InTransaction("issue code", [&](sql::Connection& c) -> absl::Status {
    InsertCode(c, code, code.created_at);
    InsertHistory(c, {history});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<CodeRecord>> MysqlCodeRepository::Get(const std::string& code_id) {
  return pool_.Run(
      "get code", [&](sql::Connection& c) -> absl::StatusOr<std::optional<CodeRecord>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kCodeColumns,
            ", (SELECT b.status FROM merchant_collection_blocks b WHERE b.merchant_id = "
            "collection_codes.merchant_id) FROM collection_codes WHERE code_id = ?")));
        st->setString(1, code_id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<CodeRecord>();
        auto code = ReadCode(*rs);
        if (!code.ok()) return code.status();
        code->merchant_block = Str(*rs, 14);
        return std::optional<CodeRecord>(*std::move(code));
      });
}

absl::StatusOr<std::vector<CodeRecord>> MysqlCodeRepository::List(const CodeFilter& f) {
  return pool_.Run(
      "list codes", [&](sql::Connection& c) -> absl::StatusOr<std::vector<CodeRecord>> {
        std::string sql =
            absl::StrCat("SELECT ", kCodeColumns,
                         " FROM collection_codes WHERE merchant_id = ? AND code_id > ?");
        if (!f.terminal_sn.empty()) sql += " AND terminal_sn = ?";
        if (f.status) sql += " AND status = ?";
        sql += " ORDER BY code_id LIMIT ?";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        st->setString(i++, f.merchant_id);
        st->setString(i++, f.after_code_id);
        if (!f.terminal_sn.empty()) st->setString(i++, f.terminal_sn);
        if (f.status) st->setString(i++, std::string(CodeStatusName(*f.status)));
        st->setInt(i, f.limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<CodeRecord> out;
        while (rs->next()) {
          auto code = ReadCode(*rs);
          if (!code.ok()) return code.status();
          out.push_back(*std::move(code));
        }
        return out;
      });
}

MysqlCodeRepository::MysqlCodeRepository(common::MysqlPool& pool)
    : pool_(pool), terminal_codes_([this](absl::Span<const std::string> sns) {
        return ReadTerminalCodes(sns);
      }) {}

absl::StatusOr<std::optional<std::string>> MysqlCodeRepository::ActiveCodeIdForTerminal(
    const std::string& sn) {
  return terminal_codes_.Get(sn);
}

absl::StatusOr<std::map<std::string, std::string>> MysqlCodeRepository::ReadTerminalCodes(
    absl::Span<const std::string> sns) {
  return pool_.Run(
      "terminal codes",
      [&](sql::Connection& c) -> absl::StatusOr<std::map<std::string, std::string>> {
        // The id and its age alone: the client library allocates and binds every column of a
        // result on every execution, and a check-in needs only the id (docs/performance.md).
        // Each terminal's newest (DATETIME(6) text orders as time does).
        std::map<std::string, std::pair<std::string, std::string>> newest;  // sn -> (at, id)
        common::SelectByKeys(
            c,
            "SELECT terminal_sn, code_id, created_at FROM collection_codes WHERE terminal_sn IN ",
            sns, " AND status = 'ACTIVE' AND kind = 'STATIC'", [&](sql::ResultSet& rs) {
              std::pair<std::string, std::string> at_id(rs.getString(3), rs.getString(2));
              auto [it, added] = newest.emplace(rs.getString(1), at_id);
              if (!added && at_id > it->second) it->second = std::move(at_id);
            });
        std::map<std::string, std::string> out;
        for (auto& [sn, at_id] : newest) out.emplace(sn, std::move(at_id.second));
        return out;
      });
}

absl::StatusOr<CodeChange> MysqlCodeRepository::Change(const std::string& code_id,
                                                       const ChangeDecision& decide,
                                                       absl::Time now) {
  return pool_.InTransaction("change code", [&](sql::Connection& c) -> absl::StatusOr<CodeChange> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT ", kCodeColumns, " FROM collection_codes WHERE code_id = ? FOR UPDATE")));
    st->setString(1, code_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return absl::NotFoundError("code not found");
    auto current = ReadCode(*rs);
    if (!current.ok()) return current.status();
    auto change = decide(*current);
    if (!change.ok()) return change.status();
    UpdateCode(c, change->old_code, now);
    if (change->new_code) InsertCode(c, *change->new_code, now);
    InsertHistory(c, change->history);
    change->invalidation_seq = AppendInvalidation(c, code_id, "", now);
    return change;
  });
}

absl::Status MysqlCodeRepository::RecordDelivery(const std::string& sn, const std::string& code_id,
                                                 absl::Time now) {
  return pool_.Run("record delivery", [&](sql::Connection& c) -> absl::Status {
    sql::PreparedStatement* st = &common::Prepare(
        c,
        "INSERT INTO terminal_code_delivery (terminal_sn, code_id, delivered_at) VALUES (?, ?, ?) "
        "ON DUPLICATE KEY UPDATE code_id = VALUES(code_id), delivered_at = VALUES(delivered_at)");
    st->setString(1, sn);
    st->setString(2, code_id);
    st->setString(3, FormatSqlTime(now));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> MysqlCodeRepository::TerminalsHolding(
    const std::string& code_id) {
  return pool_.Run("terminals holding",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<std::string>> {
                     std::unique_ptr<sql::PreparedStatement> st(
                         c.prepareStatement("SELECT terminal_sn FROM terminal_code_delivery WHERE "
                                            "code_id = ? ORDER BY terminal_sn"));
                     st->setString(1, code_id);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     std::vector<std::string> out;
                     while (rs->next()) out.emplace_back(rs->getString(1));
                     return out;
                   });
}

absl::StatusOr<std::vector<HistoryEntry>> MysqlCodeRepository::History(const std::string& sn,
                                                                       const std::string& code_id) {
  return pool_.Run(
      "code history", [&](sql::Connection& c) -> absl::StatusOr<std::vector<HistoryEntry>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            sn.empty() ? "SELECT code_id, merchant_id, terminal_sn, event, reason, actor, at FROM "
                         "code_history WHERE code_id = ? ORDER BY entry_id LIMIT 1000"
                       : "SELECT code_id, merchant_id, terminal_sn, event, reason, actor, at FROM "
                         "code_history WHERE terminal_sn = ? ORDER BY entry_id LIMIT 1000"));
        st->setString(1, sn.empty() ? code_id : sn);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<HistoryEntry> out;
        while (rs->next()) {
          out.push_back(HistoryEntry{Str(*rs, 1), Str(*rs, 2), Str(*rs, 3), Str(*rs, 4),
                                     Str(*rs, 5), Str(*rs, 6), ParseSqlTime(rs->getString(7))});
        }
        return out;
      });
}

absl::Status MysqlCodeRepository::AddAlert(const AlertRecord& a) {
  return pool_.Run("add alert", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO code_alerts (merchant_id, code_id, terminal_sn, client, at) "
        "VALUES (?, ?, ?, ?, ?)"));
    st->setString(1, a.merchant_id);
    st->setString(2, a.code_id);
    BindNullable(*st, 3, a.terminal_sn);
    st->setString(4, common::TruncateUtf8(a.client, 64));
    st->setString(5, FormatSqlTime(a.at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AlertRecord>> MysqlCodeRepository::ListAlerts(
    const std::string& merchant_id, int limit) {
  return pool_.Run(
      "list alerts", [&](sql::Connection& c) -> absl::StatusOr<std::vector<AlertRecord>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            "SELECT alert_id, merchant_id, code_id, terminal_sn, client, at FROM code_alerts "
            "WHERE merchant_id = ? ORDER BY alert_id DESC LIMIT ?"));
        st->setString(1, merchant_id);
        st->setInt(2, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<AlertRecord> out;
        while (rs->next()) {
          out.push_back(AlertRecord{rs->getInt64(1), Str(*rs, 2), Str(*rs, 3), Str(*rs, 4),
                                    Str(*rs, 5), ParseSqlTime(rs->getString(6))});
        }
        return out;
      });
}

absl::StatusOr<int64_t> MysqlCodeRepository::CountAlerts(const std::string& merchant_id) {
  return pool_.Run("count alerts", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("SELECT COUNT(*) FROM code_alerts WHERE merchant_id = ?"));
    st->setString(1, merchant_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    rs->next();
    return rs->getInt64(1);
  });
}

absl::Status MysqlCodeRepository::CreateRequest(const RequestRecord& rec) {
  const ResetRequest& r = rec.request;
  return pool_.Run("create reset request", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        absl::StrCat("INSERT INTO code_reset_requests (", kRequestColumns,
                     ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
    st->setString(1, r.request_id);
    st->setString(2, r.merchant_id);
    st->setString(3, r.code_id);
    st->setString(4, std::string(ResetReasonName(r.reason)));
    st->setString(5, std::string(ResetModeName(r.mode)));
    st->setString(6, std::string(RequestStatusName(r.status)));
    st->setString(7, r.otp_hash);
    st->setString(8, FormatSqlTime(r.otp_expires_at));
    st->setInt(9, r.attempts);
    st->setString(10, FormatSqlTime(r.created_at));
    BindNullable(*st, 11, rec.new_code_id);
    BindNullable(*st, 12, rec.decided_by);
    st->setString(13, FormatSqlTime(r.created_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<RequestRecord>> MysqlCodeRepository::GetRequest(
    const std::string& id) {
  return pool_.Run(
      "get reset request", [&](sql::Connection& c) -> absl::StatusOr<std::optional<RequestRecord>> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
            "SELECT ", kRequestColumns, " FROM code_reset_requests WHERE request_id = ?")));
        st->setString(1, id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return std::optional<RequestRecord>();
        auto r = ReadRequest(*rs);
        if (!r.ok()) return r.status();
        return std::optional<RequestRecord>(*std::move(r));
      });
}

absl::StatusOr<RequestRecord> MysqlCodeRepository::UpdateRequest(const std::string& id,
                                                                 const RequestDecision& decide,
                                                                 absl::Time now) {
  return pool_.InTransaction(
      "update reset request", [&](sql::Connection& c) -> absl::StatusOr<RequestRecord> {
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
            absl::StrCat("SELECT ", kRequestColumns,
                         " FROM code_reset_requests WHERE request_id = ? FOR UPDATE")));
        st->setString(1, id);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        if (!rs->next()) return absl::NotFoundError("reset request not found");
        auto current = ReadRequest(*rs);
        if (!current.ok()) return current.status();
        auto next = decide(*current);
        if (!next.ok()) return next.status();
        std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
            "UPDATE code_reset_requests SET status = ?, attempts = ?, new_code_id = ?, "
            "decided_by = ?, updated_at = ? WHERE request_id = ?"));
        up->setString(1, std::string(RequestStatusName(next->request.status)));
        up->setInt(2, next->request.attempts);
        BindNullable(*up, 3, next->new_code_id);
        BindNullable(*up, 4, next->decided_by);
        up->setString(5, FormatSqlTime(now));
        up->setString(6, id);
        up->execute();
        return next;
      });
}

absl::StatusOr<std::vector<RequestRecord>> MysqlCodeRepository::ListRequests(
    std::optional<RequestStatus> status, const std::string& merchant_id, int limit) {
  return pool_.Run(
      "list reset requests", [&](sql::Connection& c) -> absl::StatusOr<std::vector<RequestRecord>> {
        std::string sql =
            absl::StrCat("SELECT ", kRequestColumns, " FROM code_reset_requests WHERE 1 = 1");
        if (status) sql += " AND status = ?";
        if (!merchant_id.empty()) sql += " AND merchant_id = ?";
        sql += " ORDER BY created_at DESC LIMIT ?";
        std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(sql));
        int i = 1;
        if (status) st->setString(i++, std::string(RequestStatusName(*status)));
        if (!merchant_id.empty()) st->setString(i++, merchant_id);
        st->setInt(i, limit);
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
        std::vector<RequestRecord> out;
        while (rs->next()) {
          auto r = ReadRequest(*rs);
          if (!r.ok()) return r.status();
          out.push_back(*std::move(r));
        }
        return out;
      });
}

absl::StatusOr<std::optional<std::string>> MysqlCodeRepository::GraceCodeReplacedBy(
    const std::string& code_id) {
  return pool_.Run("grace code replaced by",
                   [&](sql::Connection& c) -> absl::StatusOr<std::optional<std::string>> {
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
                         "SELECT code_id FROM collection_codes WHERE replaced_by = ? AND "
                         "status = 'GRACE' LIMIT 1"));
                     st->setString(1, code_id);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     if (!rs->next()) return std::optional<std::string>();
                     return std::optional<std::string>(rs->getString(1));
                   });
}

absl::StatusOr<std::pair<int64_t, int64_t>> MysqlCodeRepository::CountRequestsSince(
    const std::string& code_id, const std::string& merchant_id, absl::Time since) {
  return pool_.Run("count reset requests",
                   [&](sql::Connection& c) -> absl::StatusOr<std::pair<int64_t, int64_t>> {
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
                         "SELECT COUNT(*), COALESCE(SUM(code_id = ?), 0) FROM code_reset_requests "
                         "WHERE merchant_id = ? AND created_at >= ?"));
                     st->setString(1, code_id);
                     st->setString(2, merchant_id);
                     st->setString(3, FormatSqlTime(since));
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     rs->next();
                     return std::make_pair(rs->getInt64(2), rs->getInt64(1));
                   });
}

absl::StatusOr<MerchantBlockChange> MysqlCodeRepository::SetMerchantBlock(
    const std::string& merchant_id, const std::string& status, const std::string& reason,
    const std::string& actor, absl::Time now) {
  return pool_.InTransaction(
      "set merchant block", [&](sql::Connection& c) -> absl::StatusOr<MerchantBlockChange> {
        MerchantBlockChange out;
        if (status == "ACTIVE") {
          std::unique_ptr<sql::PreparedStatement> del(
              c.prepareStatement("DELETE FROM merchant_collection_blocks WHERE merchant_id = ?"));
          del->setString(1, merchant_id);
          del->execute();
        } else {
          std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
              "INSERT INTO merchant_collection_blocks (merchant_id, status, reason, updated_at) "
              "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE status = VALUES(status), "
              "reason = VALUES(reason), updated_at = VALUES(updated_at)"));
          up->setString(1, merchant_id);
          up->setString(2, status);
          up->setString(3, reason);
          up->setString(4, FormatSqlTime(now));
          up->execute();
        }
        if (status == "CLOSED") {
          // Set-based: history for every code about to be unbound, then the codes.
          std::unique_ptr<sql::PreparedStatement> hist(c.prepareStatement(
              "INSERT INTO code_history (code_id, merchant_id, terminal_sn, event, reason, actor, "
              "at) SELECT code_id, merchant_id, terminal_sn, 'UNBOUND', 'merchant closed', ?, ? "
              "FROM collection_codes WHERE merchant_id = ? AND status IN ('ACTIVE', 'GRACE')"));
          hist->setString(1, actor);
          hist->setString(2, FormatSqlTime(now));
          hist->setString(3, merchant_id);
          hist->execute();
          std::unique_ptr<sql::PreparedStatement> unbind(c.prepareStatement(
              "UPDATE collection_codes SET status = 'UNBOUND', valid_until = NULL, updated_at = ? "
              "WHERE merchant_id = ? AND status IN ('ACTIVE', 'GRACE')"));
          unbind->setString(1, FormatSqlTime(now));
          unbind->setString(2, merchant_id);
          out.codes_unbound = unbind->executeUpdate();
        }
        out.invalidation_seq = AppendInvalidation(c, "", merchant_id, now);
        return out;
      });
}

absl::StatusOr<int64_t> MysqlCodeRepository::Head() {
  return pool_.Run("invalidation head", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT seq FROM code_invalidation_head WHERE id = 1"));
    if (!rs->next()) return absl::InternalError("code invalidation head is missing");
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<Invalidation>> MysqlCodeRepository::Since(int64_t after, int limit) {
  return pool_.Run("read invalidations",
                   [&](sql::Connection& c) -> absl::StatusOr<std::vector<Invalidation>> {
                     std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
                         "SELECT seq, code_id, merchant_id FROM code_invalidations WHERE seq > ? "
                         "ORDER BY seq LIMIT ?"));
                     st->setInt64(1, after);
                     st->setInt(2, limit);
                     std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
                     std::vector<Invalidation> out;
                     while (rs->next()) {
                       out.push_back(Invalidation{rs->getInt64(1), Str(*rs, 2), Str(*rs, 3)});
                     }
                     return out;
                   });
}

absl::Status MysqlCodeRepository::Heartbeat(const std::string& instance, int64_t applied) {
  return pool_.Run("cache heartbeat", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO code_cache_instances (instance_id, applied_seq, seen_at) VALUES (?, ?, "
        "NOW(6)) ON DUPLICATE KEY UPDATE applied_seq = GREATEST(applied_seq, VALUES(applied_seq)), "
        "seen_at = NOW(6)"));
    st->setString(1, instance);
    st->setInt64(2, applied);
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> MysqlCodeRepository::Behind(int64_t seq, absl::Duration within) {
  return pool_.Run("cache instances behind", [&](sql::Connection& c) -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "SELECT COUNT(*) FROM code_cache_instances WHERE seen_at > NOW(6) - INTERVAL ? "
        "MICROSECOND AND applied_seq < ?"));
    st->setInt64(1, absl::ToInt64Microseconds(within));
    st->setInt64(2, seq);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    rs->next();
    return rs->getInt64(1);
  });
}

}  // namespace aggpay::binding
