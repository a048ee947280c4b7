#include "services/admin/mysql_staff_repository.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace aggpay::admin {
namespace {

using common::FormatSqlTime;
using common::ParseSqlTime;

constexpr const char* kStaffColumns =
    "s.staff_id, s.username, s.display_name, s.role, s.status, s.created_at";

Staff ReadStaff(sql::ResultSet& rs, int first = 1) {
  Staff s;
  s.staff_id = rs.getString(first);
  s.username = rs.getString(first + 1);
  s.display_name = rs.getString(first + 2);
  s.role = rs.getString(first + 3);
  s.status =
      ParseStaffStatus(std::string(rs.getString(first + 4))).value_or(StaffStatus::kDisabled);
  s.created_at = ParseSqlTime(rs.getString(first + 5));
  return s;
}

}  // namespace

absl::Status MysqlStaffRepository::CreateStaff(const Staff& s) {
  auto status = pool_.Run("create staff", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO staff (staff_id, username, display_name, role, status, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    st->setString(1, s.staff_id);
    st->setString(2, s.username);
    st->setString(3, s.display_name);
    st->setString(4, s.role);
    st->setString(5, std::string(StaffStatusName(s.status)));
    st->setString(6, FormatSqlTime(s.created_at));
    st->setString(7, FormatSqlTime(s.created_at));
    st->execute();
    return absl::OkStatus();
  });
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(absl::StrCat("username \"", s.username, "\" is taken"));
  }
  return status;
}

absl::StatusOr<std::optional<Staff>> MysqlStaffRepository::FindOne(const char* where,
                                                                   const std::string& value) {
  return pool_.Run("find staff", [&](sql::Connection& c) -> absl::StatusOr<std::optional<Staff>> {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement(absl::StrCat("SELECT ", kStaffColumns, " FROM staff s WHERE ", where)));
    st->setString(1, value);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::optional<Staff>();
    return std::optional<Staff>(ReadStaff(*rs));
  });
}

absl::StatusOr<std::optional<Staff>> MysqlStaffRepository::FindStaff(const std::string& id) {
  return FindOne("s.staff_id = ?", id);
}

absl::StatusOr<std::optional<Staff>> MysqlStaffRepository::FindStaffByUsername(
    const std::string& username) {
  return FindOne("s.username = ?", username);
}

absl::StatusOr<std::vector<Staff>> MysqlStaffRepository::ListStaff(const std::string& after,
                                                                   int limit) {
  return pool_.Run("list staff", [&](sql::Connection& c) -> absl::StatusOr<std::vector<Staff>> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        absl::StrCat("SELECT ", kStaffColumns,
                     " FROM staff s WHERE s.staff_id > ? ORDER BY s.staff_id LIMIT ?")));
    st->setString(1, after);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<Staff> out;
    while (rs->next()) out.push_back(ReadStaff(*rs));
    return out;
  });
}

absl::StatusOr<Staff> MysqlStaffRepository::DisableStaff(const std::string& staff_id,
                                                         absl::Time now) {
  return pool_.InTransaction("disable staff", [&](sql::Connection& c) -> absl::StatusOr<Staff> {
    std::unique_ptr<sql::PreparedStatement> up(c.prepareStatement(
        "UPDATE staff SET status = 'DISABLED', updated_at = ? WHERE staff_id = ?"));
    up->setString(1, FormatSqlTime(now));
    up->setString(2, staff_id);
    up->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> revoke(c.prepareStatement(
        "UPDATE staff_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL"));
    revoke->setString(1, FormatSqlTime(now));
    revoke->setString(2, staff_id);
    revoke->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> end(c.prepareStatement(
        "UPDATE staff_sessions SET ended_at = ? WHERE staff_id = ? AND ended_at IS NULL"));
    end->setString(1, FormatSqlTime(now));
    end->setString(2, staff_id);
    end->executeUpdate();
    std::unique_ptr<sql::PreparedStatement> get(c.prepareStatement(
        absl::StrCat("SELECT ", kStaffColumns, " FROM staff s WHERE s.staff_id = ?")));
    get->setString(1, staff_id);
    std::unique_ptr<sql::ResultSet> rs(get->executeQuery());
    if (!rs->next()) return absl::NotFoundError(absl::StrCat("staff ", staff_id, " not found"));
    return ReadStaff(*rs);
  });
}

