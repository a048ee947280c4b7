#include "services/terminal/domain/terminal.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/common/text/text_field.h"

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
  RETURN_IF_ERROR(
      common::ValidateText(vendor, field, common::TextRule{.max_chars = 64, .required = true}));
  if (vendor.front() == ' ' || vendor.back() == ' ') {
    return common::InvalidField(field, "must not begin or end with a space");
  }
  return absl::OkStatus();
}

}  // namespace aggpay::terminal
