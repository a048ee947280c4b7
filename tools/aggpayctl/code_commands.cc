#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <fstream>

#include "aggpay/v1/binding.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;
using google::protobuf::util::TimeUtil;

struct CodeArgs {
  std::string merchant_id;
  std::string store_id;
  std::string terminal_sn;
  std::string kind;
  std::string amount_minor;
  std::string currency = "CNY";
  int64_t ttl_seconds = 0;
  std::string code;
  std::string reason;
  std::string mode = "IMMEDIATE";
  int64_t grace_seconds = 0;
  std::string format;
  int size_px = 0;
  bool skin = false;
  std::string caption;
  std::string foreground;
  std::string background;
  bool logo_area = false;
  std::string out;
  std::string status;
  std::string request_id;
  bool approve = false;
  bool reject = false;
};

void PrintCode(const v1::CollectionCode& c) {
  std::printf("%s  %-7s %-7s %s  merchant %s store %s terminal %s%s%s\n", c.code_id().c_str(),
              c.kind().c_str(), c.status().c_str(), c.url().c_str(), c.merchant_id().c_str(),
              c.store_id().c_str(), c.terminal_sn().empty() ? "-" : c.terminal_sn().c_str(),
              c.replaced_by().empty() ? "" : "  replaced by ", c.replaced_by().c_str());
}

void PrintReset(const v1::ResetCodeResponse& r) {
  std::printf("old ");
  PrintCode(r.old_code());
  std::printf("new ");
  PrintCode(r.new_code());
  for (const auto& sn : r.terminals_holding_old_code()) {
    std::printf("terminal %s still holds the old code until its next check-in\n", sn.c_str());
  }
}

void PrintRequest(const v1::ResetRequestView& r) {
  std::printf("%s  %s  code %s  %s %s  attempts left %d%s%s\n", r.request_id().c_str(),
              r.status().c_str(), r.code_id().c_str(), r.reason().c_str(), r.mode().c_str(),
              r.attempts_left(), r.new_code_id().empty() ? "" : "  new code ",
              r.new_code_id().c_str());
}

}  // namespace

void AddCodeCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<CodeArgs>();
  auto stub = [&ctl] { return v1::BindingService::NewStub(ctl.channel); };
  auto* code = app.add_subcommand("code", "collection codes (收款码)");
  code->require_subcommand(1);

  auto* issue = code->add_subcommand("issue", "issue a code for a terminal or a store");
  issue->add_option("--merchant", a->merchant_id)->required();
  issue->add_option("--store", a->store_id)->required();
  issue->add_option("--terminal", a->terminal_sn);
  issue->add_option("--kind", a->kind, "STATIC (default) or DYNAMIC");
  issue->add_option("--amount-minor", a->amount_minor, "dynamic codes: fixed amount");
  issue->add_option("--currency", a->currency);
  issue->add_option("--ttl-seconds", a->ttl_seconds, "dynamic codes: lifetime");
  issue->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::IssueCodeRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_store_id(a->store_id);
      r.set_terminal_sn(a->terminal_sn);
      r.set_kind(a->kind);
      if (!a->amount_minor.empty()) {
        r.mutable_amount()->set_currency(a->currency);
        r.mutable_amount()->set_amount_minor(std::stoll(a->amount_minor));
      }
      r.set_ttl_seconds(a->ttl_seconds);
      return RunCall<v1::CollectionCode>(
          ctl, [&](auto* c, auto* out) { return stub()->IssueCode(c, r, out); }, PrintCode);
    };
  });

  auto* resolve = code->add_subcommand("resolve", "what a payer scanning the code would get");
  resolve->add_option("code", a->code, "code id or scanned URL")->required();
  resolve->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ResolveCodeRequest r;
      r.set_code(a->code);
      return RunCall<v1::ResolvedCode>(
          ctl, [&](auto* c, auto* out) { return stub()->ResolveCode(c, r, out); },
          +[](const v1::ResolvedCode& rc) {
            if (rc.outcome() == "PAYABLE") {
              std::printf("PAYABLE  %s  store %s terminal %s\n", rc.merchant_display_name().c_str(),
                          rc.store_id().c_str(), rc.terminal_sn().c_str());
            } else {
              std::printf("%s  %s\n", rc.outcome().c_str(), rc.message().c_str());
            }
          });
    };
  });

  auto* render = code->add_subcommand("render", "render a code as PNG or SVG into a file");
  render->add_option("code_id", a->code)->required();
  render->add_option("--format", a->format, "png (default) or svg");
  render->add_option("--size", a->size_px, "300, 600, 1200 or 2400 px");
  render->add_flag("--skin", a->skin, "apply a skin (terminals whose version allows skins)");
  render->add_option("--caption", a->caption);
  render->add_option("--foreground", a->foreground, "#RRGGBB");
  render->add_option("--background", a->background, "#RRGGBB");
  render->add_flag("--logo-area", a->logo_area);
  render->add_option("--out", a->out, "output file")->required();
  render->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::RenderCodeRequest r;
      r.set_code_id(a->code);
      r.set_format(a->format);
      r.set_size_px(a->size_px);
      r.set_skin(a->skin);
      r.set_caption(a->caption);
      r.set_foreground(a->foreground);
      r.set_background(a->background);
      r.set_logo_area(a->logo_area);
      v1::CodeImage resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->RenderCode(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      std::ofstream(a->out, std::ios::binary) << resp.data();
      std::printf("wrote %s (%s, %zu bytes) for %s\n", a->out.c_str(), resp.mime_type().c_str(),
                  resp.data().size(), resp.url().c_str());
      return 0;
    };
  });

  auto* unbind = code->add_subcommand("unbind", "unbind a code: paste the scanned URL");
  unbind->add_option("scanned", a->code)->required();
  unbind->add_option("--reason", a->reason)->required();
  unbind->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::UnbindCodeRequest r;
      r.set_scanned(a->code);
      r.set_reason(a->reason);
      return RunCall<v1::CollectionCode>(
          ctl, [&](auto* c, auto* out) { return stub()->UnbindCode(c, r, out); }, PrintCode);
    };
  });

  auto* reset = code->add_subcommand("reset", "revoke a code and issue a new one, atomically");
  reset->add_option("code", a->code, "code id or scanned URL")->required();
  reset
      ->add_option("--reason", a->reason,
                   "DEVICE_LOST, ACCOUNT_BANNED, UNUSUAL_LOGIN, DAMAGED, CHANNEL_CHANGE, "
                   "RISK_CONTROL")
      ->required();
  reset->add_option("--mode", a->mode, "IMMEDIATE (default) or GRACEFUL");
  reset->add_option("--grace-seconds", a->grace_seconds, "GRACEFUL: default 24 h");
  reset->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ResetCodeRequest r;
      r.set_code(a->code);
      r.set_reason(a->reason);
      r.set_mode(a->mode);
      r.set_grace_seconds(a->grace_seconds);
      return RunCall<v1::ResetCodeResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ResetCode(c, r, out); }, PrintReset);
    };
  });

  auto* end_grace = code->add_subcommand("end-grace", "end a graceful reset's grace early");
  end_grace->add_option("code_id", a->code)->required();
  end_grace->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::EndGraceRequest r;
      r.set_code_id(a->code);
      return RunCall<v1::CollectionCode>(
          ctl, [&](auto* c, auto* out) { return stub()->EndGrace(c, r, out); }, PrintCode);
    };
  });

  auto* history = code->add_subcommand("history", "every code a terminal ever had");
  history->add_option("--terminal", a->terminal_sn);
  history->add_option("--code", a->code);
  history->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CodeHistoryRequest r;
      r.set_terminal_sn(a->terminal_sn);
      r.set_code_id(a->code);
      return RunCall<v1::CodeHistoryResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->CodeHistory(c, r, out); },
          +[](const v1::CodeHistoryResponse& h) {
            for (const auto& e : h.entries()) {
              std::printf("%s  %-13s %s  %s  by %s\n", TimeUtil::ToString(e.at()).c_str(),
                          e.event().c_str(), e.code_id().c_str(), e.reason().c_str(),
                          e.actor().c_str());
            }
          });
    };
  });

  auto* requests = code->add_subcommand("requests", "merchants' reset requests");
  requests->add_option("--status", a->status, "e.g. PENDING_REVIEW");
  requests->add_option("--merchant", a->merchant_id);
  requests->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListResetRequestsRequest r;
      r.set_status(a->status);
      r.set_merchant_id(a->merchant_id);
      return RunCall<v1::ListResetRequestsResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ListResetRequests(c, r, out); },
          +[](const v1::ListResetRequestsResponse& l) {
            for (const auto& req : l.requests()) PrintRequest(req);
          });
    };
  });

  auto* review = code->add_subcommand("review", "approve or reject a reset request");
  review->add_option("request_id", a->request_id)->required();
  review->add_flag("--approve", a->approve);
  review->add_flag("--reject", a->reject);
  review->add_option("--reason", a->reason);
  review->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      if (a->approve == a->reject) {
        return PrintError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "approve: give exactly one of --approve and --reject"));
      }
      v1::ReviewResetRequest r;
      r.set_request_id(a->request_id);
      r.set_approve(a->approve);
      r.set_reason(a->reason);
      return RunCall<v1::ResetRequestView>(
          ctl, [&](auto* c, auto* out) { return stub()->ReviewReset(c, r, out); }, PrintRequest);
    };
  });

  auto* alerts = code->add_subcommand("alerts", "scans of replaced codes (possible misuse)");
  alerts->add_option("--merchant", a->merchant_id)->required();
  alerts->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListAlertsRequest r;
      r.set_merchant_id(a->merchant_id);
      return RunCall<v1::ListAlertsResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ListAlerts(c, r, out); },
          +[](const v1::ListAlertsResponse& l) {
            std::printf("%lld scan(s) of replaced codes\n",
                        static_cast<long long>(l.total_scans_of_replaced_codes()));
            for (const auto& al : l.alerts()) {
              std::printf("%s  code %s terminal %s from %s\n", TimeUtil::ToString(al.at()).c_str(),
                          al.code_id().c_str(), al.terminal_sn().c_str(), al.client().c_str());
            }
          });
    };
  });

  auto* list = code->add_subcommand("list", "a merchant's codes");
  list->add_option("--merchant", a->merchant_id)->required();
  list->add_option("--terminal", a->terminal_sn);
  list->add_option("--status", a->status);
  list->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListCodesRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_terminal_sn(a->terminal_sn);
      r.set_status(a->status);
      return RunCall<v1::ListCodesResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ListCodes(c, r, out); },
          +[](const v1::ListCodesResponse& l) {
            for (const auto& c : l.codes()) PrintCode(c);
          });
    };
  });
}

}  // namespace aggpay::ctl
