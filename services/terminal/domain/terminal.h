#pragma once

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::terminal {

// What kind of device collects the money. A QR_STAND is a printed code with no software of its
// own: it can only ever offer a static code (CapabilityTable::CapabilitiesFor).
enum class TerminalType : uint8_t {
  kPos,
  kSmartPos,
  kCloudSpeaker,
  kQrStand,
  kCashierSoftware,
};
// Terminals of one store that are not retired (docs/api.md "Limits"): one more is
// FAILED_PRECONDITION naming store_id.
inline constexpr size_t kMaxTerminalsPerStore = 200;

inline constexpr std::array<TerminalType, 5> kAllTerminalTypes = {
    TerminalType::kPos, TerminalType::kSmartPos, TerminalType::kCloudSpeaker,
    TerminalType::kQrStand, TerminalType::kCashierSoftware};

// "POS", "SMART_POS", "CLOUD_SPEAKER", "QR_STAND", "CASHIER_SOFTWARE": the names stored in
// `terminals.type` and sent in the API.
absl::string_view TerminalTypeName(TerminalType type);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<TerminalType> ParseTerminalType(absl::string_view name,
                                               absl::string_view field = "type");

// Where a terminal stands:
//   REGISTERED -> ACTIVE -> (OFFLINE | FROZEN);  FROZEN -> ACTIVE;  OFFLINE -> REGISTERED (cleared)
// and RETIRED, final, from anywhere. Only an ACTIVE terminal checks in or signs anything.
enum class TerminalStatus : uint8_t {
  kRegistered,  // known to the platform, waiting for its activation code
  kActive,      // activated: checks in daily and collects payments
  kOffline,     // forced offline (risk control or staff): its keys stop working at once
  kFrozen,      // collection stopped while a risk freeze is reviewed
  kRetired,     // gone for good
};
inline constexpr std::array<TerminalStatus, 5> kAllTerminalStatuses = {
    TerminalStatus::kRegistered, TerminalStatus::kActive, TerminalStatus::kOffline,
    TerminalStatus::kFrozen, TerminalStatus::kRetired};

// "REGISTERED", "ACTIVE", "OFFLINE", "FROZEN", "RETIRED": the names stored in
// `terminals.status` and sent in the API.
absl::string_view TerminalStatusName(TerminalStatus status);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<TerminalStatus> ParseTerminalStatus(absl::string_view name,
                                                   absl::string_view field = "status");

enum class TerminalAction : uint8_t {
  kActivate,      // the device redeems an activation code
  kCheckIn,       // the daily check-in that rotates the key
  kForceOffline,  // risk control or staff cut the terminal off
  kClear,         // staff clear an offline terminal so that it can be activated again
  kFreeze,        // a risk freeze stops collection
  kUnfreeze,      // the freeze is lifted
  kRetire,        // the terminal leaves for good
  kUpdateConfig,  // channel configuration or other parameters change
};
inline constexpr std::array<TerminalAction, 8> kAllTerminalActions = {
    TerminalAction::kActivate, TerminalAction::kCheckIn,     TerminalAction::kForceOffline,
    TerminalAction::kClear,    TerminalAction::kFreeze,      TerminalAction::kUnfreeze,
    TerminalAction::kRetire,   TerminalAction::kUpdateConfig};

// "ACTIVATE", "CHECK_IN", "FORCE_OFFLINE", "CLEAR", "FREEZE", "UNFREEZE", "RETIRE",
// "UPDATE_CONFIG": for the audit log.
absl::string_view TerminalActionName(TerminalAction action);

// The state `action` leads to from `from`:
//   ACTIVATE       REGISTERED -> ACTIVE
//   CHECK_IN       ACTIVE -> ACTIVE
//   FORCE_OFFLINE  ACTIVE, FROZEN -> OFFLINE; OFFLINE -> OFFLINE (idempotent, so forcing every
//                  terminal of a merchant offline can be run again)
//   CLEAR          OFFLINE -> REGISTERED
//   FREEZE         ACTIVE -> FROZEN
//   UNFREEZE       FROZEN -> ACTIVE
//   RETIRE         anything but RETIRED -> RETIRED
//   UPDATE_CONFIG  anything but RETIRED, unchanged
// Any other pair is FAILED_PRECONDITION naming "status" with a message that names the state:
// "terminal is RETIRED", or "cannot <action> a terminal in <STATE>" and, where there is one,
// the way out ("cannot check in a terminal in OFFLINE: it must be cleared and activated again").
absl::StatusOr<TerminalStatus> Transition(TerminalStatus from, TerminalAction action);

// Whether Transition(from, action) succeeds; for bulk operations that skip terminals an action
// does not apply to (forcing a merchant's terminals offline leaves REGISTERED and RETIRED ones).
bool IsAllowed(TerminalStatus from, TerminalAction action);

// A vendor's serial number: 4 to 64 of [A-Za-z0-9_-]. INVALID_ARGUMENT naming `field`.
absl::Status ValidateSerial(absl::string_view serial, absl::string_view field = "serial");
// The device's own identifier, sent at activation: 8 to 128 of [A-Za-z0-9_-].
// INVALID_ARGUMENT naming `field`.
absl::Status ValidateDeviceId(absl::string_view device_id, absl::string_view field = "device_id");
// A vendor name: 1 to 64 bytes of UTF-8 ("Newland", "新大陆"), no control characters, no
// leading or trailing space (the name is part of the unique key with the serial, so it must
// have one spelling). INVALID_ARGUMENT naming `field`.
absl::Status ValidateVendor(absl::string_view vendor, absl::string_view field = "vendor");

}  // namespace aggpay::terminal
