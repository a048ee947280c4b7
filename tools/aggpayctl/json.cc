// Proto -> JSON for the command line. Unlike protobuf's JSON mapping it prints 64-bit integers
// as numbers ("amount_minor": 3800), which is what shell users and jq expect; field names stay
// as in the proto, and unset message fields are left out (an absent cap means "no cap").

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/util/time_util.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/money/money.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendString(std::string* out, const std::string& s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendMessage(const Message& m, std::string* out);

void AppendValue(const Message& m, const Reflection* r, const FieldDescriptor* f, int index,
                 std::string* out) {
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      absl::StrAppend(out, rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      absl::StrAppend(out, rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      *out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      AppendString(out, (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name());
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) s = absl::Base64Escape(s);
      AppendString(out, s);
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessage(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      break;
  }
}

void AppendMessage(const Message& m, std::string* out) {
  const auto* d = m.GetDescriptor();
  if (d->full_name() == "google.protobuf.Timestamp") {
    AppendString(out, google::protobuf::util::TimeUtil::ToString(
                          static_cast<const google::protobuf::Timestamp&>(m)));
    return;
  }
  const Reflection* r = m.GetReflection();
  out->push_back('{');
  bool first = true;
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (!f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !r->HasField(m, f)) {
      continue;
    }
    if (!first) out->push_back(',');
    first = false;
    AppendString(out, f->name());
    out->push_back(':');
    if (f->is_map()) {
      out->push_back('{');
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        const Message& entry = r->GetRepeatedMessage(m, f, k);
        const auto* er = entry.GetReflection();
        const auto* key = entry.GetDescriptor()->map_key();
        const auto* value = entry.GetDescriptor()->map_value();
        if (k > 0) out->push_back(',');
        std::string key_text;
        AppendValue(entry, er, key, -1, &key_text);
        if (key_text.empty() || key_text[0] != '"') key_text = absl::StrCat("\"", key_text, "\"");
        *out += key_text;
        out->push_back(':');
        AppendValue(entry, er, value, -1, out);
      }
      out->push_back('}');
    } else if (f->is_repeated()) {
      out->push_back('[');
      for (int k = 0; k < r->FieldSize(m, f); ++k) {
        if (k > 0) out->push_back(',');
        AppendValue(m, r, f, k, out);
      }
      out->push_back(']');
    } else {
      AppendValue(m, r, f, -1, out);
    }
  }
  out->push_back('}');
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  AppendMessage(message, &out);
  return out;
}

grpc::Status ParseAmount(const std::string& text, const std::string& currency,
                         const std::string& field, aggpay::v1::Money* out) {
  auto cur = common::Currency::Find(currency, "currency");
  if (!cur.ok())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(cur.status().message()));
  auto money = common::Money::Parse(text, *cur, field);
  if (!money.ok())
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(money.status().message()));
  out->set_currency(std::string(cur->code()));
  out->set_amount_minor(money->amount_minor());
  return grpc::Status::OK;
}

grpc::Status ReadFileArg(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "file: cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return grpc::Status::OK;
}

std::string Decimal(const aggpay::v1::Money& m) {
  auto money = common::Money::Of(m.amount_minor(), m.currency());
  return money.ok() ? money->ToString() : absl::StrCat(m.amount_minor(), " ", m.currency());
}

}  // namespace aggpay::ctl
