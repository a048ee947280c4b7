#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Propagates a non-OK absl::Status out of the enclosing function.
#define RETURN_IF_ERROR(expr)                                           \
  do {                                                                  \
    if (::absl::Status aggpay_status_ = (expr); !aggpay_status_.ok()) { \
      return aggpay_status_;                                            \
    }                                                                   \
  } while (false)

#define AGGPAY_CONCAT_INNER(a, b) a##b
#define AGGPAY_CONCAT(a, b) AGGPAY_CONCAT_INNER(a, b)

// ASSIGN_OR_RETURN(lhs, expr): evaluates an absl::StatusOr<T> expression, returns its status
// when it is not OK, otherwise assigns (moves) the value into lhs, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, expr) \
  AGGPAY_ASSIGN_OR_RETURN_IMPL(AGGPAY_CONCAT(aggpay_statusor_, __LINE__), lhs, expr)

#define AGGPAY_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) {                                   \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = std::move(statusor).value()
