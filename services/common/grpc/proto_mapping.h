#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggpay/v1/common.pb.h"
#include "services/common/money/money.h"

namespace aggpay::common {

// proto Money -> Money. INVALID_ARGUMENT naming "<field>.currency" for an unknown currency.
absl::StatusOr<Money> FromProto(const aggpay::v1::Money& money, absl::string_view field);
aggpay::v1::Money ToProto(const Money& money);

google::protobuf::Timestamp ToProtoTime(absl::Time t);
absl::Time FromProtoTime(const google::protobuf::Timestamp& t);
// An unset timestamp (zero) is nullopt.
std::optional<absl::Time> OptionalTime(bool has, const google::protobuf::Timestamp& t);

// Ids named in requests (merchants, agents, plans): 1-64 of [A-Za-z0-9_.-].
absl::Status ValidateId(absl::string_view id, absl::string_view field);

// Page sizes: 0 means the default (50); at most 500. INVALID_ARGUMENT naming page_size.
absl::StatusOr<int> PageSize(int requested);
// The same rule for a list with its own documented bounds (settlement lines: 1,000 and 10,000).
absl::StatusOr<int> PageSize(int requested, int default_size, int max_size);
// Keyset page tokens are the last key of the previous page, base64url-encoded.
std::string EncodePageToken(absl::string_view last_key);
absl::StatusOr<std::string> DecodePageToken(absl::string_view token);

}  // namespace aggpay::common
