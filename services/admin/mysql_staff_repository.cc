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

}  // namespace aggpay::admin
