// The access matrix (docs/security.md): every gRPC method of every aggpay service, called by every
// kind of principal, and every REST route of the gateway, called with every kind of credential,
// against a real stack (MariaDB, Redis, aggpayd, gateway), each cell checked against a table
// written here; and tenancy: merchant A asks for merchant B's objects and changes them, and gets
// NOT_FOUND with no row changed.
//
// How a cell is decided. "Allowed" means the call got past authorization: any answer but a
// refusal of the caller. A refusal is UNAUTHENTICATED or PERMISSION_DENIED carrying one of the
// messages that refuse a *caller* (kCallerRefusals: the auth interceptor's, and the two handler
// checks that narrow a method to some principals), or, for a method that takes a terminal's
// signature in the request (Row::terminal_signed), any UNAUTHENTICATED. Handlers also answer
// PERMISSION_DENIED, NOT_FOUND or UNAUTHENTICATED for business reasons (a wrong one-time password,
// a bad sign-in, another merchant's id); those are answers, not refusals. Requests are well-formed;
// a gRPC request that would change the fixtures names an object that does not exist, so an allowed
// caller gets NOT_FOUND or a field error; the REST rows make a few changes of merchant A's own (a
// payment, a 1-fen refund, an API key, a reset request, its webhook and thresholds), repeated
// calls answered idempotently or refused on their merits.
#include <dirent.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "aggpay/v1/merchant.grpc.pb.h"
#include "aggpay/v1/options.pb.h"
#include "aggpay/v1/payment.pb.h"
#include "aggpay/v1/terminal.pb.h"
#include "google/api/annotations.pb.h"
#include "services/admin/sign_in_crypto.h"
#include "services/common/crypto/crypto.h"
#include "services/common/grpc/principal.h"
#include "services/payment/domain/payment.h"
#include "services/terminal/domain/terminal_key.h"
#include "tests/support/gateway_process.h"
#include "tests/support/stack_fixture.h"
#include "tests/support/tls_support.h"
#include "tests/support/totp_uri.h"

