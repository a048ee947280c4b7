#include <google/protobuf/util/time_util.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "aggpay/v1/terminal.grpc.pb.h"
#include "services/common/crypto/crypto.h"
#include "services/terminal/domain/terminal_key.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;
using google::protobuf::util::TimeUtil;

struct TerminalArgs {
  std::string terminal_sn;
  std::string merchant_id;
  std::string store_id;
  std::string type;
  std::string serial;
  std::string vendor;
  std::string client_version;
  std::string status;
  std::string version_below;
  int64_t idle_seconds = 0;
  int max_uses = 0;
  int64_t ttl_seconds = 0;
  std::string code;
  std::string device_id;
  std::string key;
  std::string channel;
  std::string sub_mch_id;
  std::string sub_appid;
  std::string reason;
  int page_size = 0;
  std::string page_token;
};

void PrintTerminal(const v1::Terminal& t) {
  std::printf(
      "%s  %-9s %-16s %s/%s  v%s  merchant %s store %s  last check-in %s\n",
      t.terminal_sn().c_str(), t.status().c_str(), t.type().c_str(), t.vendor().c_str(),
      t.serial().c_str(), t.client_version().c_str(), t.merchant_id().c_str(), t.store_id().c_str(),
      t.has_last_check_in_at() ? TimeUtil::ToString(t.last_check_in_at()).c_str() : "never");
}

}  // namespace

void AddTerminalCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<TerminalArgs>();
  auto stub = [&ctl] { return v1::TerminalService::NewStub(ctl.channel); };
  auto* terminal = app.add_subcommand("terminal", "collection devices");
  terminal->require_subcommand(1);

  auto* reg = terminal->add_subcommand("register", "register a terminal for a store");
  reg->add_option("--merchant", a->merchant_id)->required();
  reg->add_option("--store", a->store_id)->required();
  reg->add_option("--type", a->type, "POS, SMART_POS, CLOUD_SPEAKER, QR_STAND, CASHIER_SOFTWARE")
      ->required();
  reg->add_option("--serial", a->serial)->required();
  reg->add_option("--vendor", a->vendor)->required();
  reg->add_option("--client-version", a->client_version)->required();
  reg->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::RegisterTerminalRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_store_id(a->store_id);
      r.set_type(a->type);
      r.set_serial(a->serial);
      r.set_vendor(a->vendor);
      r.set_client_version(a->client_version);
      return RunCall<v1::Terminal>(
          ctl, [&](auto* c, auto* out) { return stub()->RegisterTerminal(c, r, out); },
          PrintTerminal);
    };
  });

  auto* code = terminal->add_subcommand("code", "issue an activation code");
  code->add_option("--merchant", a->merchant_id)->required();
  code->add_option("--store", a->store_id)->required();
  code->add_option("--terminal", a->terminal_sn, "bind it to one registered terminal");
  code->add_option("--max-uses", a->max_uses, "default 1");
  code->add_option("--ttl-seconds", a->ttl_seconds, "default 7 days");
  code->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::IssueActivationCodeRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_store_id(a->store_id);
      r.set_terminal_sn(a->terminal_sn);
      r.set_max_uses(a->max_uses);
      r.set_ttl_seconds(a->ttl_seconds);
      return RunCall<v1::ActivationCode>(
          ctl, [&](auto* c, auto* out) { return stub()->IssueActivationCode(c, r, out); },
          +[](const v1::ActivationCode& c) {
            std::printf("activation code %s (uses %d, expires %s)\n", c.code().c_str(),
                        c.max_uses(), TimeUtil::ToString(c.expires_at()).c_str());
          });
    };
  });

  // Device-side calls, for installers and tests: no staff token needed.
  auto* activate = terminal->add_subcommand("activate", "activate a device with a code");
  activate->add_option("--code", a->code)->required();
  activate->add_option("--device-id", a->device_id)->required();
  activate->add_option("--type", a->type);
  activate->add_option("--serial", a->serial);
  activate->add_option("--vendor", a->vendor);
  activate->add_option("--client-version", a->client_version);
  activate->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ActivateRequest r;
      r.set_activation_code(a->code);
      r.set_device_id(a->device_id);
      r.set_type(a->type);
      r.set_serial(a->serial);
      r.set_vendor(a->vendor);
      r.set_client_version(a->client_version);
      return RunCall<v1::ActivateResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->Activate(c, r, out); },
          +[](const v1::ActivateResponse& r) {
            std::printf("terminal_sn %s\nterminal_key %s (version %lld, expires %s)\n",
                        r.terminal_sn().c_str(), r.terminal_key().c_str(),
                        static_cast<long long>(r.key_version()),
                        TimeUtil::ToString(r.key_expires_at()).c_str());
          });
    };
  });
  auto* checkin = terminal->add_subcommand("check-in", "check in, signed with the terminal key");
  checkin->add_option("terminal_sn", a->terminal_sn)->required();
  checkin->add_option("--key", a->key, "the last valid terminal key")->required();
  checkin->add_option("--client-version", a->client_version)->required();
  checkin->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CheckInRequest r;
      r.set_terminal_sn(a->terminal_sn);
      r.set_client_version(a->client_version);
      r.set_timestamp(std::to_string(absl::ToUnixSeconds(absl::Now())));
      r.set_nonce(common::RandomToken(12));
      r.set_signature(terminal::SignTerminalRequest(a->key, "CheckIn", r.terminal_sn(),
                                                    r.timestamp(), r.nonce(),
                                                    common::Sha256Hex(r.client_version())));
      return RunCall<v1::CheckInResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->CheckIn(c, r, out); },
          +[](const v1::CheckInResponse& r) {
            std::printf("terminal_key %s (version %lld, expires %s; previous key valid until %s)\n",
                        r.terminal_key().c_str(), static_cast<long long>(r.key_version()),
                        TimeUtil::ToString(r.key_expires_at()).c_str(),
                        TimeUtil::ToString(r.previous_key_valid_until()).c_str());
          });
    };
  });

  auto* get = terminal->add_subcommand("get", "one terminal");
  get->add_option("terminal_sn", a->terminal_sn)->required();
  get->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::GetTerminalRequest r;
      r.set_terminal_sn(a->terminal_sn);
      return RunCall<v1::Terminal>(
          ctl, [&](auto* c, auto* out) { return stub()->GetTerminal(c, r, out); }, PrintTerminal);
    };
  });

  auto* list = terminal->add_subcommand("list", "search terminals");
  list->add_option("--merchant", a->merchant_id);
  list->add_option("--store", a->store_id);
  list->add_option("--type", a->type);
  list->add_option("--status", a->status);
  list->add_option("--version-below", a->version_below);
  list->add_option("--idle-seconds", a->idle_seconds, "last check-in older than this (or never)");
  list->add_option("--page-size", a->page_size);
  list->add_option("--page-token", a->page_token);
  list->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListTerminalsRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_store_id(a->store_id);
      r.set_type(a->type);
      r.set_status(a->status);
      r.set_version_below(a->version_below);
      r.set_checked_in_more_than_seconds_ago(a->idle_seconds);
      r.set_page_size(a->page_size);
      r.set_page_token(a->page_token);
      return RunCall<v1::ListTerminalsResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ListTerminals(c, r, out); },
          +[](const v1::ListTerminalsResponse& resp) {
            for (const auto& t : resp.terminals()) PrintTerminal(t);
            if (!resp.next_page_token().empty()) {
              std::printf("next page: --page-token %s\n", resp.next_page_token().c_str());
            }
          });
    };
  });

  auto* config = terminal->add_subcommand("config", "channel configuration (WeChat page)");
  config->add_option("--terminal", a->terminal_sn);
  config->add_option("--store", a->store_id);
  config->add_option("--merchant", a->merchant_id, "with --store");
  config->add_option("--channel", a->channel, "wechat, alipay or unionpay")->required();
  config->add_option("--sub-mch-id", a->sub_mch_id)->required();
  config->add_option("--sub-appid", a->sub_appid);
  config->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::SetChannelConfigRequest r;
      r.set_terminal_sn(a->terminal_sn);
      r.set_store_id(a->store_id);
      r.set_merchant_id(a->merchant_id);
      r.set_channel(a->channel);
      r.set_sub_mch_id(a->sub_mch_id);
      r.set_sub_appid(a->sub_appid);
      return RunCall<v1::ChannelConfig>(
          ctl, [&](auto* c, auto* out) { return stub()->SetChannelConfig(c, r, out); },
          +[](const v1::ChannelConfig& c) {
            std::printf("%s %s: %s sub_mch_id %s\n", c.scope().c_str(), c.scope_id().c_str(),
                        c.parameters().channel().c_str(), c.parameters().sub_mch_id().c_str());
          });
    };
  });

  auto* offline = terminal->add_subcommand("offline",
                                           "force one terminal, or all of a merchant's, "
                                           "offline");
  offline->add_option("--terminal", a->terminal_sn);
  offline->add_option("--merchant", a->merchant_id);
  offline->add_option("--reason", a->reason)->required();
  offline->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ForceOfflineRequest r;
      r.set_terminal_sn(a->terminal_sn);
      r.set_merchant_id(a->merchant_id);
      r.set_reason(a->reason);
      return RunCall<v1::ForceOfflineResponse>(
          ctl, [&](auto* c, auto* out) { return stub()->ForceOffline(c, r, out); },
          +[](const v1::ForceOfflineResponse& resp) {
            std::printf("%lld terminal(s) offline\n",
                        static_cast<long long>(resp.terminals_offline()));
          });
    };
  });
  struct Step {
    const char* name;
    const char* help;
  };
  for (const Step& step : {Step{"clear", "let an offline terminal be activated again"},
                           Step{"retire", "retire a terminal for good"},
                           Step{"freeze", "stop a terminal without taking its keys (risk)"},
                           Step{"unfreeze", "resume a frozen terminal as it was"}}) {
    auto* cmd = terminal->add_subcommand(step.name, step.help);
    cmd->add_option("terminal_sn", a->terminal_sn)->required();
    cmd->add_option("--reason", a->reason);
    const std::string name = step.name;
    cmd->callback([&ctl, stub, a, name] {
      ctl.run = [&ctl, stub, a, name] {
        v1::TerminalRef r;
        r.set_terminal_sn(a->terminal_sn);
        r.set_reason(a->reason);
        return RunCall<v1::Terminal>(
            ctl,
            [&](auto* c, auto* out) {
              if (name == "clear") return stub()->ClearTerminal(c, r, out);
              if (name == "retire") return stub()->RetireTerminal(c, r, out);
              if (name == "freeze") return stub()->FreezeTerminal(c, r, out);
              return stub()->UnfreezeTerminal(c, r, out);
            },
            PrintTerminal);
      };
    });
  }
}

}  // namespace aggpay::ctl
