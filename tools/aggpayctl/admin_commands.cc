#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <iostream>
#include <random>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "aggpay/v1/admin.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

using google::protobuf::util::TimeUtil;
namespace v1 = aggpay::v1;

void PrintStaff(const v1::Staff& s) {
  std::printf("%s  %-20s %-9s %s  %s\n", s.staff_id().c_str(), s.username().c_str(),
              s.role().c_str(), v1::StaffStatus_Name(s.status()).c_str(), s.display_name().c_str());
}

// 20 characters of [A-Za-z0-9] from the system's random device: about 119 bits.
std::string RandomPassword() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::uniform_int_distribution<int> pick(0, 61);
  std::string out;
  for (int i = 0; i < 20; ++i) out.push_back(kAlphabet[pick(device)]);
  return out;
}

// Sets a console password (from stdin, or a fresh random one that is printed) and a new TOTP
// secret, and prints them once. `staff` is printed with them when given.
int SetConsoleCredentials(Ctl& ctl, v1::AdminService::Stub& stub, const std::string& staff_id,
                          bool password_stdin, const v1::Staff* staff) {
  v1::SetStaffCredentialsRequest r;
  r.set_staff_id(staff_id);
  r.set_new_totp_secret(true);
  const bool generated = !password_stdin;
  if (password_stdin) {
    std::string line;
    std::getline(std::cin, line);
    r.set_password(line);
  } else {
    r.set_password(RandomPassword());
  }
  v1::SetStaffCredentialsResponse resp;
  auto ctx = ctl.Context();
  grpc::Status s = stub.SetStaffCredentials(ctx.get(), r, &resp);
  if (!s.ok()) return PrintError(s);
  if (ctl.json()) {
    std::string staff_json;
    if (staff != nullptr) {
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(*staff, &staff_json, options);
    }
    std::printf("{%s%s%s\"staff_id\":\"%s\",\"password\":\"%s\",\"totp_uri\":\"%s\"}\n",
                staff_json.empty() ? "" : "\"staff\":", staff_json.c_str(),
                staff_json.empty() ? "" : ",", staff_id.c_str(),
                generated ? r.password().c_str() : "", resp.totp_uri().c_str());
    return 0;
  }
  if (staff != nullptr) PrintStaff(*staff);
  if (generated) std::printf("console password %s\n", r.password().c_str());
  std::printf("console TOTP %s\nShown only once.\n", resp.totp_uri().c_str());
  return 0;
}

}  // namespace