namespace aggpay::testing {
namespace {

namespace pb = google::protobuf;
namespace v1 = aggpay::v1;

// ---------------------------------------------------------------------------------------------
// The principal kinds: the columns of the gRPC matrix. Each is one entry of kPrincipals: the
// client certificate its channel presents (docs/security.md "Service identities"; "" for none)
// and what it adds to a call's context.
enum Column : int {
  kAdmin,
  kOperator,
  kReviewer,
  kFinance,
  kAuditor,
  kMerchantA,  // the gateway's certificate, acting for merchant A (x-aggpay-merchant-id)
  kMerchantB,
  kTerminal,  // no certificate: its signature is in the request
  kGateway,   // the gateway's certificate alone (as it calls sign-ins, or forwards a payer)
  kIdAdmin,   // each service's own certificate, as it calls its peers
  kIdMerchant,
  kIdTerminal,
  kIdBinding,
  kIdFee,
  kIdPayment,
  kIdRisk,
  kIdSettlement,
  kIdSettle,
  kIdMonolith,
  kMonolithForA,  // a service (the broadest one) sending x-aggpay-merchant-id: never a merchant
  kSharedSecret,  // no certificate, x-aggpay-internal: opens nothing in mtls mode
  kNobody,
  kColumnCount
};
constexpr const char* kColumnNames[kColumnCount] = {
    "admin",       "operator",       "reviewer",      "finance",  "auditor",       "merchant_A",
    "merchant_B",  "terminal",       "gateway",       "id:admin", "id:merchant",   "id:terminal",
    "id:binding",  "id:fee",         "id:payment",    "id:risk",  "id:settlement", "id:settle",
    "id:monolith", "monolith_for_A", "shared_secret", "nobody"};

using Cols = uint32_t;
constexpr Cols Bit(Column c) { return Cols{1} << c; }
constexpr Cols ADM = Bit(kAdmin);
constexpr Cols OPR = Bit(kOperator);
constexpr Cols REV = Bit(kReviewer);
constexpr Cols FIN = Bit(kFinance);
constexpr Cols AUD = Bit(kAuditor);
constexpr Cols MER = Bit(kMerchantA) | Bit(kMerchantB);
constexpr Cols TRM = Bit(kTerminal);
constexpr Cols GW = Bit(kGateway);
constexpr Cols I_ADMIN = Bit(kIdAdmin);
constexpr Cols I_MERCHANT = Bit(kIdMerchant);
constexpr Cols I_TERMINAL = Bit(kIdTerminal);
constexpr Cols I_BINDING = Bit(kIdBinding);
constexpr Cols I_FEE = Bit(kIdFee);
constexpr Cols I_PAYMENT = Bit(kIdPayment);
constexpr Cols I_RISK = Bit(kIdRisk);
constexpr Cols I_SETTLEMENT = Bit(kIdSettlement);
constexpr Cols I_SETTLE = Bit(kIdSettle);
// `aggpayd serve --services=all`: whatever any service (not the gateway) may call.
constexpr Cols MONO = Bit(kIdMonolith);
constexpr Cols NOBODY = Bit(kNobody);
constexpr Cols STAFF = ADM | OPR | REV | FIN | AUD;
// Every service hosts audited methods and checks staff tokens (the settle job does neither).
constexpr Cols EVERY_SERVICE = I_ADMIN | I_MERCHANT | I_TERMINAL | I_BINDING | I_FEE | I_PAYMENT |
                               I_RISK | I_SETTLEMENT | MONO;
// A public method: every caller, except a service that pretends to act for a merchant (the
// interceptor refuses it whatever the method).
constexpr Cols EVERYONE = ((Cols{1} << kColumnCount) - 1) & ~Bit(kMonolithForA);
constexpr Cols NONE = 0;

// Messages that refuse the caller (not the request). The interceptor's (access_policy.cc,
// auth_interceptor.cc), then the handler checks that narrow a method further.
constexpr const char* kCallerRefusals[] = {
    "missing credential",
    "may not call this method",
    "unknown method",
    "invalid internal credential",
    "may not act for a merchant",
    // TerminalService.ListMyTerminals: a merchant's own list.
    "only a merchant has its own terminals",
    // API keys and portal users: an owner signed in to the portal, or staff; not an API key.
    "only an owner signed in to the merchant portal",
};

// One row per gRPC method: who may call it, and a well-formed request (text format; $NAMES are
// the fixtures' ids, see Vars()).
struct Row {
  const char* method;  // full name, "aggpay.v1.AdminService.CreateStaff"
  Cols allowed;
  const char* request;
  // The request carries a terminal's signature (the terminal column signs it, nobody else can):
  // a bad or missing signature is the refusal.
  bool terminal_signed = false;
  // Columns the (aggpay.v1.access) option lets through that a handler check refuses (the
  // cross-check accounts for them): the reason is in kCallerRefusals.
  Cols narrowed = NONE;
};

// The expected table. Read it as the access policy of the platform; the test cross-checks it
// against the proto options and fails on any difference not explained by `narrowed` or
// `terminal_signed`. Columns: ADM OPR REV FIN AUD (staff roles), MER (merchant A and B, as the
// gateway acts for them), TRM (a terminal), GW (the gateway's certificate alone), I_<NAME> (each
// service's certificate), MONO (the monolith), NOBODY. The identities are written from what each
// service's code really calls (the stubs under services/<name>/, services/common for audit and
// staff tokens): the gateway only the sign-ins, AuthenticateRequest and SandboxPay besides public
// methods; AppendAudit and Authenticate every service; AssignPlan only merchant (onboarding);
// FreezeMerchant, UnfreezeMerchant, ForceOffline, ReleaseMerchantHold, EnqueueNotification and
// GetMerchant (does the merchant exist) risk; the expiry watch's three lists admin. The
// monolith_for_A column (a service sending x-aggpay-merchant-id) is in no row, and the
// shared_secret column is in the rows nobody is: both are refused wherever no one is.
const std::vector<Row>& Table() {
  static const auto* rows = new std::vector<Row>{
      // AdminService
      {"aggpay.v1.AdminService.CreateStaff", ADM,
       R"(username: "mx_operator" display_name: "x" role: "operator")"},
      {"aggpay.v1.AdminService.ListStaff", ADM | AUD, "page_size: 5"},
      {"aggpay.v1.AdminService.DisableStaff", ADM, R"(staff_id: "st_nosuch")"},
      {"aggpay.v1.AdminService.IssueToken", ADM, R"(staff_id: "st_nosuch")"},
      {"aggpay.v1.AdminService.RevokeToken", ADM, R"(token_id: "tk_nosuch")"},
      {"aggpay.v1.AdminService.WhoAmI", STAFF | MER, ""},
      {"aggpay.v1.AdminService.ListAudit", ADM | AUD, "page_size: 5"},
      {"aggpay.v1.AdminService.VerifyAudit", ADM | AUD, ""},
      {"aggpay.v1.AdminService.ListExpiring", ADM | AUD, "within_seconds: 3600"},
      {"aggpay.v1.AdminService.SetStaffCredentials", ADM,
       R"(staff_id: "st_nosuch" password: "correct horse battery")"},
      {"aggpay.v1.AdminService.SignIn", GW,
       R"(username: "nosuch" password: "correct horse battery" totp_code: "123456")"},
      {"aggpay.v1.AdminService.SignOut", GW, R"(session_token: "agss_nosuch")"},
      {"aggpay.v1.AdminService.Authenticate", EVERY_SERVICE, R"(token: "nosuch")"},
      {"aggpay.v1.AdminService.AppendAudit", EVERY_SERVICE, ""},
      // BindingService
      {"aggpay.v1.BindingService.IssueCode", ADM | OPR,
       R"(merchant_id: "m_nosuch" store_id: "s_nosuch")"},
      {"aggpay.v1.BindingService.ResolveCode", EVERYONE, R"(code: "$CODE_A")"},
      {"aggpay.v1.BindingService.GetCode", ADM | OPR | REV | AUD | MER, R"(code_id: "$CODE_A")"},
      {"aggpay.v1.BindingService.ListCodes", ADM | OPR | REV | AUD | MER,
       R"(merchant_id: "$MA" page_size: 5)"},
      {"aggpay.v1.BindingService.RenderCode", ADM | OPR | MER,
       R"(code_id: "$CODE_A" format: "svg" size_px: 300)"},
      {"aggpay.v1.BindingService.BackupCodes", ADM | OPR | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.BindingService.UnbindCode", ADM | OPR,
       R"(scanned: "ZZZZZZZZZZZZZZZZZZZZZZ" reason: "lost")"},
      {"aggpay.v1.BindingService.ResetCode", ADM | OPR,
       R"(code: "ZZZZZZZZZZZZZZZZZZZZZZ" reason: "DAMAGED" mode: "IMMEDIATE")"},
      {"aggpay.v1.BindingService.EndGrace", ADM | OPR | MER,
       R"(code_id: "ZZZZZZZZZZZZZZZZZZZZZZ")"},
      {"aggpay.v1.BindingService.RequestReset", ADM | OPR | MER,
       R"(code_id: "ZZZZZZZZZZZZZZZZZZZZZZ" reason: "DAMAGED" mode: "GRACEFUL")"},
      {"aggpay.v1.BindingService.VerifyReset", ADM | OPR | MER,
       R"(request_id: "rr_unknown" otp: "123456")"},
      {"aggpay.v1.BindingService.ListResetRequests", ADM | OPR | REV | AUD,
       R"(status: "PENDING_REVIEW")"},
      {"aggpay.v1.BindingService.ReviewReset", ADM | REV,
       R"(request_id: "rr_unknown" approve: true reason: "r")"},
      {"aggpay.v1.BindingService.ListAlerts", ADM | OPR | REV | AUD | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.BindingService.CodeHistory", ADM | OPR | REV | AUD | MER,
       R"(code_id: "$CODE_A")"},
      {"aggpay.v1.BindingService.TerminalCode", I_TERMINAL | MONO, R"(terminal_sn: "$TERM_A")"},
      {"aggpay.v1.BindingService.SetMerchantCollection", I_MERCHANT | MONO,
       R"(merchant_id: "m_nosuch" status: "BLOCKED" reason: "r")"},
      {"aggpay.v1.BindingService.CodePaid", I_PAYMENT | MONO,
       R"(code_id: "ZZZZZZZZZZZZZZZZZZZZZZ")"},
      // FeeService
      {"aggpay.v1.FeeService.CreatePlan", ADM | FIN, R"(plan_id: "bank-standard")"},
      {"aggpay.v1.FeeService.UpdatePlan", ADM | FIN, R"(plan_id: "no-such-plan")"},
      {"aggpay.v1.FeeService.GetPlan", STAFF, R"(plan_id: "bank-standard")"},
      {"aggpay.v1.FeeService.ListPlans", STAFF | I_SETTLEMENT | I_SETTLE | MONO, ""},
      {"aggpay.v1.FeeService.AssignPlan", ADM | FIN | I_MERCHANT | MONO,
       R"(merchant_id: "m_nosuch" plan_id: "bank-standard")"},
      {"aggpay.v1.FeeService.GetMerchantPlan", STAFF | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.FeeService.Quote", STAFF | MER | I_PAYMENT | MONO,
       R"(merchant_id: "$MA" channel: "wechat" amount { currency: "CNY" amount_minor: 10000 })"},
      {"aggpay.v1.FeeService.RefundFee", ADM | FIN | MER,
       R"(payment_amount { currency: "CNY" amount_minor: 10000 }
          payment_fee { currency: "CNY" amount_minor: 38 }
          refund_amount { currency: "CNY" amount_minor: 5000 })"},
      {"aggpay.v1.FeeService.SplitFee", ADM | FIN | AUD,
       R"(plan_id: "bank-standard" plan_version: 1)"},
      {"aggpay.v1.FeeService.SetAgentCostRate", ADM | FIN,
       R"(agent_id: "ag_nosuch" cost_ppm: 1000)"},
      {"aggpay.v1.FeeService.ComparePlans", STAFF | MER,
       R"(plan_ids: "bank-standard" payments { amount { currency: "CNY" amount_minor: 10000 } channel: "wechat" })"},
      // MerchantService
      {"aggpay.v1.MerchantService.GetMerchant",
       STAFF | MER | I_TERMINAL | I_PAYMENT | I_RISK | MONO, R"(merchant_id: "$MA")"},
      // An empty merchant id: a merchant's own (staff must name one).
      {"aggpay.v1.MerchantService.CreateApiKey", ADM | OPR, "", false, MER},
      {"aggpay.v1.MerchantService.ListApiKeys", ADM | OPR | AUD | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.MerchantService.RevokeApiKey", ADM | OPR, R"(key_id: "ak_nosuch")", false, MER},
      {"aggpay.v1.MerchantService.AuthenticateRequest", GW,
       R"(key_id: "ak_nosuch" timestamp: "1" nonce: "nonce-nonce" method: "GET" path_and_query: "/v1/merchant")"},
      {"aggpay.v1.MerchantService.CreateApplication", ADM | OPR, ""},
      {"aggpay.v1.MerchantService.UpdateApplication", ADM | OPR, R"(merchant_id: "m_nosuch")"},
      {"aggpay.v1.MerchantService.SubmitApplication", ADM | OPR, R"(merchant_id: "m_nosuch")"},
      {"aggpay.v1.MerchantService.StartReview", ADM | REV, R"(merchant_id: "m_nosuch")"},
      {"aggpay.v1.MerchantService.ApproveApplication", ADM | REV,
       R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.MerchantService.RejectApplication", ADM | REV,
       R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.MerchantService.FreezeMerchant", ADM | REV | I_RISK | MONO,
       R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.MerchantService.UnfreezeMerchant", ADM | REV | I_RISK | MONO,
       R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.MerchantService.CloseMerchant", ADM, R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.MerchantService.GetApplication", STAFF | MER | I_BINDING | I_PAYMENT | MONO,
       R"(merchant_id: "$MA")"},
      // The expiry watch (admin) asks the owners of keys, secrets and terminals.
      {"aggpay.v1.MerchantService.ListAgedApiKeys", ADM | AUD | I_ADMIN | MONO,
       "created_before { seconds: 1 } page_size: 5"},
      {"aggpay.v1.MerchantService.ListMerchants", STAFF | I_SETTLEMENT | I_SETTLE | MONO,
       "page_size: 5"},
      {"aggpay.v1.MerchantService.ListPayoutAccounts", I_SETTLEMENT | I_SETTLE | MONO,
       R"(merchant_ids: "$MA")"},
      {"aggpay.v1.MerchantService.CreateStore", ADM | OPR,
       R"(merchant_id: "m_nosuch" name: "S" address: "A")"},
      {"aggpay.v1.MerchantService.ListStores",
       STAFF | MER | I_TERMINAL | I_BINDING | I_PAYMENT | MONO, R"(merchant_id: "$MA")"},
      {"aggpay.v1.MerchantService.RequestSettlementAccountOtp", MER, R"(merchant_id: "m_nosuch")"},
      {"aggpay.v1.MerchantService.UpdateSettlementAccount", ADM | OPR | MER,
       R"(merchant_id: "m_nosuch" otp: "123456" account { kind: "CORPORATE" bank_name: "B" account_name: "N" account_number: "117010100100123456" })"},
      {"aggpay.v1.MerchantService.CreateAgent", ADM | OPR, ""},
      {"aggpay.v1.MerchantService.RequestPortalCode", GW, R"(mobile: "13000000000")"},
      {"aggpay.v1.MerchantService.VerifyPortalCode", GW, R"(mobile: "13000000000" code: "000000")"},
      {"aggpay.v1.MerchantService.CheckPortalSession", GW, R"(session_token: "agps_nosuch")"},
      {"aggpay.v1.MerchantService.EndPortalSession", GW, R"(session_token: "agps_nosuch")"},
      {"aggpay.v1.MerchantService.ListMerchantUsers", ADM | OPR | AUD | MER,
       R"(merchant_id: "$MA")"},
      {"aggpay.v1.MerchantService.InviteMerchantUser", ADM | OPR,
       R"(mobile: "13000000009" role: "nosuchrole")", false, MER},
      {"aggpay.v1.MerchantService.RemoveMerchantUser", ADM | OPR, R"(user_id: "mu_nosuch")", false,
       MER},
      // PaymentService
      {"aggpay.v1.PaymentService.CreateCodePayment", EVERYONE,
       R"(code: "ZZZZZZZZZZZZZZZZZZZZZZ" amount { currency: "CNY" amount_minor: 100 } wallet: "wechat" payer_ip: "6.6.6.6" device_id: "dev-matrix" client_request_id: "cq-matrix")"},
      {"aggpay.v1.PaymentService.GetPaymentStatus", EVERYONE,
       R"(payment_id: "$PAY_A" client_request_id: "cq-nosuch")"},
      {"aggpay.v1.PaymentService.CreateTerminalPayment", TRM,
       R"(terminal_sn: "$TERM_A" kind: "PRECREATE" out_trade_no: "MX-TERM-1" amount { currency: "CNY" amount_minor: 100 } wallet: "wechat")",
       true},
      {"aggpay.v1.PaymentService.CreateMerchantPayment", MER,
       R"(merchant_id: "m_nosuch" out_trade_no: "MX-MP-1" amount { currency: "CNY" amount_minor: 100 } wallet: "wechat")"},
      {"aggpay.v1.PaymentService.GetPayment", ADM | OPR | FIN | REV | AUD | MER,
       R"(payment_id: "$PAY_A")"},
      {"aggpay.v1.PaymentService.ListPayments", ADM | OPR | FIN | REV | AUD | MER,
       R"(merchant_id: "$MA" page_size: 5)"},
      {"aggpay.v1.PaymentService.RefundPayment", ADM | OPR | FIN | MER,
       R"(payment_id: "py_nosuch" amount { currency: "CNY" amount_minor: 1 } out_refund_no: "MX-RF-1" reason: "r")"},
      {"aggpay.v1.PaymentService.ChannelCallback", EVERYONE,
       R"(channel: "sandbox" body: "{}" timestamp: "1" nonce: "n" signature: "s")"},
      {"aggpay.v1.PaymentService.SandboxPay", ADM | OPR | GW, R"(payment_id: "py_nosuch")"},
      {"aggpay.v1.PaymentService.SandboxBill", ADM | FIN | OPR | AUD, R"(date: "2026-01-05")"},
      {"aggpay.v1.PaymentService.ConfigureWebhook", ADM | OPR | MER,
       R"(merchant_id: "m_nosuch" notify_url: "http://127.0.0.1:9/notify")"},
      {"aggpay.v1.PaymentService.ListAgedWebhookSecrets", ADM | AUD | I_ADMIN | MONO,
       "set_before { seconds: 1 } page_size: 5"},
      {"aggpay.v1.PaymentService.ListNotifications", ADM | OPR | FIN | AUD,
       R"(merchant_id: "$MA")"},
      {"aggpay.v1.PaymentService.ResendNotification", ADM | OPR, "notification_id: 999999"},
      {"aggpay.v1.PaymentService.GetPaymentLedger", ADM | OPR | FIN | REV | AUD,
       R"(payment_id: "$PAY_A")"},
      {"aggpay.v1.PaymentService.SummarizePayments", ADM | OPR | FIN | REV | AUD,
       R"(created_from { seconds: 1767225600 } created_to { seconds: 1767312000 })"},
      {"aggpay.v1.PaymentService.EnqueueNotification", I_RISK | MONO, ""},
      {"aggpay.v1.PaymentService.CheckLedger", ADM | FIN | AUD, ""},
      {"aggpay.v1.PaymentService.CloseBusinessDay", ADM | FIN | I_SETTLEMENT | I_SETTLE | MONO,
       R"(date: "2026-13-45")"},
      // RiskService
      {"aggpay.v1.RiskService.Evaluate", I_PAYMENT | MONO,
       R"(merchant_id: "m_nosuch" amount { currency: "CNY" amount_minor: 100 } attempt_id: "at-matrix")"},
      {"aggpay.v1.RiskService.ListEvents", ADM | REV | AUD, R"(merchant_id: "$MA")"},
      {"aggpay.v1.RiskService.ListRules", ADM | REV | AUD, ""},
      {"aggpay.v1.RiskService.UpdateRule", ADM | REV, R"(rule_id: "no_such_rule" reason: "r")"},
      {"aggpay.v1.RiskService.ImportRegions", ADM | REV, ""},
      {"aggpay.v1.RiskService.FreezeMerchant", ADM | REV, R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.RiskService.ListFreezes", ADM | REV | AUD | MER | I_MERCHANT | MONO,
       R"(merchant_id: "$MA")"},
      {"aggpay.v1.RiskService.SubmitAppeal", MER,
       R"(merchant_id: "m_nosuch" statement: "our sales were real")"},
      {"aggpay.v1.RiskService.ListAppeals", ADM | REV | AUD | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.RiskService.ReviewAppeal", ADM | REV,
       R"(appeal_id: 999999 verdict: "REJECT" note: "n")"},
      {"aggpay.v1.RiskService.PassSecurityCheck", ADM | REV,
       R"(merchant_id: "m_nosuch" note: "n")"},
      {"aggpay.v1.RiskService.GetThresholds", ADM | REV | AUD | MER, R"(merchant_id: "$MA")"},
      {"aggpay.v1.RiskService.SetThresholds", MER, R"(merchant_id: "m_nosuch" new_region: true)"},
      {"aggpay.v1.RiskService.ListAlerts", ADM | REV | AUD | MER, R"(merchant_id: "$MA")"},
      // SettlementService
      {"aggpay.v1.SettlementService.ListBatches", ADM | FIN | AUD, R"(date: "2026-01-05")"},
      {"aggpay.v1.SettlementService.ListLines", ADM | FIN | AUD | MER,
       R"(merchant_id: "$MA" date: "2026-01-05")"},
      {"aggpay.v1.SettlementService.GetNextPayout", ADM | FIN | AUD | MER,
       R"(merchant_id: "$MA" cycle: "T1")"},
      {"aggpay.v1.SettlementService.GetStatement", ADM | FIN | AUD | MER,
       R"(merchant_id: "$MA" date: "2026-01-05")"},
      {"aggpay.v1.SettlementService.ReleaseHeld", ADM | FIN, R"(merchant_id: "m_nosuch")"},
      {"aggpay.v1.SettlementService.ImportCalendar", ADM | FIN, ""},
      {"aggpay.v1.SettlementService.Reconcile", ADM | FIN,
       R"(channel: "sandbox" date: "2026-01-05")"},
      {"aggpay.v1.SettlementService.ListReconciliations", ADM | FIN | AUD, ""},
      // TerminalService
      {"aggpay.v1.TerminalService.RegisterTerminal", ADM | OPR,
       R"(merchant_id: "m_nosuch" store_id: "s_nosuch" type: "POS" serial: "MX-NOSUCH" vendor: "sunmi" client_version: "8.0.15")"},
      {"aggpay.v1.TerminalService.IssueActivationCode", ADM | OPR,
       R"(merchant_id: "m_nosuch" store_id: "s_nosuch" terminal_sn: "T0000000000")"},
      {"aggpay.v1.TerminalService.Activate", EVERYONE,
       R"(activation_code: "00000000" device_id: "dev-matrix" type: "POS" serial: "MX-NOSUCH" vendor: "sunmi" client_version: "8.0.15")"},
      {"aggpay.v1.TerminalService.CheckIn", TRM,
       R"(terminal_sn: "$TERM_A" client_version: "8.0.15")", true},
      {"aggpay.v1.TerminalService.VerifyTerminalRequest", I_PAYMENT | MONO,
       R"(terminal_sn: "$TERM_A" method: "CheckIn" timestamp: "1" nonce: "nonce-nonce")"},
      {"aggpay.v1.TerminalService.GetTerminal", ADM | OPR | REV | AUD | MER | I_BINDING | MONO,
       R"(terminal_sn: "$TERM_A")"},
      {"aggpay.v1.TerminalService.ListTerminals", ADM | OPR | REV | AUD | I_ADMIN | MONO,
       R"(merchant_id: "$MA")"},
      {"aggpay.v1.TerminalService.ListMyTerminals", MER, "", false, NONE},
      {"aggpay.v1.TerminalService.SetChannelConfig", ADM | OPR,
       R"(terminal_sn: "T0000000000" channel: "wechat" sub_mch_id: "1")"},
      {"aggpay.v1.TerminalService.ForceOffline", ADM | OPR | REV | I_RISK | MONO,
       R"(terminal_sn: "T0000000000" reason: "r")"},
      {"aggpay.v1.TerminalService.ReleaseMerchantHold", I_RISK | MONO,
       R"(merchant_id: "m_nosuch" reason: "r")"},
      {"aggpay.v1.TerminalService.FreezeTerminal", ADM | OPR | REV,
       R"(terminal_sn: "T0000000000" reason: "r")"},
      {"aggpay.v1.TerminalService.UnfreezeTerminal", ADM | OPR | REV,
       R"(terminal_sn: "T0000000000" reason: "r")"},
      {"aggpay.v1.TerminalService.ClearTerminal", ADM | OPR,
       R"(terminal_sn: "T0000000000" reason: "r")"},
      {"aggpay.v1.TerminalService.RetireTerminal", ADM | OPR,
       R"(terminal_sn: "T0000000000" reason: "r")"},
  };
  return *rows;
}

// What the (aggpay.v1.access) option alone lets through, column by column: the interceptor's
// rule (access_policy.cc) restated. A terminal reaches the interceptor as an anonymous caller
// (its signature is in the request), so it passes exactly where nobody does.
Cols FromProtoOption(const v1::AccessPolicy& p) {
  Cols out = NONE;
  if (p.public_()) return EVERYONE;
  const auto has_role = [&](const std::string& role) {
    return std::find(p.roles().begin(), p.roles().end(), role) != p.roles().end();
  };
  if (p.roles_size() > 0) out |= ADM;
  if (has_role("operator")) out |= OPR;
  if (has_role("reviewer")) out |= REV;
  if (has_role("finance")) out |= FIN;
  if (has_role("auditor")) out |= AUD;
  if (p.merchant()) out |= MER;
  if (p.internal()) {
    // Each listed identity; the monolith wherever a service (not the gateway) is listed.
    static const std::map<std::string, Cols> kIdentityColumns = {
        {"gateway", GW},          {"admin", I_ADMIN},     {"merchant", I_MERCHANT},
        {"terminal", I_TERMINAL}, {"binding", I_BINDING}, {"fee", I_FEE},
        {"payment", I_PAYMENT},   {"risk", I_RISK},       {"settlement", I_SETTLEMENT},
        {"settle", I_SETTLE},     {"monolith", MONO}};
    for (const std::string& caller : p.callers()) {
      auto it = kIdentityColumns.find(caller);
      EXPECT_NE(it, kIdentityColumns.end()) << "unknown caller \"" << caller << "\"";
      if (it == kIdentityColumns.end()) continue;
      out |= it->second;
      if (caller != "gateway") out |= MONO;
    }
  }
  if (p.terminal()) out |= TRM;
  return out;
}

std::string Names(Cols cols) {
  std::vector<std::string> names;
  for (int c = 0; c < kColumnCount; ++c) {
    if (cols & Bit(static_cast<Column>(c))) names.push_back(kColumnNames[c]);
  }
  return names.empty() ? "(none)" : absl::StrJoin(names, ",");
}

bool IsCallerRefusal(const grpc::Status& s, bool terminal_signed) {
  if (s.error_code() != grpc::StatusCode::UNAUTHENTICATED &&
      s.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
    return false;
  }
  if (terminal_signed && s.error_code() == grpc::StatusCode::UNAUTHENTICATED) return true;
  for (const char* m : kCallerRefusals) {
    if (absl::StrContains(s.error_message(), m)) return true;
  }
  return false;
}

// The aggpay services, from the generated descriptors: every `aggpay.v1.*Service` of every file
// under proto/aggpay/v1 (the test links all of them), so a new service or method is seen here
// without anyone listing it.
std::vector<const pb::ServiceDescriptor*> AggpayServices() {
  std::vector<const pb::ServiceDescriptor*> out;
  const std::string dir = SourceDir() + "/proto/aggpay/v1";
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
  if (d == nullptr) return out;
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (absl::EndsWith(name, ".proto")) files.push_back("aggpay/v1/" + name);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    const pb::FileDescriptor* file = pb::DescriptorPool::generated_pool()->FindFileByName(f);
    EXPECT_NE(file, nullptr) << f << " is not linked into the test (aggpay_proto)";
    if (file == nullptr) continue;
    for (int i = 0; i < file->service_count(); ++i) {
      const pb::ServiceDescriptor* s = file->service(i);
      if (absl::StartsWith(s->full_name(), "aggpay.v1.") && absl::EndsWith(s->name(), "Service")) {
        out.push_back(s);
      }
    }
  }
  return out;
}

// Tables a merchant's object lives in: what tenancy writes must leave as they were.
constexpr const char* kTenantTables[] = {"merchants",
                                         "merchant_api_keys",
                                         "stores",
                                         "terminals",
                                         "terminal_keys",
                                         "collection_codes",
                                         "code_history",
                                         "code_reset_requests",
                                         "payments",
                                         "refunds",
                                         "merchant_webhooks",
                                         "risk_freezes",
                                         "risk_appeals",
                                         "risk_alert_thresholds",
                                         "merchant_users",
                                         "merchant_step_up_codes",
                                         "settlement_lines",
                                         "merchant_fee_plans",
                                         "notifications",
                                         "ledger_transactions"};
// Of those, the ones no background job touches: their content must be unchanged too.
constexpr const char* kQuietTables[] = {
    "merchants",         "merchant_api_keys",   "stores",
    "collection_codes",  "code_reset_requests", "refunds",
    "merchant_webhooks", "risk_appeals",        "risk_alert_thresholds",
    "merchant_users",    "merchant_fee_plans"};

// ---------------------------------------------------------------------------------------------
// The REST matrix: every route of the gateway (every google.api.http binding of the descriptors,
// and /openapi.json, must have a row), called with no credential, merchant A's and merchant B's
// signed requests, a portal session of each role of merchant A, and a console session of each
// staff role. Who may call a route is the gRPC table's row of the method the route reaches, and,
// for portal sessions, the row's portal roles below (the gateway's role table, docs/portal.md,
// written again here). A cell is one of:
enum class Outcome { kAllowed, kRefused, kNotFound };
// kAllowed: 2xx, or a 4xx/5xx other than 401, 403 and 404 (past authorization, the request
// refused on its merits); kRefused: 401 or 403; kNotFound: 404 (an id that is not the caller's).
Outcome Classify(int status) {
  if (status == 401 || status == 403) return Outcome::kRefused;
  if (status == 404) return Outcome::kNotFound;
  return Outcome::kAllowed;
}
const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAllowed:
      return "allowed";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kNotFound:
      return "not found";
  }
  return "?";
}

enum RestColumn : int {
  kRestNobody,
  kRestMerchantA,
  kRestMerchantB,
  kPortalOwner,
  kPortalCashier,
  kPortalViewer,
  kConsoleAdmin,
  kConsoleOperator,
  kConsoleReviewer,
  kConsoleFinance,
  kConsoleAuditor,
  kRestColumnCount
};
constexpr const char* kRestColumnNames[kRestColumnCount] = {
    "nobody",           "merchant_A",      "merchant_B",     "portal_owner",
    "portal_cashier",   "portal_viewer",   "console_admin",  "console_operator",
    "console_reviewer", "console_finance", "console_auditor"};
constexpr Column kConsoleRole[] = {kAdmin, kOperator, kReviewer, kFinance, kAuditor};

// Portal roles.
constexpr uint8_t OWN = 1, CSH = 2, VWR = 4, ANY_ROLE = OWN | CSH | VWR, NO_ROLE = 0;

struct Route {
  const char* method;
  const char* path;  // $NAMES substituted; the query string is not part of the route
  const char* body;
  uint8_t portal;  // portal roles the gateway lets through (merchant routes)
  // The path or body names one of A's objects: B gets NOT_FOUND, and B's call changes nothing.
  bool names_a_object = false;
  // The object does not exist: whoever is allowed gets NOT_FOUND.
  bool missing = false;
};

const std::vector<Route>& Routes() {
  static const auto* routes = new std::vector<Route>{
      {"POST", "/v1/public/payments",
       R"({"code":"$CODE_A","amount":{"currency":"CNY","amount_minor":"1234"},"wallet":"wechat","device_id":"dev-rest-matrix","client_request_id":"cq-rest-matrix"})",
       ANY_ROLE},
      {"POST", "/v1/merchant/payments",
       R"({"out_trade_no":"MX-REST-1","amount":{"currency":"CNY","amount_minor":"100"},"wallet":"alipay"})",
       OWN | CSH},
      {"GET", "/v1/merchant/payments/$PAY_A", "", ANY_ROLE, true},
      // Today's: a cashier sees no other day (the gateway's rule, a refusal of the caller).
      {"GET", "/v1/merchant/payments?status=SUCCESS&business_date=$TODAY", "", ANY_ROLE},
      {"POST", "/v1/merchant/payments/$PAY_A/refunds",
       R"({"amount":{"currency":"CNY","amount_minor":"1"},"out_refund_no":"MX-REST-RF"})",
       OWN | CSH, true},
      {"PUT", "/v1/merchant/webhook", R"({"notify_url":"http://127.0.0.1:9/notify"})", OWN},
      {"GET", "/v1/merchant/risk/freezes", "", ANY_ROLE},
      {"POST", "/v1/merchant/risk/appeals", R"({"statement":"our sales were real"})", OWN},
      {"GET", "/v1/merchant/risk/appeals", "", OWN | VWR},
      {"PUT", "/v1/merchant/risk/thresholds",
       R"({"single_payment_over":{"currency":"CNY","amount_minor":"100000"},"new_region":true})",
       OWN},
      {"GET", "/v1/merchant/risk/thresholds", "", ANY_ROLE},
      {"GET", "/v1/merchant/risk/alerts", "", ANY_ROLE},
      {"GET", "/v1/merchant/codes", "", ANY_ROLE},
      {"GET", "/v1/merchant/codes/$CODE_A/image?format=svg&size_px=300", "", ANY_ROLE, true},
      {"GET", "/v1/merchant/codes-backup", "", OWN},
      {"GET", "/v1/merchant/code-alerts", "", ANY_ROLE},
      {"POST", "/v1/merchant/codes/$CODE_A/reset-requests",
       R"({"reason":"DAMAGED","mode":"GRACEFUL"})", OWN, true},
      {"POST", "/v1/merchant/code-reset-requests/rr_unknown/verify", R"({"otp":"123456"})", OWN,
       false, true},
      {"GET", "/v1/merchant", "", ANY_ROLE},
      {"GET", "/v1/merchant/application", "", OWN | VWR},
      {"GET", "/v1/merchant/stores", "", ANY_ROLE},
      {"GET", "/v1/merchant/fee-plan", "", ANY_ROLE},
      {"GET", "/v1/merchant/settlements?date=2026-01-05", "", ANY_ROLE},
      {"GET", "/v1/merchant/settlements/2026-01-05/statement", "", OWN | VWR, false, true},
      {"GET", "/v1/merchant/next-payout?cycle=T1", "", ANY_ROLE},
      {"GET", "/v1/merchant/terminals", "", ANY_ROLE},
      {"POST", "/v1/merchant/users", R"({"mobile":"13700009999","role":"nosuchrole"})", OWN},
      {"GET", "/v1/merchant/users", "", OWN},
      {"DELETE", "/v1/merchant/users/mu_unknown", "", OWN, false, true},
      {"POST", "/v1/merchant/api-keys", "{}", OWN},
      {"GET", "/v1/merchant/api-keys", "", OWN},
      {"DELETE", "/v1/merchant/api-keys/ak_unknown", "", OWN, false, true},
      {"POST", "/v1/merchant/settlement-account/otp", "{}", OWN},
      {"PUT", "/v1/merchant/settlement-account",
       R"({"kind":"CORPORATE","bank_name":"Industrial Bank","account_name":"Tea House","account_number":"117010100100123456"})",
       OWN},
      {"POST", "/v1/fees/quote",
       R"({"channel":"alipay","amount":{"currency":"CNY","amount_minor":"10000"}})", ANY_ROLE},
      {"POST", "/v1/fees/refund-fee",
       R"({"payment_amount":{"currency":"CNY","amount_minor":"10000"},"payment_fee":{"currency":"CNY","amount_minor":"38"},"refund_amount":{"currency":"CNY","amount_minor":"5000"}})",
       ANY_ROLE},
      {"POST", "/v1/fees/compare",
       R"({"plan_ids":["bank-standard"],"payments":[{"amount":{"currency":"CNY","amount_minor":"10000"},"channel":"wechat"}]})",
       NO_ROLE},
      // Staff routes: a console session (or a staff bearer token); the portal roles do not apply.
      {"POST", "/v1/staff/codes:reset",
       R"({"code":"ZZZZZZZZZZZZZZZZZZZZZZ","reason":"DAMAGED","mode":"IMMEDIATE"})", NO_ROLE, false,
       true},
      {"GET", "/v1/staff/whoami", "", NO_ROLE},
      {"GET", "/v1/staff/staff?page_size=5", "", NO_ROLE},
      {"GET", "/v1/staff/audit?after_seq=0&page_size=5", "", NO_ROLE},
      {"POST", "/v1/staff/audit:verify", "{}", NO_ROLE},
      {"GET", "/v1/staff/code-reset-requests?status=PENDING_REVIEW", "", NO_ROLE},
      {"GET", "/v1/staff/risk/events?page.page_size=5", "", NO_ROLE},
      {"GET", "/v1/staff/settlement/batches?page_size=5", "", NO_ROLE},
      {"GET", "/v1/staff/merchants/$MA/settlements/2026-01-05/statement", "", NO_ROLE, false, true},
      {"GET", "/v1/staff/merchants?status=ACTIVE&page_size=5", "", NO_ROLE},
      {"GET", "/v1/staff/merchants/$MA/application", "", NO_ROLE},
      {"POST", "/v1/staff/merchants/m_nosuch:start-review", "{}", NO_ROLE, false, true},
      {"POST", "/v1/staff/merchants/m_nosuch:approve", R"({"reason":"account checked"})", NO_ROLE,
       false, true},
      {"POST", "/v1/staff/merchants/m_nosuch:reject", R"({"reason":"no"})", NO_ROLE, false, true},
      {"GET", "/v1/staff/codes/$CODE_A", "", NO_ROLE},
      {"GET", "/v1/staff/codes/$CODE_A/history", "", NO_ROLE},
      {"GET", "/v1/staff/merchants/$MA", "", NO_ROLE},
      {"GET", "/v1/staff/merchants/$MA/stores", "", NO_ROLE},
      {"GET", "/v1/staff/merchants/$MA/fee-plan", "", NO_ROLE},
      {"POST", "/v1/staff/merchants/m_nosuch:freeze", R"({"reason":"checking"})", NO_ROLE, false,
       true},
      {"POST", "/v1/staff/merchants/m_nosuch:unfreeze", R"({"reason":"checked"})", NO_ROLE, false,
       true},
      {"GET", "/v1/staff/codes?merchant_id=$MA", "", NO_ROLE},
      {"GET", "/v1/staff/codes/$CODE_A/image?format=svg&size_px=300", "", NO_ROLE},
      {"POST", "/v1/staff/codes/AAAAAAAAAAAAAAAAAAAAAA:unbind", R"({"reason":"lost"})", NO_ROLE},
      {"POST", "/v1/staff/code-reset-requests/rr_unknown:review", R"({"approve":true})", NO_ROLE,
       false, true},
      {"GET", "/v1/staff/code-alerts?merchant_id=$MA", "", NO_ROLE},
      {"GET", "/v1/staff/terminals?merchant_id=$MA", "", NO_ROLE},
      {"GET", "/v1/staff/terminals/T0000000000", "", NO_ROLE, false, true},
      {"POST", "/v1/staff/terminals/T0000000000:force-offline", R"({"reason":"r"})", NO_ROLE, false,
       true},
      {"POST", "/v1/staff/terminals/T0000000000:freeze", R"({"reason":"r"})", NO_ROLE, false, true},
      {"POST", "/v1/staff/terminals/T0000000000:unfreeze", R"({"reason":"r"})", NO_ROLE, false,
       true},
      {"POST", "/v1/staff/terminals/T0000000000:clear", R"({"reason":"r"})", NO_ROLE, false, true},
      {"GET", "/v1/staff/settlement/lines?status=HELD", "", NO_ROLE},
      // Refused on its merits before the merchant is looked up: no business calendar here.
      {"POST", "/v1/staff/merchants/m_nosuch/settlements:release-held", "{}", NO_ROLE},
      {"GET", "/v1/staff/settlement/reconciliations", "", NO_ROLE},
      {"GET", "/v1/staff/risk/rules", "", NO_ROLE},
      {"POST", "/v1/staff/risk/rules/no_such_rule", R"({"reason":"r","enabled":"true"})", NO_ROLE,
       false, true},
      {"GET", "/v1/staff/risk/appeals?status=ALL", "", NO_ROLE},
      {"POST", "/v1/staff/risk/appeals/999999:review", R"({"verdict":"REJECT","note":"n"})",
       NO_ROLE, false, true},
      {"GET", "/v1/staff/payments?merchant_id=$MA", "", NO_ROLE},
      {"GET", "/v1/staff/payments/$PAY_A", "", NO_ROLE},
      {"GET", "/v1/staff/payments/$PAY_A/ledger", "", NO_ROLE},
      {"POST", "/v1/staff/payments/py_nosuch/refunds",
       R"({"amount":{"currency":"CNY","amount_minor":"100"},"out_refund_no":"MX-STAFF-RF","reason":"r"})",
       NO_ROLE, false, true},
      {"GET",
       "/v1/staff/"
       "payment-summary?created_from=2026-01-01T00:00:00Z&created_to=2026-01-02T00:00:00Z",
       "", NO_ROLE},
      {"GET", "/v1/staff/notifications?merchant_id=$MA", "", NO_ROLE},
      {"POST", "/v1/staff/notifications/999999:resend", "{}", NO_ROLE, false, true},
  };
  return *routes;
}

// One HTTP binding of a method: "GET /v1/merchant/payments/{payment_id}".
struct Binding {
  std::string verb;
  std::string path_template;
  std::regex pattern;
  const pb::MethodDescriptor* method;
};

std::vector<Binding> HttpBindings() {
  std::vector<Binding> out;
  const auto add = [&](const google::api::HttpRule& rule, const pb::MethodDescriptor* m) {
    std::string verb, path;
    if (!rule.get().empty()) verb = "GET", path = rule.get();
    if (!rule.post().empty()) verb = "POST", path = rule.post();
    if (!rule.put().empty()) verb = "PUT", path = rule.put();
    if (!rule.delete_().empty()) verb = "DELETE", path = rule.delete_();
    if (!rule.patch().empty()) verb = "PATCH", path = rule.patch();
    if (path.empty()) return;
    // {field} is one segment; the rest is literal (":verb" suffixes included).
    std::string re = std::regex_replace(path, std::regex("[.]"), "\\.");
    re = std::regex_replace(re, std::regex("\\{[^}]*\\}"), "[^/:]+");
    out.push_back(Binding{verb, path, std::regex("^" + re + "$"), m});
  };
  for (const pb::ServiceDescriptor* s : AggpayServices()) {
    for (int i = 0; i < s->method_count(); ++i) {
      const pb::MethodDescriptor* m = s->method(i);
      if (!m->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = m->options().GetExtension(google::api::http);
      add(rule, m);
      for (const auto& extra : rule.additional_bindings()) add(extra, m);
    }
  }
  return out;
}

const Row* RowOf(const std::string& method) {
  for (const Row& r : Table()) {
    if (r.method == method) return &r;
  }
  return nullptr;
}

class AccessMatrixE2eTest : public StackTest {
 protected:
  struct Fixture {
    std::map<std::string, std::string> vars;  // $NAME -> id
    std::string tokens[kColumnCount];         // staff columns' bearer tokens
    ActivatedTerminal terminal_a, terminal_b;
    MerchantKey key_a, key_b;
    std::string owner_a_user, owner_b_user;
    // REST credentials: portal sessions (owner, cashier, viewer of A) and console sessions (one
    // per staff role): the cookie and the CSRF token.
    struct Session {
      std::string cookie;
      std::string csrf;
    };
    std::map<std::string, Session> portal;
    std::map<std::string, Session> console;
  };

  static void SetUpTestSuite() {
    AggpaydOptions options;
    // Thousands of calls from one address and one key: no limit may answer instead of the
    // access check.
    options.extra_config =
        "auth: {public_failures_per_second: 100000, public_failure_burst: 100000}\n"
        "merchant_api: {rate_per_second: 100000, burst: 100000}";
    // B is an independent merchant: the D0 scheduler settles its payment into a settlement line
    // within a second, which A then asks for.
    options.settlement_config = "d0_schedule: true, d0_interval: 1s, d0_lag: 0s";
    StackTest::SetUpTestSuite(options);
    gateway_ = new GatewayProcess(aggpayd(), {"--public-rate", "10000", "--public-burst", "10000"});
    channel_ = new std::shared_ptr<grpc::Channel>(TestChannel(aggpayd().grpc_addr()));
    stubs_ = new std::map<std::string, std::unique_ptr<grpc::GenericStub>>();
    f_ = new Fixture();
    Fixture& f = *f_;
    f.tokens[kAdmin] = admin_token();
    f.tokens[kOperator] = StaffToken("mx_operator", "operator");
    f.tokens[kReviewer] = StaffToken("mx_reviewer", "reviewer");
    f.tokens[kFinance] = StaffToken("mx_finance", "finance");
    f.tokens[kAuditor] = StaffToken("mx_auditor", "auditor");

    for (const char* side : {"A", "B"}) {
      const std::string m = OnboardMerchant(absl::StrCat("MATRIX_", side),
                                            side[0] == 'A' ? "BANK_AFFILIATED" : "INDEPENDENT");
      const std::string store = CreateStore(m);
      const ActivatedTerminal t = ActivateTerminal(m, store, absl::StrCat("MX-POS-", side));
      const std::string code = JsonString(
          AdminCtl(absl::StrCat("code issue --merchant ", m, " --store ", store, " -o json")).out,
          "code_id");
      const std::string scan = AdminCtl("sandbox scan " + code + " --amount 12.34 -o json").out;
      const std::string payment = JsonString(scan, "payment_id");
      EXPECT_FALSE(payment.empty()) << scan;
      EXPECT_EQ(AdminCtl("sandbox pay " + payment).exit_code, 0);
      for (int i = 0; i < 100; ++i) {
        if (JsonString(AdminCtl("payment get " + payment + " -o json").out, "status") ==
            "SUCCESS") {
          break;
        }
        absl::SleepFor(absl::Milliseconds(50));
      }
      const std::string refund =
          AdminCtl(absl::StrCat("payment refund ", payment, " --amount 1.00 --out-refund-no MX-RF-",
                                side, " -o json"))
              .out;
      CommandResult key = AdminCtl("merchant key create " + m + " -o json");
      const MerchantKey k{JsonString(key.out, "key_id"), JsonString(key.out, "secret")};
      const std::string s = side;
      f.vars["$M" + s] = m;
      f.vars["$STORE_" + s] = store;
      f.vars["$TERM_" + s] = t.sn;
      f.vars["$CODE_" + s] = code;
      f.vars["$PAY_" + s] = payment;
      f.vars["$REFUND_" + s] = JsonString(refund, "refund_id");
      f.vars["$KEY_" + s] = k.key_id;
      (side[0] == 'A' ? f.terminal_a : f.terminal_b) = t;
      (side[0] == 'A' ? f.key_a : f.key_b) = k;
    }
    // Portal users: A's owner, cashier and viewer; B's owner.
    const auto invite = [&](const std::string& merchant, const std::string& mobile,
                            const std::string& role) {
      auto stub = v1::MerchantService::NewStub(*channel_);
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer " + admin_token());
      v1::InviteMerchantUserRequest req;
      req.set_merchant_id(merchant);
      req.set_mobile(mobile);
      req.set_role(role);
      v1::MerchantUser user;
      grpc::Status s = stub->InviteMerchantUser(&ctx, req, &user);
      EXPECT_TRUE(s.ok()) << s.error_message();
      return user.user_id();
    };
    f.owner_a_user = invite(f.vars["$MA"], "13900000001", "owner");
    invite(f.vars["$MA"], "13900000002", "cashier");
    invite(f.vars["$MA"], "13900000003", "viewer");
    f.owner_b_user = invite(f.vars["$MB"], "13900000011", "owner");
    f.vars["$USER_A"] = f.owner_a_user;
    f.vars["$TODAY"] = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::FixedTimeZone(8 * 3600));
    f.vars["$USER_B"] = f.owner_b_user;
    f.portal["owner"] = PortalSignIn("13900000001");
    f.portal["cashier"] = PortalSignIn("13900000002");
    f.portal["viewer"] = PortalSignIn("13900000003");
    for (const char* role : {"admin", "operator", "reviewer", "finance", "auditor"}) {
      f.console[role] = ConsoleSignIn(absl::StrCat("mc_", role), role);
    }
    // B's settlement line (the D0 scheduler's), once it no longer changes.
    const std::string line_of_b = absl::StrCat(
        "SELECT COUNT(*), COALESCE(MAX(line_id), ''), COALESCE(MAX(business_date), '') FROM "
        "settlement_lines WHERE merchant_id = '",
        f.vars["$MB"], "'");
    std::string line, previous = "none yet";
    for (int i = 0; i < 50 && (line != previous || absl::StartsWith(line, "0")); ++i) {
      previous = line;
      absl::SleepFor(absl::Milliseconds(600));
      line = Query(line_of_b);
    }
    const std::vector<std::string> parts = absl::StrSplit(line, '\t');
    EXPECT_TRUE(parts.size() == 3 && parts[0] != "0") << "no settlement line for B: " << line;
    if (parts.size() == 3) {
      f.vars["$LINE_B"] = parts[1];
      f.vars["$LINE_DATE_B"] = parts[2];
    }
    // A code reset request of B's, whose id A will try.
    HttpResponse rr = SignedRequest(gateway_->url(), "POST",
                                    "/v1/merchant/codes/" + f.vars["$CODE_B"] + "/reset-requests",
                                    R"({"reason":"DAMAGED","mode":"GRACEFUL"})", f.key_b);
    EXPECT_EQ(rr.status, 200) << rr.body;
    f.vars["$RESET_B"] = JsonString(rr.body, "request_id");
  }

  static void TearDownTestSuite() {
    delete f_;
    delete stubs_;
    delete channel_;
    delete gateway_;
    StackTest::TearDownTestSuite();
  }

  static std::string Subst(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> pairs(f_->vars.begin(), f_->vars.end());
    // Longer names first, so that $MA never eats the start of another name.
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    std::string out = text;
    for (const auto& [k, v] : pairs) out = absl::StrReplaceAll(out, {{k, v}});
    return out;
  }

  // The principals: one per column, the client certificate its calls present ("" for none) and
  // what it adds to a call's context.
  using Decorator = void (*)(grpc::ClientContext&);
  struct Principal {
    const char* certificate;
    Decorator decorate;
  };
  template <Column kStaff>
  static void AsStaff(grpc::ClientContext& ctx) {
    ctx.AddMetadata("authorization", "Bearer " + f_->tokens[kStaff]);
  }
  // As the gateway forwards a signed request (with its certificate): the merchant's id.
  template <Column kMerchant>
  static void ForMerchant(grpc::ClientContext& ctx) {
    ctx.AddMetadata(std::string(common::kMerchantKey),
                    f_->vars[kMerchant == kMerchantA ? "$MA" : "$MB"]);
  }
  // The secret every service held before mutual TLS, sent without a certificate.
  static void WithSharedSecret(grpc::ClientContext& ctx) {
    common::AddInternalCredential(ctx, aggpayd().internal_secret());
  }
  // A terminal's signature is in the request (SignAsTerminal); a service's identity is its
  // certificate: nothing in the metadata.
  static void Nothing(grpc::ClientContext&) {}
  static constexpr Principal kPrincipals[kColumnCount] = {
      {"", AsStaff<kAdmin>},
      {"", AsStaff<kOperator>},
      {"", AsStaff<kReviewer>},
      {"", AsStaff<kFinance>},
      {"", AsStaff<kAuditor>},
      {"gateway", ForMerchant<kMerchantA>},
      {"gateway", ForMerchant<kMerchantB>},
      {"", Nothing},
      {"gateway", Nothing},
      {"admin", Nothing},
      {"merchant", Nothing},
      {"terminal", Nothing},
      {"binding", Nothing},
      {"fee", Nothing},
      {"payment", Nothing},
      {"risk", Nothing},
      {"settlement", Nothing},
      {"settle", Nothing},
      {"monolith", Nothing},
      {"monolith", ForMerchant<kMerchantA>},
      {"", WithSharedSecret},
      {"", Nothing},
  };

  // Merchant A's owner signed in to the portal, as the gateway forwards a portal session (on top
  // of the kMerchantA column).
  static void AsOwnerA(grpc::ClientContext& ctx) {
    ctx.AddMetadata(std::string(common::kMerchantUserKey), f_->owner_a_user);
    ctx.AddMetadata(std::string(common::kMerchantRoleKey), "owner");
  }

  // One generic stub per client certificate ("" for none), each on its own channel.
  static grpc::GenericStub& StubFor(Column c) {
    const std::string cert = kPrincipals[c].certificate;
    auto& stub = (*stubs_)[cert];
    if (stub == nullptr) {
      stub = std::make_unique<grpc::GenericStub>(
          cert.empty() ? TestChannel(aggpayd().grpc_addr())
                       : IdentityChannel(aggpayd().grpc_addr(), cert));
    }
    return *stub;
  }

  // Signs a request that terminals sign with terminal A's key (fresh timestamp and nonce).
  static void SignAsTerminal(pb::Message& req) {
    const ActivatedTerminal& t = f_->terminal_a;
    const std::string ts = std::to_string(absl::ToUnixSeconds(absl::Now()));
    const std::string nonce = common::RandomToken(12);
    if (auto* r = dynamic_cast<v1::CheckInRequest*>(&req)) {
      r->set_timestamp(ts);
      r->set_nonce(nonce);
      r->set_signature(terminal::SignTerminalRequest(t.key, "CheckIn", t.sn, ts, nonce,
                                                     common::Sha256Hex(r->client_version())));
    } else if (auto* p = dynamic_cast<v1::CreateTerminalPaymentRequest*>(&req)) {
      p->set_timestamp(ts);
      p->set_nonce(nonce);
      const std::string body = common::Sha256Hex(
          payment::TerminalPaymentBody(p->kind(), p->out_trade_no(), p->amount().amount_minor(),
                                       p->amount().currency(), p->wallet(), p->auth_code()));
      p->set_signature(terminal::SignTerminalRequest(t.key, payment::kTerminalPaymentMethod, t.sn,
                                                     ts, nonce, body));
    } else {
      ADD_FAILURE() << req.GetTypeName() << " has no terminal signature this test knows";
    }
  }

  struct Answer {
    grpc::Status status;
    std::string response;  // text format
  };

  // Calls `method` with `request` (text format, $NAMES substituted) through the generic stub.
  // `as` is the column whose certificate and metadata the call carries; `more` adds to them.
  static Answer Call(const pb::MethodDescriptor* method, const std::string& request, Column as,
                     Decorator more = nullptr, bool sign_as_terminal = false) {
    const pb::Message* prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(method->input_type());
    std::unique_ptr<pb::Message> req(prototype->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(Subst(request), req.get()))
        << method->full_name() << ": " << request;
    if (sign_as_terminal) SignAsTerminal(*req);
    std::string bytes;
    req->SerializeToString(&bytes);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1);
    grpc::ByteBuffer out;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    kPrincipals[as].decorate(ctx);
    if (more != nullptr) more(ctx);
    std::promise<grpc::Status> done;
    StubFor(as).UnaryCall(
        &ctx, absl::StrCat("/", method->service()->full_name(), "/", method->name()),
        grpc::StubOptions(), &in, &out, [&done](grpc::Status s) { done.set_value(std::move(s)); });
    Answer a{done.get_future().get(), ""};
    if (a.status.ok()) {
      std::vector<grpc::Slice> slices;
      std::string wire;
      if (out.Dump(&slices).ok()) {
        for (const auto& s : slices)
          wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
      std::unique_ptr<pb::Message> resp(
          pb::MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
      resp->ParseFromString(wire);
      a.response = resp->DebugString();
    }
    return a;
  }

  static const pb::MethodDescriptor* Method(const std::string& full_name) {
    const pb::MethodDescriptor* m =
        pb::DescriptorPool::generated_pool()->FindMethodByName(full_name);
    EXPECT_NE(m, nullptr) << full_name;
    return m;
  }

  // Counts (and, for the quiet tables, checksums) of every table a merchant's objects live in.
  static std::string TenantSnapshot() {
    std::vector<std::string> counts;
    for (const char* t : kTenantTables)
      counts.push_back(absl::StrCat("(SELECT COUNT(*) FROM ", t, ")"));
    std::string out = Query("SELECT " + absl::StrJoin(counts, ", "));
    absl::StrAppend(&out, "\n", Query("CHECKSUM TABLE " + absl::StrJoin(kQuietTables, ", ")));
    return out;
  }

  // --- REST sign-ins, as a browser does them.
  static std::string SetCookie(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (absl::EqualsIgnoreCase(k, "Set-Cookie") && absl::StartsWith(v, name + "=")) {
        const std::string value = v.substr(name.size() + 1);
        return absl::StrCat(name, "=", value.substr(0, value.find(';')));
      }
    }
    return "";
  }

  // The session cookie and CSRF token a sign-in answered with.
  static Fixture::Session SessionOf(const HttpResponse& signed_in, const std::string& cookie) {
    EXPECT_EQ(signed_in.status, 200) << signed_in.body;
    Fixture::Session s{SetCookie(signed_in, cookie), JsonString(signed_in.body, "csrf_token")};
    EXPECT_FALSE(s.cookie.empty() || s.csrf.empty()) << signed_in.body;
    return s;
  }

  static Fixture::Session PortalSignIn(const std::string& mobile) {
    HttpResponse code = PlainRequest(gateway_->url(), "POST", "/m/api/sign-in-code",
                                     absl::StrCat(R"({"mobile":")", mobile, R"("})"),
                                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(code.status, 200) << code.body;
    std::ifstream sms(aggpayd().sms_log());
    std::stringstream text;
    text << sms.rdbuf();
    const std::string log = text.str();
    std::smatch m;
    std::string otp;
    std::regex re(mobile + " aggpay: ([0-9]{6}) signs you in");
    for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator();
         ++it) {
      otp = (*it)[1];
    }
    EXPECT_FALSE(otp.empty()) << log;
    HttpResponse session =
        PlainRequest(gateway_->url(), "POST", "/m/api/session",
                     absl::StrCat(R"({"mobile":")", mobile, R"(","code":")", otp, R"("})"),
                     {{"Content-Type", "application/json"}});
    return SessionOf(session, "__Host-aggpay_portal");
  }

  static Fixture::Session ConsoleSignIn(const std::string& username, const std::string& role) {
    CommandResult c =
        AdminCtl(absl::StrCat("staff create ", username, " --role ", role, " --console -o json"));
    EXPECT_EQ(c.exit_code, 0) << c.out;
    const std::string totp = admin::TotpCode(TotpSecretFromUri(JsonString(c.out, "totp_uri")),
                                             admin::TotpStep(absl::Now()));
    HttpResponse session = PlainRequest(
        gateway_->url(), "POST", "/console/api/session",
        absl::StrCat(R"({"username":")", username, R"(","password":")",
                     JsonString(c.out, "password"), R"(","totp_code":")", totp, R"("})"),
        {{"Content-Type", "application/json"}});
    return SessionOf(session, "__Host-aggpay_console");
  }

