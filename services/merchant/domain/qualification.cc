#include "services/merchant/domain/qualification.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"
#include "services/common/text/text_field.h"

namespace aggpay::merchant {
namespace {

// GB 32100-2015: the code's alphabet in value order (value of a character = its index).
constexpr absl::string_view kCreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr size_t kCreditCodeLength = 18;
// 3^(i-1) mod 31 for positions 1..17.
constexpr std::array<int, 17> kCreditCodeWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                    29, 25, 13, 8,  24, 10, 30, 28};

constexpr size_t kMobileLength = 11;
constexpr size_t kMinAccountNumberDigits = 12;
constexpr size_t kMaxAccountNumberDigits = 30;
constexpr size_t kMaxAccountNameChars = 128;
constexpr size_t kSha256HexLength = 64;
constexpr size_t kMaxTimeZoneBytes = 64;
constexpr size_t kMaxAgentIdBytes = 64;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsAllDigits(absl::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); }

int CreditCodeValue(char c) {
  const size_t index = kCreditCodeAlphabet.find(c);
  return index == absl::string_view::npos ? -1 : static_cast<int>(index);
}

absl::Status ValidateDocumentFile(absl::string_view sha256_hex, int64_t size_bytes,
                                  absl::string_view field_prefix) {
  const bool lower_hex = sha256_hex.size() == kSha256HexLength &&
                         std::all_of(sha256_hex.begin(), sha256_hex.end(),
                                     [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); });
  if (!lower_hex) {
    return common::InvalidField(absl::StrCat(field_prefix, ".sha256"),
                                "must be the SHA-256 of the file as 64 lower-case hex digits");
  }
  if (size_bytes < 1 || size_bytes > kMaxDocumentBytes) {
    return common::InvalidField(
        absl::StrCat(field_prefix, ".size_bytes"),
        absl::StrCat("must be 1 to ", kMaxDocumentBytes, " bytes (20 MiB), got ", size_bytes));
  }
  return absl::OkStatus();
}

bool IsCodeChar(char c) { return IsDigit(c) || IsUpper(c) || IsLower(c) || c == '_'; }

}  // namespace

absl::Status ValidateText(absl::string_view text, absl::string_view field, size_t max_chars,
                          bool allow_newlines) {
  return common::ValidateText(
      text, field,
      common::TextRule{
          .max_chars = max_chars, .not_blank = true, .allow_newlines = allow_newlines});
}

std::optional<char> UnifiedSocialCreditCheckChar(absl::string_view first17) {
  if (first17.size() != kCreditCodeWeights.size()) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < first17.size(); ++i) {
    const int value = CreditCodeValue(first17[i]);
    if (value < 0) return std::nullopt;
    sum += value * kCreditCodeWeights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return kCreditCodeAlphabet[static_cast<size_t>(check)];
}

absl::Status ValidateUnifiedSocialCreditCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) return common::InvalidField(field, "is required");
  if (code.size() != kCreditCodeLength) {
    return common::InvalidField(
        field, absl::StrCat("must be the 18-character unified social credit code, got ",
                            code.size(), " characters"));
  }
  if (std::any_of(code.begin(), code.end(), IsLower)) {
    return common::InvalidField(field, "must be upper case");
  }
  for (size_t i = 0; i < code.size(); ++i) {
    if (CreditCodeValue(code[i]) < 0) {
      const char c = code[i];
      const bool printable = c > ' ' && c < 0x7F;
      return common::InvalidField(
          field, absl::StrCat("position ", i + 1,
                              printable ? absl::StrCat(" ('", std::string(1, c), "')") : "",
                              " is not allowed: the code uses only digits and upper-case letters "
                              "other than I, O, S, V and Z"));
    }
  }
  if (!IsAllDigits(code.substr(2, 6))) {
    return common::InvalidField(
        field, "positions 3 to 8 must be the 6-digit administrative division code");
  }
  if (UnifiedSocialCreditCheckChar(code.substr(0, 17)) != code[17]) {
    return common::InvalidField(
        field, "check character (position 18) does not match: a character is probably mistyped");
  }
  return absl::OkStatus();
}

absl::Status ValidateMainlandMobile(absl::string_view phone, absl::string_view field) {
  if (phone.empty()) return common::InvalidField(field, "is required");
  if (phone.size() != kMobileLength || !IsAllDigits(phone)) {
    return common::InvalidField(
        field, "must be an 11-digit mainland mobile number, without +86, spaces or dashes");
  }
  if (phone[0] != '1' || phone[1] < '3') {
    return common::InvalidField(field, "must be a mainland mobile number: 1 followed by 3 to 9");
  }
  return absl::OkStatus();
}

absl::string_view SettlementAccountKindName(SettlementAccountKind kind) {
  switch (kind) {
    case SettlementAccountKind::kCorporate:
      return "CORPORATE";
    case SettlementAccountKind::kPersonal:
      return "PERSONAL";
  }
  return "UNKNOWN";
}

