#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace aggpay::common {

// The one mapping from absl::Status to grpc::Status. Only gRPC handlers call it. The field named
// by a field error (see status/field_errors.h) travels as a google.rpc.BadRequest detail.
// INTERNAL and UNKNOWN messages are replaced by a generic text: details stay in the log.
grpc::Status ToGrpcStatus(const absl::Status& status);

// For calls between services: a grpc::Status back to absl::Status, keeping the code and message.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace aggpay::common
