#include "services/common/mysql/migrator.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto/crypto.h"
#include "services/common/log/logging.h"

namespace aggpay::common {

std::vector<std::string> SplitSqlStatements(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.substr(0, 2) == "--") continue;
    absl::StrAppend(&current, line, "\n");
    if (trimmed.back() == ';') {
      current.erase(current.find_last_of(';'));
      if (!absl::StripAsciiWhitespace(current).empty()) out.push_back(current);
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) out.push_back(current);
  return out;
}

absl::Status EnsureDatabase(MysqlOptions options) {
  const std::string database = options.database;
  for (char c : database) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return absl::InvalidArgumentError("mysql.database: only letters, digits and _");
    }
  }
  options.database.clear();
  options.pool_size = 1;
  auto pool = MysqlPool::Create(options);
  if (!pool.ok()) return pool.status();
  return (*pool)->Run("create database", [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::Statement> stmt(c.createStatement());
    stmt->execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS `", database,
                               "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
    return absl::OkStatus();
  });
}

absl::StatusOr<MigrationResult> ApplyMigrations(MysqlPool& pool, const std::string& dir) {
  std::map<int, std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    int version = 0;
    if (name.size() < 6 || name[4] != '_' || !absl::SimpleAtoi(name.substr(0, 4), &version)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": migration files are named NNNN_name.sql"));
    }
    if (!files.emplace(version, entry.path()).second) {
      return absl::InvalidArgumentError(absl::StrCat("two migrations numbered ", version));
    }
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat(dir, ": ", ec.message()));

  return pool.Run("migrate", [&](sql::Connection& c) -> absl::StatusOr<MigrationResult> {
    std::unique_ptr<sql::Statement> stmt(c.createStatement());
    {
      std::unique_ptr<sql::ResultSet> rs(
          stmt->executeQuery("SELECT GET_LOCK('aggpay_migrate', 60)"));
      if (!rs->next() || rs->getInt(1) != 1) {
        return absl::UnavailableError("another migration holds the lock");
      }
    }
    struct Unlock {
      sql::Statement* s;
      ~Unlock() {
        try {
          std::unique_ptr<sql::ResultSet> r(
              s->executeQuery("SELECT RELEASE_LOCK('aggpay_migrate')"));
        } catch (const sql::SQLException&) {
        }
      }
    } unlock{stmt.get()};
    stmt->execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INT NOT NULL PRIMARY KEY,"
        " name VARCHAR(255) NOT NULL,"
        " checksum CHAR(64) NOT NULL,"
        " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
        ") ENGINE=InnoDB");
    std::map<int, std::string> applied;
    {
      std::unique_ptr<sql::ResultSet> rs(
          stmt->executeQuery("SELECT version, checksum FROM schema_migrations"));
      while (rs->next()) applied[rs->getInt(1)] = rs->getString(2);
    }
    MigrationResult result;
    for (const auto& [version, path] : files) {
      std::ifstream in(path);
      std::stringstream buf;
      buf << in.rdbuf();
      const std::string text = buf.str();
      const std::string checksum = Sha256Hex(text);
      const std::string name = path.filename().string();
      if (auto it = applied.find(version); it != applied.end()) {
        if (it->second != checksum) {
          return absl::FailedPreconditionError(
              absl::StrCat(name, " changed after it was applied; add a new migration instead"));
        }
        ++result.already_applied;
        continue;
      }
      for (const std::string& sql : SplitSqlStatements(text)) stmt->execute(sql);
      std::unique_ptr<sql::PreparedStatement> ins(c.prepareStatement(
          "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)"));
      ins->setInt(1, version);
      ins->setString(2, name);
      ins->setString(3, checksum);
      ins->execute();
      spdlog::info("migration applied: {}", name);
      result.applied.push_back(name);
    }
    return result;
  });
}

}  // namespace aggpay::common