void AddAdminCommands(CLI::App& app, Ctl& ctl) {
  auto stub = [&ctl] { return v1::AdminService::NewStub(ctl.channel); };

  app.add_subcommand("whoami", "show who the token belongs to")->callback([&ctl, stub] {
    ctl.run = [&ctl, stub] {
      v1::Principal resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->WhoAmI(ctx.get(), v1::WhoAmIRequest(), &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("%s %s (%s) role=%s\n", resp.kind().c_str(), resp.username().c_str(),
                    resp.id().c_str(), resp.role().c_str());
      });
    };
  });

  // staff
  auto* staff = app.add_subcommand("staff", "staff accounts");
  staff->require_subcommand(1);
  auto* create = staff->add_subcommand("create", "create a staff account");
  auto username = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  auto display = std::make_shared<std::string>();
  create->add_option("username", *username, "login name")->required();
  create->add_option("--role", *role, "admin, operator, reviewer, finance or auditor")->required();
  create->add_option("--display-name", *display, "full name");
  auto console = std::make_shared<bool>(false);
  auto password_stdin = std::make_shared<bool>(false);
  create->add_flag("--console", *console,
                   "also set a console password (random, printed once) and a TOTP secret");
  create->add_flag("--password-stdin", *password_stdin,
                   "with --console: read the password from the first line of stdin");
  create->callback([&ctl, stub, username, role, display, console, password_stdin] {
    ctl.run = [&ctl, stub, username, role, display, console, password_stdin] {
      v1::CreateStaffRequest r;
      r.set_username(*username);
      r.set_role(*role);
      r.set_display_name(*display);
      v1::Staff resp;
      auto ctx = ctl.Context();
      auto admin = stub();
      grpc::Status s = admin->CreateStaff(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      if (*console || *password_stdin) {
        return SetConsoleCredentials(ctl, *admin, resp.staff_id(), *password_stdin, &resp);
      }
      return Print(ctl, resp, [&] { PrintStaff(resp); });
    };
  });

  auto* credentials = staff->add_subcommand(
      "set-console", "set a console password and a new TOTP secret (both printed once)");
  auto cred_staff = std::make_shared<std::string>();
  auto cred_stdin = std::make_shared<bool>(false);
  credentials->add_option("staff_id", *cred_staff)->required();
  credentials->add_flag("--password-stdin", *cred_stdin,
                        "read the password from the first line of stdin instead of making one");
  credentials->callback([&ctl, stub, cred_staff, cred_stdin] {
    ctl.run = [&ctl, stub, cred_staff, cred_stdin] {
      auto admin = stub();
      return SetConsoleCredentials(ctl, *admin, *cred_staff, *cred_stdin, nullptr);
    };
  });

  auto* list = staff->add_subcommand("list", "list staff accounts");
  auto page_size = std::make_shared<int>(0);
  auto page_token = std::make_shared<std::string>();
  list->add_option("--page-size", *page_size);
  list->add_option("--page-token", *page_token);
  list->callback([&ctl, stub, page_size, page_token] {
    ctl.run = [&ctl, stub, page_size, page_token] {
      v1::ListStaffRequest r;
      r.set_page_size(*page_size);
      r.set_page_token(*page_token);
      v1::ListStaffResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListStaff(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& st : resp.staff()) PrintStaff(st);
        if (!resp.next_page_token().empty()) {
          std::printf("next page: --page-token %s\n", resp.next_page_token().c_str());
        }
      });
    };
  });

  auto* disable = staff->add_subcommand("disable", "disable an account and revoke its tokens");
  auto staff_id = std::make_shared<std::string>();
  disable->add_option("staff_id", *staff_id)->required();
  disable->callback([&ctl, stub, staff_id] {
    ctl.run = [&ctl, stub, staff_id] {
      v1::DisableStaffRequest r;
      r.set_staff_id(*staff_id);
      v1::Staff resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->DisableStaff(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] { PrintStaff(resp); });
    };
  });

  // token
  auto* token = app.add_subcommand("token", "staff bearer tokens");
  token->require_subcommand(1);
  auto* issue = token->add_subcommand("issue", "issue a token for a staff account (shown once)");
  auto issue_staff = std::make_shared<std::string>();
  auto ttl = std::make_shared<int64_t>(0);
  issue->add_option("staff_id", *issue_staff)->required();
  issue->add_option("--ttl-seconds", *ttl, "lifetime; default from the server's config");
  issue->callback([&ctl, stub, issue_staff, ttl] {
    ctl.run = [&ctl, stub, issue_staff, ttl] {
      v1::IssueTokenRequest r;
      r.set_staff_id(*issue_staff);
      r.set_ttl_seconds(*ttl);
      v1::IssueTokenResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->IssueToken(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("token %s\nid %s, expires %s\n", resp.token().c_str(), resp.token_id().c_str(),
                    TimeUtil::ToString(resp.expires_at()).c_str());
      });
    };
  });
  auto* revoke = token->add_subcommand("revoke", "revoke a token by its id");
  auto token_id = std::make_shared<std::string>();
  revoke->add_option("token_id", *token_id)->required();
  revoke->callback([&ctl, stub, token_id] {
    ctl.run = [&ctl, stub, token_id] {
      v1::RevokeTokenRequest r;
      r.set_token_id(*token_id);
      v1::RevokeTokenResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->RevokeToken(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] { std::printf("revoked %s\n", token_id->c_str()); });
    };
  });

  // admin expiring
  auto* admin = app.add_subcommand("admin", "platform administration");
  admin->require_subcommand(1);
  auto* expiring = admin->add_subcommand(
      "expiring", "certificates, API keys, webhook secrets and terminal keys that expire soon");
  auto within = std::make_shared<std::string>("30d");
  expiring->add_option("--within", *within, "how far ahead: 30d (default), 72h, 90m");
  expiring->callback([&ctl, stub, within] {
    ctl.run = [&ctl, stub, within] {
      absl::Duration d;
      int64_t days = 0;
      const std::string& w = *within;
      if (absl::EndsWith(w, "d") && absl::SimpleAtoi(w.substr(0, w.size() - 1), &days) &&
          days > 0) {
        d = absl::Hours(24 * days);
      } else if (!absl::ParseDuration(w, &d) || d <= absl::ZeroDuration()) {
        return PrintError(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                       "--within: a duration such as 30d, 72h or 90m"));
      }
      v1::ListExpiringRequest r;
      r.set_within_seconds(absl::ToInt64Seconds(d));
      v1::ListExpiringResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListExpiring(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      const int code = Print(ctl, resp, [&] {
        if (resp.items().empty()) std::printf("nothing expires within %s\n", w.c_str());
        for (const auto& i : resp.items()) {
          std::printf("%s  %-14s %-36s %-20s %s\n", TimeUtil::ToString(i.expires_at()).c_str(),
                      i.kind().c_str(), i.id().c_str(), i.merchant_id().c_str(),
                      i.detail().c_str());
        }
        for (const auto& e : resp.errors()) std::fprintf(stderr, "warning: %s\n", e.c_str());
      });
      return code != 0 ? code : (resp.errors().empty() ? 0 : 4);
    };
  });

  // audit
  auto* audit = app.add_subcommand("audit", "the audit log");
  audit->require_subcommand(1);
  auto* alist = audit->add_subcommand("list", "list audit entries, oldest first");
  auto after = std::make_shared<int64_t>(0);
  auto limit = std::make_shared<int>(50);
  auto actor = std::make_shared<std::string>();
  auto action = std::make_shared<std::string>();
  alist->add_option("--after", *after, "entries after this sequence number");
  alist->add_option("--limit", *limit, "at most this many (<= 500)");
  alist->add_option("--actor", *actor, "only this actor, e.g. staff:alice");
  alist->add_option("--action", *action, "only this action (full RPC name)");
  alist->callback([&ctl, stub, after, limit, actor, action] {
    ctl.run = [&ctl, stub, after, limit, actor, action] {
      v1::ListAuditRequest r;
      r.set_after_seq(*after);
      r.set_page_size(*limit);
      r.set_actor(*actor);
      r.set_action(*action);
      v1::ListAuditResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListAudit(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& e : resp.entries()) {
          std::printf("%6lld %s %-24s %-8s %-20s %s %s\n", static_cast<long long>(e.seq()),
                      TimeUtil::ToString(e.at()).c_str(), e.actor().c_str(), e.role().c_str(),
                      e.outcome().c_str(), e.action().c_str(), e.target().c_str());
        }
      });
    };
  });
  audit->add_subcommand("verify", "check the hash chain; exit 3 if it is broken")
      ->callback([&ctl, stub] {
        ctl.run = [&ctl, stub] {
          v1::VerifyAuditResponse resp;
          auto ctx = ctl.Context();
          grpc::Status s = stub()->VerifyAudit(ctx.get(), v1::VerifyAuditRequest(), &resp);
          if (!s.ok()) return PrintError(s);
          Print(ctl, resp, [&] {
            if (resp.ok()) {
              std::printf("audit log intact: %lld entries verified\n",
                          static_cast<long long>(resp.entries_checked()));
            } else {
              std::printf("audit log BROKEN at entry %lld: %s\n",
                          static_cast<long long>(resp.first_broken_seq()), resp.problem().c_str());
            }
          });
          return resp.ok() ? 0 : 3;
        };
      });
}

}  // namespace aggpay::ctl