  static GatewayProcess* gateway_;
  static std::shared_ptr<grpc::Channel>* channel_;
  static std::map<std::string, std::unique_ptr<grpc::GenericStub>>* stubs_;
  static Fixture* f_;
};

GatewayProcess* AccessMatrixE2eTest::gateway_ = nullptr;
std::shared_ptr<grpc::Channel>* AccessMatrixE2eTest::channel_ = nullptr;
std::map<std::string, std::unique_ptr<grpc::GenericStub>>* AccessMatrixE2eTest::stubs_ = nullptr;
AccessMatrixE2eTest::Fixture* AccessMatrixE2eTest::f_ = nullptr;

TEST_F(AccessMatrixE2eTest, EveryMethodHasARowThatAgreesWithItsProtoOption) {
  std::set<std::string> in_table;
  for (const Row& r : Table()) {
    EXPECT_TRUE(in_table.insert(r.method).second) << "two rows for " << r.method;
  }
  std::set<std::string> served;
  for (const pb::ServiceDescriptor* s : AggpayServices()) {
    for (int i = 0; i < s->method_count(); ++i) {
      const pb::MethodDescriptor* m = s->method(i);
      served.insert(m->full_name());
      EXPECT_TRUE(in_table.count(m->full_name()))
          << m->full_name() << " has no row in the access matrix: add one to Table() in "
          << "tests/e2e/access_matrix_e2e_test.cc saying who may call it";
    }
  }
  EXPECT_GE(served.size(), 100u);
  for (const Row& r : Table()) {
    EXPECT_TRUE(served.count(r.method)) << r.method << " has a row but is no method";
    // In mtls mode the shared secret is no credential, and no service is a merchant.
    EXPECT_EQ((r.allowed & Bit(kSharedSecret)) != 0, (r.allowed & NOBODY) != 0)
        << r.method << ": the shared secret must open exactly what no one may call";
    EXPECT_EQ(r.allowed & Bit(kMonolithForA), NONE)
        << r.method << ": a service acting for a merchant is always refused";
    const pb::MethodDescriptor* m =
        pb::DescriptorPool::generated_pool()->FindMethodByName(r.method);
    if (m == nullptr) continue;
    // The option, less the columns a handler narrows it by; a terminal-signed public method is
    // open past the interceptor, and the signature in the request decides.
    Cols from_proto = FromProtoOption(m->options().GetExtension(v1::access)) & ~r.narrowed;
    if (r.terminal_signed) from_proto = m->options().GetExtension(v1::access).public_() ? TRM : 0;
    EXPECT_EQ(r.allowed, from_proto)
        << r.method << "\n  table: " << Names(r.allowed) << "\n  proto: " << Names(from_proto)
        << "\n  (aggpay.v1.access) = { " << m->options().GetExtension(v1::access).ShortDebugString()
        << " }";
  }
}

