#include "services/common/grpc/proto_mapping.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"

namespace aggpay::common {

using google::protobuf::util::TimeUtil;

absl::StatusOr<Money> FromProto(const aggpay::v1::Money& money, absl::string_view field) {
  auto currency = Currency::Find(money.currency(), absl::StrCat(field, ".currency"));
  if (!currency.ok()) return currency.status();
  return Money(money.amount_minor(), *currency);
}

aggpay::v1::Money ToProto(const Money& money) {
  aggpay::v1::Money out;
  out.set_currency(std::string(money.currency().code()));
  out.set_amount_minor(money.amount_minor());
  return out;
}

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

absl::Time FromProtoTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

std::optional<absl::Time> OptionalTime(bool has, const google::protobuf::Timestamp& t) {
  if (!has || (t.seconds() == 0 && t.nanos() == 0)) return std::nullopt;
  return FromProtoTime(t);
}

absl::Status ValidateId(absl::string_view id, absl::string_view field) {
  if (id.empty()) return InvalidField(field, "is required");
  if (id.size() > 64) return InvalidField(field, "is longer than 64 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return InvalidField(field, "may contain only letters, digits, '_', '-' and '.'");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int requested) { return PageSize(requested, 50, 500); }

absl::StatusOr<int> PageSize(int requested, int default_size, int max_size) {
  if (requested < 0 || requested > max_size) {
    return InvalidField("page_size", absl::StrCat("must be between 0 and ", max_size));
  }
  return requested == 0 ? default_size : requested;
}

std::string EncodePageToken(absl::string_view last_key) { return Base64UrlEncode(last_key); }

absl::StatusOr<std::string> DecodePageToken(absl::string_view token) {
  if (token.empty()) return std::string();
  auto decoded = Base64UrlDecode(token);
  if (!decoded.ok()) return InvalidField("page_token", "is malformed");
  return *decoded;
}

}  // namespace aggpay::common