absl::Status MysqlStaffRepository::CreateToken(const StaffToken& t) {
  return pool_.Run("create token", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO staff_tokens (token_id, token_hash, staff_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)"));
    st->setString(1, t.token_id);
    st->setString(2, t.token_hash);
    st->setString(3, t.staff_id);
    st->setString(4, FormatSqlTime(t.created_at));
    st->setString(5, FormatSqlTime(t.expires_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::pair<StaffToken, Staff>>> MysqlStaffRepository::FindToken(
    const std::string& token_hash) {
  using Result = std::optional<std::pair<StaffToken, Staff>>;
  return pool_.Run("find token", [&](sql::Connection& c) -> absl::StatusOr<Result> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT t.token_id, t.token_hash, t.staff_id, t.created_at, t.expires_at, t.revoked_at, ",
        kStaffColumns,
        " FROM staff_tokens t JOIN staff s ON s.staff_id = t.staff_id WHERE t.token_hash = ?")));
    st->setString(1, token_hash);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return Result();
    StaffToken t;
    t.token_id = rs->getString(1);
    t.token_hash = rs->getString(2);
    t.staff_id = rs->getString(3);
    t.created_at = ParseSqlTime(rs->getString(4));
    t.expires_at = ParseSqlTime(rs->getString(5));
    if (!rs->isNull(6)) t.revoked_at = ParseSqlTime(rs->getString(6));
    return Result(std::make_pair(std::move(t), ReadStaff(*rs, 7)));
  });
}