TEST_F(AccessMatrixE2eTest, EveryMethodAllowsExactlyItsRowsPrincipals) {
  std::ostringstream report;
  int cells = 0;
  for (const Row& row : Table()) {
    const pb::MethodDescriptor* m = Method(row.method);
    if (m == nullptr) continue;
    report << row.method << ":";
    for (int c = 0; c < kColumnCount; ++c) {
      const Column col = static_cast<Column>(c);
      Answer a = Call(m, row.request, col, nullptr, row.terminal_signed && col == kTerminal);
      ++cells;
      const bool want = row.allowed & Bit(col);
      const bool got = !IsCallerRefusal(a.status, row.terminal_signed);
      report << " " << kColumnNames[c] << "=" << a.status.error_code();
      EXPECT_EQ(got, want) << row.method << " called by " << kColumnNames[c] << ": expected "
                           << (want ? "allowed" : "refused") << ", got code "
                           << a.status.error_code() << " \"" << a.status.error_message() << "\"";
    }
    report << "\n";
  }
  EXPECT_EQ(cells, static_cast<int>(Table().size()) * kColumnCount);
  // The whole matrix, status codes per column, for a reviewer.
  std::cout << report.str();
}

// Writes on ids that exist nowhere, by the callers that may make them: NOT_FOUND naming the id,
// and nothing recorded (a freeze of no merchant used to answer OK and leave a freeze row).
TEST_F(AccessMatrixE2eTest, WritesOnIdsThatExistNowhereAreNotFoundAndRecordNothing) {
  struct Case {
    const char* method;
    const char* request;
    Column as;
    const char* id;
  };
  const Case cases[] = {
      {"aggpay.v1.RiskService.FreezeMerchant", R"(merchant_id: "m_ghost" reason: "r")", kReviewer,
       "m_ghost"},
      {"aggpay.v1.RiskService.FreezeMerchant", R"(merchant_id: "m_ghost" reason: "r")", kAdmin,
       "m_ghost"},
      {"aggpay.v1.TerminalService.ReleaseMerchantHold", R"(merchant_id: "m_ghost" reason: "r")",
       kIdRisk, "m_ghost"},
      {"aggpay.v1.BindingService.CodePaid", R"(code_id: "GHOSTGHOSTGHOSTGHOST22")", kIdPayment,
       "GHOSTGHOSTGHOSTGHOST22"},
  };
  for (const Case& c : cases) {
    Answer a = Call(Method(c.method), c.request, c.as);
    EXPECT_EQ(a.status.error_code(), grpc::StatusCode::NOT_FOUND)
        << c.method << " by " << kColumnNames[c.as] << ": " << a.status.error_message();
    EXPECT_TRUE(absl::StrContains(a.status.error_message(), c.id))
        << c.method << ": the answer names " << c.id << ": " << a.status.error_message();
  }
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_freezes WHERE merchant_id = 'm_ghost'"), "0");
  EXPECT_EQ(Query("SELECT COUNT(*) FROM risk_actions WHERE merchant_id = 'm_ghost'"), "0");
}

