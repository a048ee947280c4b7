#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/money/money.h"

namespace aggpay::merchant {

// Every function here returns OK or INVALID_ARGUMENT naming the field (common::InvalidField),
// unless it says otherwise. `field` parameters let a caller name a nested field
// ("documents[2].sha256"); the defaults are the names used in the onboarding API.

// Required free text such as a name or a reason: common::ValidateText, not empty, not only
// whitespace, at most `max_chars` characters (newline and tab allowed when `allow_newlines`).
absl::Status ValidateText(absl::string_view text, absl::string_view field, size_t max_chars,
                          bool allow_newlines = false);

// ---------------------------------------------------------------- licence (GB 32100-2015)

// The unified social credit code (统一社会信用代码): 18 characters of
// "0123456789ABCDEFGHJKLMNPQRTUWXY" (never I, O, S, V, Z). Position 1 is the registration
// authority, 2 the entity type, 3-8 the administrative division code (digits), 9-17 the
// organisation code and 18 the check character. Lower case is refused, not folded.
absl::Status ValidateUnifiedSocialCreditCode(absl::string_view code,
                                             absl::string_view field = "business_licence_number");

// The check character for the first 17 characters of a code: with weights 3^(i-1) mod 31,
// value = 31 - (sum mod 31), 31 becoming 0. nullopt when `first17` is not 17 characters of the
// code's alphabet.
std::optional<char> UnifiedSocialCreditCheckChar(absl::string_view first17);

// ---------------------------------------------------------------- contact

// A mainland China mobile number: 11 digits, "1" then 3-9. No "+86", spaces or dashes.
absl::Status ValidateMainlandMobile(absl::string_view phone,
                                    absl::string_view field = "contact_phone");

// ---------------------------------------------------------------- settlement account

enum class SettlementAccountKind : uint8_t { kCorporate, kPersonal };

// "CORPORATE" (对公账户) or "PERSONAL".
absl::string_view SettlementAccountKindName(SettlementAccountKind kind);
absl::StatusOr<SettlementAccountKind> ParseSettlementAccountKind(
    absl::string_view name, absl::string_view field = "settlement_account.kind");

// 12 to 30 digits, nothing else. No Luhn check: corporate account numbers do not carry one.
absl::Status ValidateBankAccountNumber(
    absl::string_view number, absl::string_view field = "settlement_account.account_number");
// 1 to 128 bytes of text (ValidateText).
absl::Status ValidateAccountName(absl::string_view name,
                                 absl::string_view field = "settlement_account.account_name");

// A plan that settles T+1 through a bank (the bank-affiliated plan) pays out only to a corporate
// account. FAILED_PRECONDITION naming "settlement_account.kind" when it is personal.
absl::Status CheckAccountForPlan(SettlementAccountKind kind, bool plan_requires_corporate);

// ---------------------------------------------------------------- documents

enum class DocumentKind : uint8_t {
  kBusinessLicence,
  kLegalRepIdFront,
  kLegalRepIdBack,
  kStoreFront,
  kStoreInterior,
  kBankAccountProof,
};
inline constexpr std::array<DocumentKind, 6> kAllDocumentKinds = {
    DocumentKind::kBusinessLicence, DocumentKind::kLegalRepIdFront,
    DocumentKind::kLegalRepIdBack,  DocumentKind::kStoreFront,
    DocumentKind::kStoreInterior,   DocumentKind::kBankAccountProof};

// "BUSINESS_LICENCE", "LEGAL_REP_ID_FRONT", "LEGAL_REP_ID_BACK", "STORE_FRONT",
// "STORE_INTERIOR", "BANK_ACCOUNT_PROOF".
absl::string_view DocumentKindName(DocumentKind kind);
absl::StatusOr<DocumentKind> ParseDocumentKind(absl::string_view name,
                                               absl::string_view field = "kind");

inline constexpr int64_t kMaxDocumentBytes = int64_t{20} * 1024 * 1024;
inline constexpr size_t kMaxDocuments = 20;

// A document file as the application refers to it: content lives in file or object storage,
// addressed by its SHA-256. `sha256_hex` is 64 lower-case hex digits, `size_bytes` 1..20 MiB,
// `kind` one of the names above. Fields are `field_prefix` + ".sha256", ".size_bytes", ".kind",
// checked in that order.
absl::Status ValidateDocument(absl::string_view sha256_hex, int64_t size_bytes,
                              absl::string_view kind, absl::string_view field_prefix = "document");

// ---------------------------------------------------------------- merchant profile

enum class MerchantKind : uint8_t { kIndividual, kSmallBusiness, kEnterprise };

// "INDIVIDUAL" (小微, no licence), "SMALL_BUSINESS" (个体工商户), "ENTERPRISE".
absl::string_view MerchantKindName(MerchantKind kind);
absl::StatusOr<MerchantKind> ParseMerchantKind(absl::string_view name,
                                               absl::string_view field = "kind");
absl::Status ValidateMerchantKind(absl::string_view name, absl::string_view field = "kind");

// An IANA zone name that absl::LoadTimeZone knows ("Asia/Shanghai", "UTC"). Only the characters
// of IANA names are accepted, so paths, "localtime" and ":..." forms (which would read the
// server's own settings or arbitrary files) are refused before the zone database is asked.
absl::Status ValidateTimeZone(absl::string_view name, absl::string_view field = "time_zone");

// An ISO 3166-2 style subdivision: two upper-case letters, '-', then 1 to 3 upper-case letters or
// digits ("CN-SH", "CN-44", "US-CA").
absl::Status ValidateRegion(absl::string_view region, absl::string_view field = "region");

inline constexpr size_t kMaxDisplayNameChars = 128;
inline constexpr size_t kMaxLegalNameChars = 256;
inline constexpr size_t kMaxPersonNameChars = 128;
inline constexpr size_t kMaxBankNameChars = 128;
absl::Status ValidateDisplayName(absl::string_view name, absl::string_view field = "display_name");
absl::Status ValidateLegalName(absl::string_view name, absl::string_view field = "legal_name");

// The provider's own application code (WeChat's business_code): 1 to 64 of A-Z, a-z, 0-9, '_'.
inline constexpr size_t kMaxBusinessCodeBytes = 64;
absl::Status ValidateBusinessCode(absl::string_view code,
                                  absl::string_view field = "business_code");

// An agent id: 1 to 64 of A-Z, a-z, 0-9, '_', '-'.
absl::Status ValidateAgentId(absl::string_view agent_id, absl::string_view field = "agent_id");

// ---------------------------------------------------------------- plan wanted

enum class PlanKind : uint8_t { kBankAffiliated, kIndependent };

// "BANK_AFFILIATED" or "INDEPENDENT".
absl::string_view PlanKindName(PlanKind kind);
absl::StatusOr<PlanKind> ParsePlanKind(absl::string_view name,
                                       absl::string_view field = "plan_kind");
// The fee service's seed plan for the kind: "bank-standard" or "independent-standard".
absl::string_view FeePlanIdFor(PlanKind kind);
// The bank-affiliated plan settles T+1 to a corporate account only.
bool PlanRequiresCorporateAccount(PlanKind kind);

// ---------------------------------------------------------------- the application

struct SettlementAccount {
  SettlementAccountKind kind = SettlementAccountKind::kCorporate;
  std::string bank_name{};
  std::string account_name{};
  std::string account_number{};
};

struct Document {
  DocumentKind kind = DocumentKind::kBusinessLicence;
  std::string sha256{};
  int64_t size_bytes = 0;
};

// What a provider submits to onboard a merchant. Build it with designated initializers; the
// currency has no default.
struct Application {
  std::string business_code{};
  MerchantKind kind = MerchantKind::kIndividual;
  std::string display_name{};
  std::string legal_name{};
  // Required unless kind is INDIVIDUAL; checked when given.
  std::string business_licence_number{};
  std::string legal_representative{};
  std::string contact_phone{};
  common::Currency home_currency;
  std::string time_zone{};
  std::string region{};
  std::optional<std::string> agent_id = std::nullopt;
  PlanKind plan_kind = PlanKind::kIndependent;
  SettlementAccount settlement_account{};
  std::vector<Document> documents{};
};

// OK, or the first problem in this order, naming its field: business_code, display_name,
// legal_name, business_licence_number (missing for SMALL_BUSINESS / ENTERPRISE: INVALID_ARGUMENT),
// legal_representative, contact_phone, time_zone, region, agent_id,
// settlement_account.{bank_name, account_name, account_number}, settlement_account.kind
// (FAILED_PRECONDITION: personal account on the bank-affiliated plan), documents (more than
// kMaxDocuments), documents[i].{sha256, size_bytes}.
absl::Status ValidateApplication(const Application& application);

}  // namespace aggpay::merchant
