// aggpayctl: the staff command line. Reads AGGPAY_GRPC_ADDR and AGGPAY_STAFF_TOKEN.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {

namespace {
constexpr const char* kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
}  // namespace

void Ctl::Connect() { channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()); }

std::unique_ptr<grpc::ClientContext> Ctl::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

int Print(const Ctl& ctl, const google::protobuf::Message& message,
          const std::function<void()>& text) {
  if (ctl.json()) {
    std::printf("%s\n", ToJson(message).c_str());
  } else {
    text();
  }
  return 0;
}

int PrintError(const grpc::Status& status) {
  const int code = static_cast<int>(status.error_code());
  std::fprintf(stderr, "aggpayctl: %s: %s\n", code >= 0 && code <= 16 ? kCodeNames[code] : "ERROR",
               status.error_message().c_str());
  return 1;
}

}  // namespace aggpay::ctl

int main(int argc, char** argv) {
  aggpay::ctl::Ctl ctl;
  CLI::App app{"aggpayctl: staff command line for aggpay"};
  app.require_subcommand(1);
  app.fallthrough();  // --output and --addr are accepted after the command too
  const char* addr = std::getenv("AGGPAY_GRPC_ADDR");
  const char* token = std::getenv("AGGPAY_STAFF_TOKEN");
  ctl.addr = addr != nullptr ? addr : "127.0.0.1:50051";
  ctl.token = token != nullptr ? token : "";
  app.add_option("--addr", ctl.addr, "gRPC address (AGGPAY_GRPC_ADDR)");
  app.add_option("--output,-o", ctl.output, "text or json")->check(CLI::IsMember({"text", "json"}));
  aggpay::ctl::AddAdminCommands(app, ctl);
  aggpay::ctl::AddFeeCommands(app, ctl);
  aggpay::ctl::AddMerchantCommands(app, ctl);
  aggpay::ctl::AddTerminalCommands(app, ctl);
  aggpay::ctl::AddCodeCommands(app, ctl);
  aggpay::ctl::AddPaymentCommands(app, ctl);
  aggpay::ctl::AddRiskCommands(app, ctl);
  aggpay::ctl::AddSettlementCommands(app, ctl);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!ctl.run) {
    std::fprintf(stderr, "aggpayctl: name a command (see --help)\n");
    return 2;
  }
  ctl.Connect();
  return ctl.run();
}