// Tenancy: merchant A names merchant B's objects.
struct Attempt {
  const char* method;
  const char* request;
  // NOT_FOUND, the answer for an id that does not exist, unless said otherwise.
  grpc::StatusCode want = grpc::StatusCode::NOT_FOUND;
};

const std::vector<Attempt>& TenancyReads() {
  static const auto* v = new std::vector<Attempt>{
      {"aggpay.v1.MerchantService.GetMerchant", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.GetApplication", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.ListStores", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.ListApiKeys", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.ListMerchantUsers", R"(merchant_id: "$MB")"},
      {"aggpay.v1.BindingService.GetCode", R"(code_id: "$CODE_B")"},
      {"aggpay.v1.BindingService.ListCodes", R"(merchant_id: "$MB")"},
      {"aggpay.v1.BindingService.RenderCode", R"(code_id: "$CODE_B" format: "svg" size_px: 300)"},
      {"aggpay.v1.BindingService.BackupCodes", R"(merchant_id: "$MB")"},
      {"aggpay.v1.BindingService.ListAlerts", R"(merchant_id: "$MB")"},
      // A history is a list: B's entries are left out, so B's code or terminal has an empty one,
      // as an unknown id has (the answer is empty, checked below).
      {"aggpay.v1.BindingService.CodeHistory", R"(code_id: "$CODE_B")", grpc::StatusCode::OK},
      {"aggpay.v1.BindingService.CodeHistory", R"(terminal_sn: "$TERM_B")", grpc::StatusCode::OK},
      {"aggpay.v1.FeeService.GetMerchantPlan", R"(merchant_id: "$MB")"},
      {"aggpay.v1.FeeService.Quote",
       R"(merchant_id: "$MB" channel: "wechat" amount { currency: "CNY" amount_minor: 100 })"},
      {"aggpay.v1.PaymentService.GetPayment", R"(payment_id: "$PAY_B")"},
      {"aggpay.v1.PaymentService.ListPayments", R"(merchant_id: "$MB")"},
      {"aggpay.v1.RiskService.ListFreezes", R"(merchant_id: "$MB")"},
      {"aggpay.v1.RiskService.ListAppeals", R"(merchant_id: "$MB")"},
      {"aggpay.v1.RiskService.GetThresholds", R"(merchant_id: "$MB")"},
      {"aggpay.v1.RiskService.ListAlerts", R"(merchant_id: "$MB")"},
      {"aggpay.v1.SettlementService.ListLines", R"(merchant_id: "$MB" date: "$LINE_DATE_B")"},
      {"aggpay.v1.SettlementService.GetNextPayout", R"(merchant_id: "$MB" cycle: "T1")"},
      {"aggpay.v1.SettlementService.GetStatement", R"(merchant_id: "$MB" date: "$LINE_DATE_B")"},
      {"aggpay.v1.TerminalService.GetTerminal", R"(terminal_sn: "$TERM_B")"},
  };
  return *v;
}

