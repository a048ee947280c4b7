#pragma once
// Plain SQL for tests that check rows directly: one statement run, one value read back.
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::testing {

// Runs one statement (DDL, or a write whose row count is not needed).
inline absl::Status ExecSql(common::MysqlPool& pool, const std::string& sql) {
  return pool.Run("exec", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    st->execute(sql);
    return absl::OkStatus();
  });
}

// The first column of the first row of `sql`, "NULL" when there is none or it is NULL.
inline std::string QueryOne(common::MysqlPool& pool, const std::string& sql) {
  return *pool.Run("query", [&](sql::Connection& c) -> absl::StatusOr<std::string> {
    std::unique_ptr<sql::Statement> st(c.createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
    if (!rs->next() || rs->isNull(1)) return std::string("NULL");
    return std::string(rs->getString(1));
  });
}

}  // namespace aggpay::testing
