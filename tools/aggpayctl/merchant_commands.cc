#include <google/protobuf/util/time_util.h>

#include <cstdio>

#include "aggpay/v1/merchant.grpc.pb.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {
namespace {

namespace v1 = aggpay::v1;
using google::protobuf::util::TimeUtil;

struct MerchantArgs {
  std::string merchant_id;
  std::string key_id;
};

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
}

}  // namespace aggpay::ctl