absl::StatusOr<SettlementAccountKind> ParseSettlementAccountKind(absl::string_view name,
                                                                 absl::string_view field) {
  if (name == "CORPORATE") return SettlementAccountKind::kCorporate;
  if (name == "PERSONAL") return SettlementAccountKind::kPersonal;
  return common::InvalidField(
      field, absl::StrCat("unknown account kind \"", name, "\" (want CORPORATE or PERSONAL)"));
}

absl::Status ValidateBankAccountNumber(absl::string_view number, absl::string_view field) {
  if (number.empty()) return common::InvalidField(field, "is required");
  if (number.size() < kMinAccountNumberDigits || number.size() > kMaxAccountNumberDigits ||
      !IsAllDigits(number)) {
    return common::InvalidField(field, "must be 12 to 30 digits, without spaces");
  }
  return absl::OkStatus();
}

absl::Status ValidateAccountName(absl::string_view name, absl::string_view field) {
  return ValidateText(name, field, kMaxAccountNameChars);
}

absl::Status CheckAccountForPlan(SettlementAccountKind kind, bool plan_requires_corporate) {
  if (plan_requires_corporate && kind != SettlementAccountKind::kCorporate) {
    return common::FailedPreconditionField(
        "settlement_account.kind",
        "the bank-affiliated T+1 plan settles to a corporate account only");
  }
  return absl::OkStatus();
}

absl::string_view DocumentKindName(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kBusinessLicence:
      return "BUSINESS_LICENCE";
    case DocumentKind::kLegalRepIdFront:
      return "LEGAL_REP_ID_FRONT";
    case DocumentKind::kLegalRepIdBack:
      return "LEGAL_REP_ID_BACK";
    case DocumentKind::kStoreFront:
      return "STORE_FRONT";
    case DocumentKind::kStoreInterior:
      return "STORE_INTERIOR";
    case DocumentKind::kBankAccountProof:
      return "BANK_ACCOUNT_PROOF";
  }
  return "UNKNOWN";
}

absl::StatusOr<DocumentKind> ParseDocumentKind(absl::string_view name, absl::string_view field) {
  for (DocumentKind kind : kAllDocumentKinds) {
    if (DocumentKindName(kind) == name) return kind;
  }
  return common::InvalidField(
      field, absl::StrCat("unknown document kind \"", name,
                          "\" (want BUSINESS_LICENCE, LEGAL_REP_ID_FRONT, LEGAL_REP_ID_BACK, "
                          "STORE_FRONT, STORE_INTERIOR or BANK_ACCOUNT_PROOF)"));
}

absl::Status ValidateDocument(absl::string_view sha256_hex, int64_t size_bytes,
                              absl::string_view kind, absl::string_view field_prefix) {
  RETURN_IF_ERROR(ValidateDocumentFile(sha256_hex, size_bytes, field_prefix));
  return ParseDocumentKind(kind, absl::StrCat(field_prefix, ".kind")).status();
}

absl::string_view MerchantKindName(MerchantKind kind) {
  switch (kind) {
    case MerchantKind::kIndividual:
      return "INDIVIDUAL";
    case MerchantKind::kSmallBusiness:
      return "SMALL_BUSINESS";
    case MerchantKind::kEnterprise:
      return "ENTERPRISE";
  }
  return "UNKNOWN";
}

absl::StatusOr<MerchantKind> ParseMerchantKind(absl::string_view name, absl::string_view field) {
  for (MerchantKind kind :
       {MerchantKind::kIndividual, MerchantKind::kSmallBusiness, MerchantKind::kEnterprise}) {
    if (MerchantKindName(kind) == name) return kind;
  }
  return common::InvalidField(field,
                              absl::StrCat("unknown merchant kind \"", name,
                                           "\" (want INDIVIDUAL, SMALL_BUSINESS or ENTERPRISE)"));
}

absl::Status ValidateMerchantKind(absl::string_view name, absl::string_view field) {
  return ParseMerchantKind(name, field).status();
}

