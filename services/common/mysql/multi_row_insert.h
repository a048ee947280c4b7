#pragma once

#include <cppconn/prepared_statement.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/mysql/mysql_pool.h"

namespace aggpay::common {

// Many rows of one table in as few statements as the count allows: chunks of 32, 16, ... 1 rows,
// so that a connection prepares at most six texts, each once (common::Prepare). The texts are
// made once, when the object is built (keep it static).
class MultiRowInsert {
 public:
  static constexpr size_t kMaxRows = 32;

  // head: "INSERT INTO t (a, b, c) VALUES "; row: one row's values, "(?, ?, NOW(6))". Any other
  // statement over a list of rows fits too, with its own separator and tail: an UPDATE joined
  // to "SELECT ? AS a, ? AS b" rows separated by " UNION ALL ".
  MultiRowInsert(absl::string_view head, absl::string_view row, absl::string_view separator = ", ",
                 absl::string_view tail = "") {
    for (size_t n = 1; n <= kMaxRows; n *= 2) {
      std::string sql(head);
      for (size_t r = 0; r < n; ++r) absl::StrAppend(&sql, r == 0 ? "" : separator, row);
      absl::StrAppend(&sql, tail);
      texts_.push_back(std::move(sql));
    }
  }

  // The text for `rows` rows, a power of two up to kMaxRows.
  const std::string& Text(size_t rows) const {
    size_t k = 0;
    while ((size_t{1} << k) < rows) ++k;
    return texts_[k];
  }

  // Inserts `count` rows: bind(statement, &parameter_index, row) binds row k's values from
  // parameter_index on, advancing it. Throws the driver's exceptions.
  template <typename Bind>
  void Run(sql::Connection& conn, size_t count, Bind&& bind) const {
    size_t done = 0;
    while (done < count) {
      size_t chunk = kMaxRows;
      while (chunk > count - done) chunk /= 2;
      sql::PreparedStatement& st = Prepare(conn, Text(chunk));
      int index = 1;
      for (size_t r = 0; r < chunk; ++r) bind(st, &index, done + r);
      st.execute();
      done += chunk;
    }
  }

 private:
  std::vector<std::string> texts_;
};

}  // namespace aggpay::common
