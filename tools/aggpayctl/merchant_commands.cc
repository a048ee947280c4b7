#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "aggpay/v1/merchant.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;
using google::protobuf::util::TimeUtil;

struct MerchantArgs {
  std::string merchant_id;
  std::string key_id;
  std::string file;
  std::string reason;
  std::string wechat;
  std::string alipay;
  std::string status;
  std::string agent_id;
  std::string parent_agent_id;
  std::string store_id;
  std::string name;
  std::string address;
  std::string account_kind;
  std::string bank;
  std::string account_name;
  std::string account_number;
  int page_size = 0;
  std::string page_token;
};

// An application spec from a JSON file (proto field names), e.g. docs/examples/application.json.
grpc::Status ReadSpec(const std::string& path, v1::ApplicationSpec* spec) {
  std::string text;
  if (grpc::Status read = ReadFileArg(path, &text); !read.ok()) return read;
  auto s = google::protobuf::util::JsonStringToMessage(text, spec);
  if (!s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "file: not an application spec: " + std::string(s.message()));
  }
  return grpc::Status::OK;
}

void PrintApplication(const v1::MerchantApplication& a) {
  std::printf("%s  %s  %s (%s)  plan %s\n", a.merchant_id().c_str(), a.status().c_str(),
              a.spec().display_name().c_str(), a.spec().business_code().c_str(),
              a.spec().plan_kind().c_str());
  if (!a.reject_reason().empty()) std::printf("  rejected: %s\n", a.reject_reason().c_str());
  for (const auto& s : a.sub_merchants()) {
    std::printf("  %s sub-merchant %s (%s)\n", s.channel().c_str(), s.sub_merchant_id().c_str(),
                s.source().c_str());
  }
}

// Runs one RPC that returns a MerchantApplication and prints it.
template <typename Request, typename Call>
int RunApplicationCall(Ctl& ctl, const Request& r, Call call) {
  v1::MerchantApplication resp;
  auto ctx = ctl.Context();
  grpc::Status s = call(ctx.get(), r, &resp);
  if (!s.ok()) return PrintError(s);
  return Print(ctl, resp, [&] { PrintApplication(resp); });
}

void PrintKey(const v1::ApiKey& k) {
  std::printf("%s  merchant %s  %s  created %s\n", k.key_id().c_str(), k.merchant_id().c_str(),
              k.status().c_str(), TimeUtil::ToString(k.created_at()).c_str());
}

}  // namespace