absl::Status ValidateTimeZone(absl::string_view name, absl::string_view field) {
  if (name.empty()) return common::InvalidField(field, "is required");
  const bool iana_chars = name.size() <= kMaxTimeZoneBytes && name.front() != '/' &&
                          name != "localtime" && std::all_of(name.begin(), name.end(), [](char c) {
                            return IsDigit(c) || IsUpper(c) || IsLower(c) || c == '/' || c == '_' ||
                                   c == '-' || c == '+';
                          });
  absl::TimeZone zone;
  if (!iana_chars || !absl::LoadTimeZone(name, &zone)) {
    return common::InvalidField(field,
                                absl::StrCat("unknown time zone \"", iana_chars ? name : "",
                                             "\" (want an IANA name such as Asia/Shanghai)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRegion(absl::string_view region, absl::string_view field) {
  const bool ok = region.size() >= 4 && region.size() <= 6 && IsUpper(region[0]) &&
                  IsUpper(region[1]) && region[2] == '-' &&
                  std::all_of(region.begin() + 3, region.end(),
                              [](char c) { return IsUpper(c) || IsDigit(c); });
  if (!ok) {
    return common::InvalidField(
        field,
        "must be a country and subdivision such as CN-SH: two upper-case letters, '-', "
        "then 1 to 3 upper-case letters or digits");
  }
  return absl::OkStatus();
}

absl::Status ValidateDisplayName(absl::string_view name, absl::string_view field) {
  return ValidateText(name, field, kMaxDisplayNameChars);
}

absl::Status ValidateLegalName(absl::string_view name, absl::string_view field) {
  return ValidateText(name, field, kMaxLegalNameChars);
}

absl::Status ValidateBusinessCode(absl::string_view code, absl::string_view field) {
  if (code.empty()) return common::InvalidField(field, "is required");
  if (code.size() > kMaxBusinessCodeBytes || !std::all_of(code.begin(), code.end(), IsCodeChar)) {
    return common::InvalidField(field, "must be 1 to 64 of A-Z, a-z, 0-9 and '_'");
  }
  return absl::OkStatus();
}

absl::Status ValidateAgentId(absl::string_view agent_id, absl::string_view field) {
  const bool ok = !agent_id.empty() && agent_id.size() <= kMaxAgentIdBytes &&
                  std::all_of(agent_id.begin(), agent_id.end(),
                              [](char c) { return IsCodeChar(c) || c == '-'; });
  if (!ok) return common::InvalidField(field, "must be 1 to 64 of A-Z, a-z, 0-9, '_' and '-'");
  return absl::OkStatus();
}

absl::string_view PlanKindName(PlanKind kind) {
  switch (kind) {
    case PlanKind::kBankAffiliated:
      return "BANK_AFFILIATED";
    case PlanKind::kIndependent:
      return "INDEPENDENT";
  }
  return "UNKNOWN";
}

absl::StatusOr<PlanKind> ParsePlanKind(absl::string_view name, absl::string_view field) {
  if (name == "BANK_AFFILIATED") return PlanKind::kBankAffiliated;
  if (name == "INDEPENDENT") return PlanKind::kIndependent;
  return common::InvalidField(field, absl::StrCat("unknown plan kind \"", name,
                                                  "\" (want BANK_AFFILIATED or INDEPENDENT)"));
}

absl::string_view FeePlanIdFor(PlanKind kind) {
  switch (kind) {
    case PlanKind::kBankAffiliated:
      return "bank-standard";
    case PlanKind::kIndependent:
      return "independent-standard";
  }
  return "";
}

bool PlanRequiresCorporateAccount(PlanKind kind) { return kind == PlanKind::kBankAffiliated; }

absl::Status ValidateApplication(const Application& application) {
  RETURN_IF_ERROR(ValidateBusinessCode(application.business_code));
  RETURN_IF_ERROR(ValidateDisplayName(application.display_name));
  RETURN_IF_ERROR(ValidateLegalName(application.legal_name));
  if (application.business_licence_number.empty()) {
    if (application.kind != MerchantKind::kIndividual) {
      return common::InvalidField(
          "business_licence_number",
          absl::StrCat("is required for a ", MerchantKindName(application.kind), " merchant"));
    }
  } else {
    RETURN_IF_ERROR(ValidateUnifiedSocialCreditCode(application.business_licence_number));
  }
  RETURN_IF_ERROR(
      ValidateText(application.legal_representative, "legal_representative", kMaxPersonNameChars));
  RETURN_IF_ERROR(ValidateMainlandMobile(application.contact_phone));
  RETURN_IF_ERROR(ValidateTimeZone(application.time_zone));
  RETURN_IF_ERROR(ValidateRegion(application.region));
  if (application.agent_id.has_value()) RETURN_IF_ERROR(ValidateAgentId(*application.agent_id));

  const SettlementAccount& account = application.settlement_account;
  RETURN_IF_ERROR(
      ValidateText(account.bank_name, "settlement_account.bank_name", kMaxBankNameChars));
  RETURN_IF_ERROR(ValidateAccountName(account.account_name));
  RETURN_IF_ERROR(ValidateBankAccountNumber(account.account_number));
  RETURN_IF_ERROR(
      CheckAccountForPlan(account.kind, PlanRequiresCorporateAccount(application.plan_kind)));

  if (application.documents.size() > kMaxDocuments) {
    return common::InvalidField(
        "documents",
        absl::StrCat("at most ", kMaxDocuments, " documents, got ", application.documents.size()));
  }
  for (size_t i = 0; i < application.documents.size(); ++i) {
    const Document& document = application.documents[i];
    RETURN_IF_ERROR(ValidateDocumentFile(document.sha256, document.size_bytes,
                                         absl::StrCat("documents[", i, "]")));
  }
  return absl::OkStatus();
}

}  // namespace aggpay::merchant
