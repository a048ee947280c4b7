#pragma once

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {

// Runs `head` + "(?, ?, ...)" + `tail` for `keys` (non-empty) as one prepared statement: the IN
// list is padded to PaddedCount(keys.size()) by repeating the last key, so a connection prepares
// a few texts once. Calls on_row(result_set) for each row. Throws the driver's exceptions.
// For the batched reads (BatchedRead): "SELECT ... FROM t WHERE k IN " with tail "" or " AND ...".
template <typename OnRow>
void SelectByKeys(sql::Connection& c, const std::string& head, absl::Span<const std::string> keys,
                  const std::string& tail, OnRow&& on_row) {
  const size_t n = PaddedCount(keys.size());
  sql::PreparedStatement* st = &Prepare(c, absl::StrCat(head, "(", Placeholders(n), ")", tail));
  for (size_t i = 0; i < n; ++i) {
    st->setString(static_cast<int>(i + 1), keys[std::min(i, keys.size() - 1)]);
  }
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
  while (rs->next()) on_row(*rs);
}

}  // namespace aggpay::common