void AddMerchantCommands(CLI::App& app, Ctl& ctl) {
  auto a = std::make_shared<MerchantArgs>();
  auto stub = [&ctl] { return v1::MerchantService::NewStub(ctl.channel); };
  auto* merchant = app.add_subcommand("merchant", "merchants and their API keys");
  merchant->require_subcommand(1);

  auto* get = merchant->add_subcommand("get", "a merchant's profile");
  get->add_option("merchant_id", a->merchant_id)->required();
  get->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::GetMerchantRequest r;
      r.set_merchant_id(a->merchant_id);
      v1::Merchant resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->GetMerchant(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("%s  %s  %s  %s  %s %s  phone %s\n", resp.merchant_id().c_str(),
                    resp.display_name().c_str(), resp.kind().c_str(), resp.status().c_str(),
                    resp.home_currency().c_str(), resp.time_zone().c_str(),
                    resp.contact_phone().c_str());
      });
    };
  });

  auto* key = merchant->add_subcommand("key", "merchant API keys");
  key->require_subcommand(1);
  auto* create = key->add_subcommand("create", "create an API key (the secret is shown once)");
  create->add_option("merchant_id", a->merchant_id)->required();
  create->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CreateApiKeyRequest r;
      r.set_merchant_id(a->merchant_id);
      v1::CreateApiKeyResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->CreateApiKey(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("key_id %s\nsecret %s\nThe secret is shown only once.\n",
                    resp.key().key_id().c_str(), resp.secret().c_str());
      });
    };
  });
  auto* list = key->add_subcommand("list", "a merchant's API keys");
  list->add_option("merchant_id", a->merchant_id)->required();
  list->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListApiKeysRequest r;
      r.set_merchant_id(a->merchant_id);
      v1::ListApiKeysResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListApiKeys(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& k : resp.keys()) PrintKey(k);
      });
    };
  });
  auto* revoke = key->add_subcommand("revoke", "revoke an API key at once");
  revoke->add_option("key_id", a->key_id)->required();
  revoke->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::RevokeApiKeyRequest r;
      r.set_key_id(a->key_id);
      v1::ApiKey resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->RevokeApiKey(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] { PrintKey(resp); });
    };
  });

  // Onboarding.
  auto* apply = merchant->add_subcommand("apply", "create (or replace) an application from JSON");
  apply->add_option("--file", a->file, "application spec as JSON (proto field names)")->required();
  apply->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CreateApplicationRequest r;
      if (auto s = ReadSpec(a->file, r.mutable_spec()); !s.ok()) return PrintError(s);
      return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
        return stub()->CreateApplication(c, q, out);
      });
    };
  });
  auto* edit = merchant->add_subcommand("edit", "edit a DRAFT or REJECTED application");
  edit->add_option("merchant_id", a->merchant_id)->required();
  edit->add_option("--file", a->file, "application spec as JSON")->required();
  edit->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::UpdateApplicationRequest r;
      r.set_merchant_id(a->merchant_id);
      if (auto s = ReadSpec(a->file, r.mutable_spec()); !s.ok()) return PrintError(s);
      return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
        return stub()->UpdateApplication(c, q, out);
      });
    };
  });
  struct StepCommand {
    const char* name;
    const char* help;
    bool needs_reason;
  };
  for (const StepCommand& step : {StepCommand{"submit", "hand the application in", false},
                                  StepCommand{"review", "start reviewing it", false},
                                  StepCommand{"reject", "reject it, with a reason", true},
                                  StepCommand{"freeze", "freeze collection", true},
                                  StepCommand{"unfreeze", "lift a freeze", false},
                                  StepCommand{"close", "close the merchant for good", true}}) {
    auto* cmd = merchant->add_subcommand(step.name, step.help);
    cmd->add_option("merchant_id", a->merchant_id)->required();
    auto* reason = cmd->add_option("--reason", a->reason, "why (recorded in the review history)");
    if (step.needs_reason) reason->required();
    const std::string name = step.name;
    cmd->callback([&ctl, stub, a, name] {
      ctl.run = [&ctl, stub, a, name] {
        auto s = stub();
        if (name == "submit" || name == "review") {
          v1::MerchantRef r;
          r.set_merchant_id(a->merchant_id);
          return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
            return name == "submit" ? s->SubmitApplication(c, q, out) : s->StartReview(c, q, out);
          });
        }
        if (name == "reject") {
          v1::RejectApplicationRequest r;
          r.set_merchant_id(a->merchant_id);
          r.set_reason(a->reason);
          return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
            return s->RejectApplication(c, q, out);
          });
        }
        v1::ReasonRequest r;
        r.set_merchant_id(a->merchant_id);
        r.set_reason(a->reason);
        return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
          if (name == "freeze") return s->FreezeMerchant(c, q, out);
          if (name == "unfreeze") return s->UnfreezeMerchant(c, q, out);
          return s->CloseMerchant(c, q, out);
        });
      };
    });
  }
  auto* approve = merchant->add_subcommand("approve",
                                           "approve, obtain sub-merchant ids, assign "
                                           "the fee plan and activate");
  approve->add_option("merchant_id", a->merchant_id)->required();
  approve->add_option("--wechat-sub-mch-id", a->wechat, "entered by staff; else the channel's");
  approve->add_option("--alipay-smid", a->alipay, "entered by staff; else the channel's");
  approve->add_option("--reason", a->reason);
  approve->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ApproveApplicationRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_wechat_sub_mch_id(a->wechat);
      r.set_alipay_smid(a->alipay);
      r.set_reason(a->reason);
      return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
        return stub()->ApproveApplication(c, q, out);
      });
    };
  });
  auto* show = merchant->add_subcommand("show", "an application with its review history");
  show->add_option("merchant_id", a->merchant_id)->required();
  show->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::MerchantRef r;
      r.set_merchant_id(a->merchant_id);
      v1::MerchantApplication resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->GetApplication(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        PrintApplication(resp);
        for (const auto& rv : resp.reviews()) {
          std::printf("  %s %-26s %s -> %s by %s %s\n", TimeUtil::ToString(rv.at()).c_str(),
                      rv.action().c_str(), rv.from_status().c_str(), rv.to_status().c_str(),
                      rv.actor().c_str(), rv.reason().c_str());
        }
      });
    };
  });
  auto* search = merchant->add_subcommand("list", "search merchants, newest first");
  search->add_option("--status", a->status);
  search->add_option("--agent", a->agent_id);
  search->add_option("--store", a->store_id);
  search->add_option("--page-size", a->page_size);
  search->add_option("--page-token", a->page_token);
  search->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::ListMerchantsRequest r;
      r.set_status(a->status);
      r.set_agent_id(a->agent_id);
      r.set_store_id(a->store_id);
      r.set_page_size(a->page_size);
      r.set_page_token(a->page_token);
      v1::ListMerchantsResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListMerchants(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& m : resp.merchants()) {
          std::printf("%s  %-10s %s\n", m.merchant_id().c_str(), m.status().c_str(),
                      m.display_name().c_str());
        }
        if (!resp.next_page_token().empty()) {
          std::printf("next page: --page-token %s\n", resp.next_page_token().c_str());
        }
      });
    };
  });
  auto* store = merchant->add_subcommand("store", "a merchant's stores");
  store->require_subcommand(1);
  auto* store_create = store->add_subcommand("create", "add a store");
  store_create->add_option("merchant_id", a->merchant_id)->required();
  store_create->add_option("--name", a->name)->required();
  store_create->add_option("--address", a->address)->required();
  store_create->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CreateStoreRequest r;
      r.set_merchant_id(a->merchant_id);
      r.set_name(a->name);
      r.set_address(a->address);
      v1::Store resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->CreateStore(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("%s  %s  %s\n", resp.store_id().c_str(), resp.name().c_str(),
                    resp.address().c_str());
      });
    };
  });
  auto* store_list = store->add_subcommand("list", "list stores");
  store_list->add_option("merchant_id", a->merchant_id)->required();
  store_list->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::MerchantRef r;
      r.set_merchant_id(a->merchant_id);
      v1::ListStoresResponse resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->ListStores(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        for (const auto& st : resp.stores()) {
          std::printf("%s  %s  %s\n", st.store_id().c_str(), st.name().c_str(),
                      st.address().c_str());
        }
      });
    };
  });
  auto* account = merchant->add_subcommand("account", "the settlement account");
  account->require_subcommand(1);
  auto* account_set = account->add_subcommand("set",
                                              "change it (an ACTIVE merchant goes back "
                                              "to review)");
  account_set->add_option("merchant_id", a->merchant_id)->required();
  account_set->add_option("--kind", a->account_kind, "CORPORATE or PERSONAL")->required();
  account_set->add_option("--bank", a->bank)->required();
  account_set->add_option("--name", a->account_name)->required();
  account_set->add_option("--number", a->account_number)->required();
  account_set->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::UpdateSettlementAccountRequest r;
      r.set_merchant_id(a->merchant_id);
      r.mutable_account()->set_kind(a->account_kind);
      r.mutable_account()->set_bank_name(a->bank);
      r.mutable_account()->set_account_name(a->account_name);
      r.mutable_account()->set_account_number(a->account_number);
      return RunApplicationCall(ctl, r, [&](auto* c, const auto& q, auto* out) {
        return stub()->UpdateSettlementAccount(c, q, out);
      });
    };
  });
  auto* agent = merchant->add_subcommand("agent", "agents (代理商) who sign merchants");
  agent->require_subcommand(1);
  auto* agent_create = agent->add_subcommand("create", "add an agent");
  agent_create->add_option("agent_id", a->agent_id)->required();
  agent_create->add_option("--name", a->name)->required();
  agent_create->add_option("--parent", a->parent_agent_id, "the agent above it");
  agent_create->callback([&ctl, stub, a] {
    ctl.run = [&ctl, stub, a] {
      v1::CreateAgentRequest r;
      r.set_agent_id(a->agent_id);
      r.set_name(a->name);
      r.set_parent_agent_id(a->parent_agent_id);
      v1::Agent resp;
      auto ctx = ctl.Context();
      grpc::Status s = stub()->CreateAgent(ctx.get(), r, &resp);
      if (!s.ok()) return PrintError(s);
      return Print(ctl, resp, [&] {
        std::printf("agent %s (%s) parent %s\n", resp.agent_id().c_str(), resp.name().c_str(),
                    resp.parent_agent_id().empty() ? "-" : resp.parent_agent_id().c_str());
      });
    };
  });
}

}  // namespace aggpay::ctl
