#include "services/terminal/domain/terminal.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/common/text/utf8.h"

namespace aggpay::terminal {
namespace {

using S = TerminalStatus;
using A = TerminalAction;

// How an action reads in "cannot <verb> a terminal in <STATE>".
absl::string_view ActionVerb(TerminalAction action) {
  switch (action) {
    case A::kActivate:
      return "activate";
    case A::kCheckIn:
      return "check in";
    case A::kForceOffline:
      return "force offline";
    case A::kClear:
      return "clear";
    case A::kFreeze:
      return "freeze";
    case A::kUnfreeze:
      return "unfreeze";
    case A::kRetire:
      return "retire";
    case A::kUpdateConfig:
      return "update the configuration of";
  }
  return "act on";
}

// What the caller can do about a refused pair, appended after ": ". Empty when nothing helps.
absl::string_view WayOut(TerminalStatus from, TerminalAction action) {
  switch (action) {
    case A::kActivate:
      if (from == S::kActive) return "it is already active";
      if (from == S::kOffline) return "it must be cleared first";
      if (from == S::kFrozen) return "it is frozen pending risk review";
      break;
    case A::kCheckIn:
      if (from == S::kRegistered) return "it must be activated first";
      if (from == S::kOffline) return "it must be cleared and activated again";
      if (from == S::kFrozen) return "it is frozen pending risk review";
      break;
    case A::kForceOffline:
      if (from == S::kRegistered) return "it has not been activated";
      break;
    case A::kClear:
      return "only an OFFLINE terminal can be cleared";
    case A::kFreeze:
      return "only an ACTIVE terminal can be frozen";
    case A::kUnfreeze:
      return "it is not frozen";
    case A::kRetire:
    case A::kUpdateConfig:
      break;
  }
  return "";
}

std::optional<TerminalStatus> Next(TerminalStatus from, TerminalAction action) {
  if (from == S::kRetired) return std::nullopt;
  switch (action) {
    case A::kActivate:
      if (from == S::kRegistered) return S::kActive;
      break;
    case A::kCheckIn:
      if (from == S::kActive) return S::kActive;
      break;
    case A::kForceOffline:
      if (from == S::kActive || from == S::kFrozen || from == S::kOffline) return S::kOffline;
      break;
    case A::kClear:
      if (from == S::kOffline) return S::kRegistered;
      break;
    case A::kFreeze:
      if (from == S::kActive) return S::kFrozen;
      break;
    case A::kUnfreeze:
      if (from == S::kFrozen) return S::kActive;
      break;
    case A::kRetire:
      return S::kRetired;
    case A::kUpdateConfig:
      return from;
  }
  return std::nullopt;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

absl::Status ValidateToken(absl::string_view value, absl::string_view field, size_t min_size,
                           size_t max_size) {
  if (value.empty()) return common::InvalidField(field, "is required");
  if (value.size() < min_size || value.size() > max_size) {
    return common::InvalidField(
        field, absl::StrCat("must be ", min_size, " to ", max_size, " characters"));
  }
  for (char c : value) {
    if (!IsTokenChar(c)) {
      return common::InvalidField(field, "may contain only A-Z, a-z, 0-9, _ and -");
    }
  }
  return absl::OkStatus();
}

// Decodes the code point starting at value[*i] and advances *i past it; false for anything that
// is not well-formed UTF-8 (truncated, overlong, a surrogate, above U+10FFFF).
bool NextCodePoint(absl::string_view value, size_t* i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(value[k]); };
  const uint8_t lead = byte(*i);
  size_t extra = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if (lead < 0x80) {
    *code_point = lead;
    ++*i;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (*i + extra >= value.size()) return false;
  for (size_t k = 1; k <= extra; ++k) {
    const uint8_t b = byte(*i + k);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  *code_point = cp;
  *i += extra + 1;
  return true;
}

}  // namespace

absl::string_view TerminalTypeName(TerminalType type) {
  switch (type) {
    case TerminalType::kPos:
      return "POS";
    case TerminalType::kSmartPos:
      return "SMART_POS";
    case TerminalType::kCloudSpeaker:
      return "CLOUD_SPEAKER";
    case TerminalType::kQrStand:
      return "QR_STAND";
    case TerminalType::kCashierSoftware:
      return "CASHIER_SOFTWARE";
  }
  return "UNKNOWN";
}

absl::StatusOr<TerminalType> ParseTerminalType(absl::string_view name, absl::string_view field) {
  for (TerminalType type : kAllTerminalTypes) {
    if (TerminalTypeName(type) == name) return type;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown terminal type \"", name,
                          "\" (want POS, SMART_POS, CLOUD_SPEAKER, QR_STAND or CASHIER_SOFTWARE)"));
}

absl::string_view TerminalStatusName(TerminalStatus status) {
  switch (status) {
    case S::kRegistered:
      return "REGISTERED";
    case S::kActive:
      return "ACTIVE";
    case S::kOffline:
      return "OFFLINE";
    case S::kFrozen:
      return "FROZEN";
    case S::kRetired:
      return "RETIRED";
  }
  return "UNKNOWN";
}

absl::StatusOr<TerminalStatus> ParseTerminalStatus(absl::string_view name,
                                                   absl::string_view field) {
  for (TerminalStatus status : kAllTerminalStatuses) {
    if (TerminalStatusName(status) == name) return status;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown terminal status \"", name,
                          "\" (want REGISTERED, ACTIVE, OFFLINE, FROZEN or RETIRED)"));
}

absl::string_view TerminalActionName(TerminalAction action) {
  switch (action) {
    case A::kActivate:
      return "ACTIVATE";
    case A::kCheckIn:
      return "CHECK_IN";
    case A::kForceOffline:
      return "FORCE_OFFLINE";
    case A::kClear:
      return "CLEAR";
    case A::kFreeze:
      return "FREEZE";
    case A::kUnfreeze:
      return "UNFREEZE";
    case A::kRetire:
      return "RETIRE";
    case A::kUpdateConfig:
      return "UPDATE_CONFIG";
  }
  return "UNKNOWN";
}

absl::StatusOr<TerminalStatus> Transition(TerminalStatus from, TerminalAction action) {
  if (std::optional<TerminalStatus> to = Next(from, action)) return *to;
  if (from == S::kRetired) return common::FailedPreconditionField("status", "terminal is RETIRED");
  std::string message =
      absl::StrCat("cannot ", ActionVerb(action), " a terminal in ", TerminalStatusName(from));
  if (absl::string_view way_out = WayOut(from, action); !way_out.empty()) {
    absl::StrAppend(&message, ": ", way_out);
  }
  return common::FailedPreconditionField("status", message);
}

bool IsAllowed(TerminalStatus from, TerminalAction action) {
  return Next(from, action).has_value();
}

absl::Status ValidateSerial(absl::string_view serial, absl::string_view field) {
  return ValidateToken(serial, field, 4, 64);
}

absl::Status ValidateDeviceId(absl::string_view device_id, absl::string_view field) {
  return ValidateToken(device_id, field, 8, 128);
}

absl::Status ValidateVendor(absl::string_view vendor, absl::string_view field) {
  if (vendor.empty()) return common::InvalidField(field, "is required");
  if (common::Utf8Length(vendor) > 64) {
    return common::InvalidField(field, "must be at most 64 characters");
  }
  if (vendor.front() == ' ' || vendor.back() == ' ') {
    return common::InvalidField(field, "must not begin or end with a space");
  }
  for (size_t i = 0; i < vendor.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(vendor, &i, &cp)) return common::InvalidField(field, "must be UTF-8");
    // C0 controls, DEL and the C1 controls.
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
      return common::InvalidField(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace aggpay::terminal