const std::vector<Attempt>& TenancyWrites() {
  static const auto* v = new std::vector<Attempt>{
      {"aggpay.v1.MerchantService.CreateApiKey", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.RevokeApiKey", R"(key_id: "$KEY_B")"},
      {"aggpay.v1.MerchantService.InviteMerchantUser",
       R"(merchant_id: "$MB" mobile: "13000000019" role: "viewer")"},
      {"aggpay.v1.MerchantService.RemoveMerchantUser", R"(merchant_id: "$MB" user_id: "$USER_B")"},
      {"aggpay.v1.MerchantService.RemoveMerchantUser", R"(user_id: "$USER_B")"},
      {"aggpay.v1.MerchantService.RequestSettlementAccountOtp", R"(merchant_id: "$MB")"},
      {"aggpay.v1.MerchantService.UpdateSettlementAccount",
       R"(merchant_id: "$MB" otp: "123456" account { kind: "CORPORATE" bank_name: "B" account_name: "N" account_number: "117010100100123456" })"},
      {"aggpay.v1.BindingService.RequestReset",
       R"(code_id: "$CODE_B" reason: "DAMAGED" mode: "GRACEFUL")"},
      {"aggpay.v1.BindingService.VerifyReset", R"(request_id: "$RESET_B" otp: "123456")"},
      {"aggpay.v1.BindingService.EndGrace", R"(code_id: "$CODE_B")"},
      {"aggpay.v1.PaymentService.CreateMerchantPayment",
       R"(merchant_id: "$MB" out_trade_no: "MX-T-1" amount { currency: "CNY" amount_minor: 100 } wallet: "wechat")"},
      // As for a store that does not exist: "store_id: no such store for this merchant".
      {"aggpay.v1.PaymentService.CreateMerchantPayment",
       R"(store_id: "$STORE_B" out_trade_no: "MX-T-2" amount { currency: "CNY" amount_minor: 100 } wallet: "wechat")",
       grpc::StatusCode::INVALID_ARGUMENT},
      {"aggpay.v1.PaymentService.RefundPayment",
       R"(payment_id: "$PAY_B" amount { currency: "CNY" amount_minor: 1 } out_refund_no: "MX-T-RF" reason: "r")"},
      {"aggpay.v1.PaymentService.ConfigureWebhook",
       R"(merchant_id: "$MB" notify_url: "http://127.0.0.1:9/notify")"},
      {"aggpay.v1.RiskService.SubmitAppeal", R"(merchant_id: "$MB" statement: "mine")"},
      {"aggpay.v1.RiskService.SetThresholds", R"(merchant_id: "$MB" new_region: false)"},
  };
  return *v;
}

struct List {
  const char* method;
  const char* request;
  const char* must_hold;  // one of A's ids, so that an empty answer cannot pass
};

const std::vector<List>& TenancyLists() {
  static const auto* v = new std::vector<List>{
      {"aggpay.v1.PaymentService.ListPayments", "page_size: 100", "$PAY_A"},
      {"aggpay.v1.BindingService.ListCodes", "page_size: 100", "$CODE_A"},
      {"aggpay.v1.BindingService.ListCodes", R"(terminal_sn: "$TERM_B")", ""},
      {"aggpay.v1.BindingService.CodeHistory", R"(terminal_sn: "$TERM_B")", ""},
      {"aggpay.v1.PaymentService.ListPayments", R"(business_date: "$TODAY")", ""},
      {"aggpay.v1.BindingService.BackupCodes", "", ""},
      {"aggpay.v1.BindingService.ListAlerts", "", ""},
      {"aggpay.v1.MerchantService.ListStores", "", "$STORE_A"},
      {"aggpay.v1.MerchantService.ListApiKeys", "", "$KEY_A"},
      {"aggpay.v1.MerchantService.ListMerchantUsers", "", "$USER_A"},
      {"aggpay.v1.TerminalService.ListMyTerminals", "", "$TERM_A"},
      {"aggpay.v1.RiskService.ListFreezes", "", ""},
      {"aggpay.v1.RiskService.ListAppeals", "", ""},
      {"aggpay.v1.RiskService.ListAlerts", "", ""},
      {"aggpay.v1.SettlementService.ListLines", R"(date: "$LINE_DATE_B")", ""},
  };
  return *v;
}

// Merchant-callable methods that take no merchant's id (nothing of another merchant to name).
constexpr const char* kNoTenantId[] = {"aggpay.v1.AdminService.WhoAmI",
                                       "aggpay.v1.FeeService.RefundFee",
                                       "aggpay.v1.FeeService.ComparePlans"};

// Merchant A (signed in to the portal as owner, so that no owner-only check answers first) names
// merchant B's objects: every call is NOT_FOUND, and the writes leave every table as it was.
TEST_F(AccessMatrixE2eTest, MerchantANeverReadsOrChangesMerchantBsObjects) {
  // The same request naming ids that exist nowhere (B's, last character changed): B's objects
  // must be answered exactly as those are, so that A cannot even learn they exist.
  const std::vector<std::string> b_names = {"$MB",    "$STORE_B", "$TERM_B", "$CODE_B",
                                            "$PAY_B", "$KEY_B",   "$USER_B", "$RESET_B"};
  const auto unknown = [&](const std::string& request) {
    std::string out = request;
    for (const std::string& name : b_names) {
      std::string id = Subst(name);
      id.back() = id.back() == 'x' ? 'y' : 'x';
      out = absl::StrReplaceAll(out, {{name, id}});
    }
    return out;
  };
  // A message names the id it did not find: compare with the ids blanked.
  const auto blank = [&](std::string message) {
    for (const std::string& name : b_names) {
      std::string id = Subst(name);
      message = absl::StrReplaceAll(message, {{id, "<id>"}});
      id.back() = id.back() == 'x' ? 'y' : 'x';
      message = absl::StrReplaceAll(message, {{id, "<id>"}});
    }
    return message;
  };
  const auto attempt = [&](const Attempt& a) {
    Answer got = Call(Method(a.method), a.request, kMerchantA, AsOwnerA);
    EXPECT_EQ(got.status.error_code(), a.want)
        << a.method << " " << Subst(a.request) << ": " << got.status.error_message();
    EXPECT_EQ(got.response, "") << a.method << " " << Subst(a.request) << " shows B's data";
    Answer none = Call(Method(a.method), unknown(a.request), kMerchantA, AsOwnerA);
    EXPECT_EQ(got.status.error_code(), none.status.error_code()) << a.method;
    EXPECT_EQ(blank(got.status.error_message()), blank(none.status.error_message()))
        << a.method << ": B's object is answered otherwise than an unknown id";
  };
  for (const Attempt& a : TenancyReads()) attempt(a);
  const std::string before = TenantSnapshot();
  for (const Attempt& a : TenancyWrites()) attempt(a);
  EXPECT_EQ(TenantSnapshot(), before) << "rows of " << absl::StrJoin(kTenantTables, ", ");
}

// A's lists (its own scope, no merchant id) hold A's objects and none of B's.
TEST_F(AccessMatrixE2eTest, MerchantAsListsHoldNoneOfMerchantBsObjects) {
  const std::vector<std::string> b_ids = {"$MB",    "$STORE_B",  "$TERM_B", "$CODE_B",
                                          "$PAY_B", "$REFUND_B", "$KEY_B",  "$USER_B"};
  for (const List& l : TenancyLists()) {
    Answer got = Call(Method(l.method), l.request, kMerchantA, AsOwnerA);
    ASSERT_TRUE(got.status.ok()) << l.method << ": " << got.status.error_message();
    if (*l.must_hold) {
      EXPECT_TRUE(absl::StrContains(got.response, Subst(l.must_hold)))
          << l.method << " lacks " << l.must_hold << ":\n"
          << got.response;
    }
    for (const std::string& id : b_ids) {
      EXPECT_FALSE(absl::StrContains(got.response, Subst(id)))
          << l.method << " shows B's " << id << ":\n"
          << got.response;
    }
    EXPECT_FALSE(absl::StrContains(got.response, Subst("line_id: $LINE_B\n")))
        << l.method << " shows B's settlement line:\n"
        << got.response;
  }
  // B's own list has the line A did not see.
  Answer own =
      Call(Method("aggpay.v1.SettlementService.ListLines"), R"(date: "$LINE_DATE_B")", kMerchantB);
  EXPECT_TRUE(absl::StrContains(own.response, Subst("line_id: $LINE_B\n"))) << own.response;
}

// A merchant-callable method (a row with a merchant column) without a tenancy case fails here.
TEST_F(AccessMatrixE2eTest, EveryMerchantMethodHasATenancyCase) {
  std::set<std::string> cased(std::begin(kNoTenantId), std::end(kNoTenantId));
  for (const Attempt& a : TenancyReads()) cased.insert(a.method);
  for (const Attempt& a : TenancyWrites()) cased.insert(a.method);
  for (const List& l : TenancyLists()) cased.insert(l.method);
  for (const Row& r : Table()) {
    // Public methods are no merchant's: anyone may call them, and what they reveal is the
    // payer's (a code's display name, a payment's status under its page's key).
    if (((r.allowed | r.narrowed) & MER) == 0 || (r.allowed & NOBODY)) continue;
    EXPECT_TRUE(cased.count(r.method))
        << r.method << " is merchant-callable but merchant A never tries B's objects with it: add "
        << "a case to TenancyReads(), TenancyWrites() or TenancyLists() (or kNoTenantId)";
  }
}

TEST_F(AccessMatrixE2eTest, EveryRouteAnswersEachCredentialAsItsRowSays) {
  const std::vector<Binding> bindings = HttpBindings();
  std::set<std::string> covered;  // "GET /v1/merchant/payments/{payment_id}"
  std::ostringstream report;
  for (const Route& route : Routes()) {
    const std::string path = Subst(route.path);
    const std::string body = Subst(route.body);
    const std::string bare = path.substr(0, path.find('?'));
    const Binding* binding = nullptr;
    for (const Binding& b : bindings) {
      if (b.verb == route.method && std::regex_match(bare, b.pattern)) binding = &b;
    }
    if (binding == nullptr) {
      ADD_FAILURE() << route.method << " " << route.path << " is no route of the gateway";
      continue;
    }
    covered.insert(absl::StrCat(binding->verb, " ", binding->path_template));
    const Row* row = RowOf(binding->method->full_name());
    ASSERT_NE(row, nullptr) << binding->method->full_name();
    const bool staff_route = absl::StartsWith(bare, "/v1/staff/");
    const bool public_route = (row->allowed & NOBODY) != 0;
    const Outcome reached = route.missing ? Outcome::kNotFound : Outcome::kAllowed;
    report << route.method << " " << route.path << " (" << binding->method->name() << "):";
    for (int c = 0; c < kRestColumnCount; ++c) {
      Outcome want = Outcome::kRefused;
      std::map<std::string, std::string> headers;
      const Fixture::Session* session = nullptr;
      const MerchantKey* key = nullptr;
      if (c == kRestMerchantA || c == kRestMerchantB) {
        key = c == kRestMerchantA ? &f_->key_a : &f_->key_b;
        const Cols col = Bit(c == kRestMerchantA ? kMerchantA : kMerchantB);
        if (!staff_route && (row->allowed & col)) {
          want = (c == kRestMerchantB && route.names_a_object) ? Outcome::kNotFound : reached;
        }
      } else if (c >= kPortalOwner && c <= kPortalViewer) {
        static const char* kRoles[] = {"owner", "cashier", "viewer"};
        session = &f_->portal[kRoles[c - kPortalOwner]];
        headers["Cookie"] = session->cookie;
        const uint8_t role = uint8_t{1} << (c - kPortalOwner);
        // An owner is let through where an API key is not (the rows' `narrowed`).
        if (!staff_route && ((row->allowed | row->narrowed) & MER) && (route.portal & role)) {
          want = reached;
        }
      } else if (c >= kConsoleAdmin) {
        const Column staff = kConsoleRole[c - kConsoleAdmin];
        session = &f_->console[kColumnNames[staff]];
        headers["Cookie"] = session->cookie;
        if (staff_route && (row->allowed & Bit(staff))) want = reached;
      }
      if (public_route) want = reached;  // the payers' routes: any credential or none
      if (session != nullptr && !session->csrf.empty()) headers["X-CSRF-Token"] = session->csrf;
      if (!body.empty()) headers["Content-Type"] = "application/json";
      const bool b_checks = c == kRestMerchantB && route.names_a_object;
      const std::string before = b_checks ? TenantSnapshot() : "";
      SignOptions sign;
      sign.extra_headers = headers;
      HttpResponse r = key ? SignedRequest(gateway_->url(), route.method, path, body, *key, sign)
                           : PlainRequest(gateway_->url(), route.method, path, body, headers);
      if (b_checks) {
        EXPECT_EQ(TenantSnapshot(), before)
            << route.method << " " << route.path << " by merchant B changed A's rows";
      }
      report << " " << kRestColumnNames[c] << "=" << r.status;
      // Whatever A's credentials read (its lists included) holds nothing of B's.
      if (c == kRestMerchantA || (c >= kPortalOwner && c <= kPortalViewer)) {
        for (const char* name : {"$MB", "$STORE_B", "$TERM_B", "$CODE_B", "$PAY_B", "$REFUND_B",
                                 "$KEY_B", "$USER_B", "$RESET_B"}) {
          EXPECT_FALSE(absl::StrContains(r.body, Subst(name)))
              << route.method << " " << path << " with " << kRestColumnNames[c] << " shows B's "
              << name << ": " << r.body.substr(0, 300);
        }
      }
      EXPECT_EQ(OutcomeName(Classify(r.status)), std::string(OutcomeName(want)))
          << route.method << " " << path << " with " << kRestColumnNames[c] << ": HTTP " << r.status
          << " " << r.body.substr(0, 300);
    }
    report << "\n";
  }
  std::cout << report.str();

  // Every binding in the descriptors has a row, and so has every path /openapi.json publishes.
  for (const Binding& b : bindings) {
    EXPECT_TRUE(covered.count(absl::StrCat(b.verb, " ", b.path_template)))
        << b.verb << " " << b.path_template << " (" << b.method->full_name()
        << ") has no row in Routes()";
  }
  auto openapi = HttpGet(gateway_->url() + "/openapi.json");
  ASSERT_EQ(openapi.first, 200);
  std::regex path_re("\"(/v1/[^\"]*)\"\\s*:\\s*\\{");
  int paths = 0;
  for (auto it = std::sregex_iterator(openapi.second.begin(), openapi.second.end(), path_re);
       it != std::sregex_iterator(); ++it) {
    ++paths;
    const std::string p = (*it)[1];
    bool found = false;
    for (const std::string& c : covered) found = found || c.substr(c.find(' ') + 1) == p;
    EXPECT_TRUE(found) << "/openapi.json has " << p << " but Routes() has no row for it";
  }
  EXPECT_GT(paths, 40);
}

}  // namespace
}  // namespace aggpay::testing