absl::Status MysqlStaffRepository::RevokeToken(const std::string& token_id, absl::Time now) {
  return pool_.Run("revoke token", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE staff_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token_id = ?"));
    st->setString(1, FormatSqlTime(now));
    st->setString(2, token_id);
    if (st->executeUpdate() == 0) {
      return absl::NotFoundError(absl::StrCat("token ", token_id, " not found"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<StaffCredentials>> MysqlStaffRepository::FindCredentials(
    const std::string& username) {
  using Result = std::optional<StaffCredentials>;
  return pool_.Run("find staff credentials", [&](sql::Connection& c) -> absl::StatusOr<Result> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        absl::StrCat("SELECT ", kStaffColumns,
                     ", COALESCE(s.password_hash, ''), COALESCE(s.totp_secret_sealed, ''), "
                     "s.totp_last_step, s.failed_sign_ins, s.locked_until FROM staff s "
                     "WHERE s.username = ?")));
    st->setString(1, username);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return Result();
    StaffCredentials out;
    out.staff = ReadStaff(*rs);
    out.password_hash = rs->getString(7);
    out.totp_secret_sealed = rs->getString(8);
    out.totp_last_step = rs->getInt64(9);
    out.failed_sign_ins = rs->getInt(10);
    if (!rs->isNull(11)) out.locked_until = ParseSqlTime(rs->getString(11));
    return Result(std::move(out));
  });
}

absl::Status MysqlStaffRepository::SetCredentials(const std::string& staff_id,
                                                  const std::string& password_hash,
                                                  const std::string& totp_secret_sealed,
                                                  absl::Time now) {
  return pool_.Run("set staff credentials", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("UPDATE staff SET password_hash = ?, "
                           "totp_secret_sealed = IF(? = '', totp_secret_sealed, ?), "
                           "totp_last_step = IF(? = '', totp_last_step, 0), failed_sign_ins = 0, "
                           "locked_until = NULL, updated_at = ? WHERE staff_id = ?"));
    st->setString(1, password_hash);
    st->setString(2, totp_secret_sealed);
    st->setString(3, totp_secret_sealed);
    st->setString(4, totp_secret_sealed);
    st->setString(5, FormatSqlTime(now));
    st->setString(6, staff_id);
    if (st->executeUpdate() == 0) {
      return absl::NotFoundError(absl::StrCat("staff ", staff_id, " not found"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> MysqlStaffRepository::ConsumeTotpStep(const std::string& staff_id,
                                                           int64_t step) {
  return pool_.Run("consume totp step", [&](sql::Connection& c) -> absl::StatusOr<bool> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE staff SET totp_last_step = ?, failed_sign_ins = 0, locked_until = NULL "
        "WHERE staff_id = ? AND totp_last_step < ?"));
    st->setInt64(1, step);
    st->setString(2, staff_id);
    st->setInt64(3, step);
    return st->executeUpdate() == 1;
  });
}

absl::Status MysqlStaffRepository::RecordSignInFailure(const std::string& staff_id, int lock_after,
                                                       absl::Time lock_until) {
  return pool_.Run("record sign-in failure", [&](sql::Connection& c) -> absl::Status {
    // One statement, so concurrent failures each count. MariaDB evaluates SET left to right:
    // the lock sees the incremented count.
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE staff SET failed_sign_ins = failed_sign_ins + 1, "
        "locked_until = IF(failed_sign_ins >= ?, ?, locked_until) WHERE staff_id = ?"));
    st->setInt(1, lock_after);
    st->setString(2, FormatSqlTime(lock_until));
    st->setString(3, staff_id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlStaffRepository::CreateSession(const StaffSession& s) {
  return pool_.Run("create session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "INSERT INTO staff_sessions (session_id, session_hash, staff_id, created_at, "
        "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"));
    st->setString(1, s.session_id);
    st->setString(2, s.session_hash);
    st->setString(3, s.staff_id);
    st->setString(4, FormatSqlTime(s.created_at));
    st->setString(5, FormatSqlTime(s.last_seen_at));
    st->setString(6, FormatSqlTime(s.expires_at));
    st->execute();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<std::pair<StaffSession, Staff>>> MysqlStaffRepository::FindSession(
    const std::string& session_hash) {
  using Result = std::optional<std::pair<StaffSession, Staff>>;
  return pool_.Run("find session", [&](sql::Connection& c) -> absl::StatusOr<Result> {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(absl::StrCat(
        "SELECT x.session_id, x.session_hash, x.staff_id, x.created_at, x.last_seen_at, "
        "x.expires_at, x.ended_at, ",
        kStaffColumns,
        " FROM staff_sessions x JOIN staff s ON s.staff_id = x.staff_id "
        "WHERE x.session_hash = ?")));
    st->setString(1, session_hash);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return Result();
    StaffSession x;
    x.session_id = rs->getString(1);
    x.session_hash = rs->getString(2);
    x.staff_id = rs->getString(3);
    x.created_at = ParseSqlTime(rs->getString(4));
    x.last_seen_at = ParseSqlTime(rs->getString(5));
    x.expires_at = ParseSqlTime(rs->getString(6));
    if (!rs->isNull(7)) x.ended_at = ParseSqlTime(rs->getString(7));
    return Result(std::make_pair(std::move(x), ReadStaff(*rs, 8)));
  });
}

absl::Status MysqlStaffRepository::TouchSession(const std::string& session_id, absl::Time now) {
  return pool_.Run("touch session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(
        c.prepareStatement("UPDATE staff_sessions SET last_seen_at = GREATEST(last_seen_at, ?) "
                           "WHERE session_id = ? AND ended_at IS NULL"));
    st->setString(1, FormatSqlTime(now));
    st->setString(2, session_id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlStaffRepository::EndSession(const std::string& session_hash, absl::Time now) {
  return pool_.Run("end session", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> st(c.prepareStatement(
        "UPDATE staff_sessions SET ended_at = COALESCE(ended_at, ?) WHERE session_hash = ?"));
    st->setString(1, FormatSqlTime(now));
    st->setString(2, session_hash);
    if (st->executeUpdate() == 0) return absl::NotFoundError("no such session");
    return absl::OkStatus();
  });
}

}  // namespace aggpay::admin
