#include "services/terminal/domain/activation.h"

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto/crypto.h"
#include "services/common/status/field_errors.h"

namespace aggpay::terminal {
namespace {

static_assert(kActivationCodeAlphabet.size() == 32, "one character per five random bits");

constexpr absl::string_view kCodeField = "activation_code";

bool InAlphabet(char c) { return kActivationCodeAlphabet.find(c) != absl::string_view::npos; }

}  // namespace

std::string NewActivationCode() {
  absl::StatusOr<std::string> bytes =
      common::Base64UrlDecode(common::RandomToken(kActivationCodeLength));
  // Decoding what RandomToken just encoded cannot fail; if it did, no code would be safe.
  if (!bytes.ok() || bytes->size() != kActivationCodeLength) std::abort();
  std::string code(kActivationCodeLength, ' ');
  for (size_t i = 0; i < kActivationCodeLength; ++i) {
    code[i] = kActivationCodeAlphabet[static_cast<unsigned char>((*bytes)[i]) & 0x1F];
  }
  return code;
}

std::string NormalizeActivationCode(absl::string_view typed) {
  std::string code;
  code.reserve(typed.size());
  for (char c : typed) {
    if (c == ' ' || c == '-') continue;
    code.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return code;
}

absl::Status ValidateActivationCodeFormat(absl::string_view code) {
  if (code.empty()) return common::InvalidField(kCodeField, "is required");
  if (code.size() != kActivationCodeLength) {
    return common::InvalidField(kCodeField,
                                absl::StrCat("must be ", kActivationCodeLength, " characters"));
  }
  for (char c : code) {
    if (!InAlphabet(c)) {
      return common::InvalidField(
          kCodeField, absl::StrCat("may contain only the characters ", kActivationCodeAlphabet));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckActivationCodeUsable(const ActivationCode& code, absl::Time now) {
  if (code.revoked) return common::FailedPreconditionField(kCodeField, "activation code revoked");
  if (now >= code.expires_at) {
    return common::FailedPreconditionField(kCodeField, "activation code expired");
  }
  if (code.uses >= code.max_uses) {
    return common::FailedPreconditionField(kCodeField, "activation code already used");
  }
  return absl::OkStatus();
}

absl::Status CheckActivationCodeMatchesTerminal(const ActivationCode& code,
                                                absl::string_view terminal_merchant_id,
                                                absl::string_view terminal_store_id) {
  if (code.merchant_id != terminal_merchant_id || code.store_id != terminal_store_id) {
    return common::FailedPreconditionField(
        kCodeField, "activation code was issued for another store than the terminal's");
  }
  return absl::OkStatus();
}

absl::Status ValidateActivationCodeOptions(int max_uses, absl::Duration lifetime) {
  if (max_uses < 1 || max_uses > kMaxActivationCodeUses) {
    return common::InvalidField("max_uses", absl::StrCat("must be 1 to ", kMaxActivationCodeUses));
  }
  if (lifetime < kMinActivationCodeLifetime || lifetime > kMaxActivationCodeLifetime) {
    return common::InvalidField(
        "ttl_seconds",
        absl::StrCat("must be ", absl::ToInt64Seconds(kMinActivationCodeLifetime), " to ",
                     absl::ToInt64Seconds(kMaxActivationCodeLifetime), " seconds (30 days)"));
  }
  return absl::OkStatus();
}

}  // namespace aggpay::terminal
