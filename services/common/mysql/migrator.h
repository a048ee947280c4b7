#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {

struct MigrationResult {
  std::vector<std::string> applied;  // file names applied by this run
  int already_applied = 0;
};

// Applies `dir`/NNNN_name.sql in order and records each in schema_migrations with its checksum.
// Safe to run twice and from several processes at once (a named lock serializes them). A file
// that changed after it was applied is FAILED_PRECONDITION: migrations are append-only.
absl::StatusOr<MigrationResult> ApplyMigrations(MysqlPool& pool, const std::string& dir);

// Creates the database if it does not exist (connecting without selecting one).
absl::Status EnsureDatabase(MysqlOptions options);

// Splits a migration file into statements at semicolons that end a line, skipping comments.
std::vector<std::string> SplitSqlStatements(const std::string& text);

}  // namespace aggpay::common
