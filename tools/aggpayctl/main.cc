// aggpayctl: the staff command line. Reads AGGPAY_GRPC_ADDR, AGGPAY_STAFF_TOKEN and
// AGGPAY_CA_FILE.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "services/common/grpc/tls.h"
#include "tools/aggpayctl/ctl.h"

namespace aggpay::ctl {

namespace {
constexpr const char* kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};
}  // namespace

bool Ctl::Connect() {
  if (plaintext) {
    channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
    return true;
  }
  if (ca_file.empty()) {
    channel = grpc::CreateChannel(addr, grpc::SslCredentials(grpc::SslCredentialsOptions()));
    return true;
  }
  auto creds = common::ServerAuthChannelCredentials(ca_file);
  if (!creds.ok()) {
    std::fprintf(stderr, "aggpayctl: --ca-file: %s\n",
                 std::string(creds.status().message()).c_str());
    return false;
  }
  channel = grpc::CreateChannel(addr, *creds);
  return true;
}

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
  const char* ca_file = std::getenv("AGGPAY_CA_FILE");
  ctl.ca_file = ca_file != nullptr ? ca_file : "";
  app.add_option("--ca-file", ctl.ca_file,
                 "CA certificate(s) aggpayd's TLS certificate chains to (AGGPAY_CA_FILE; default: "
                 "the system's roots)");
  app.add_flag("--plaintext", ctl.plaintext,
               "connect without TLS, to a development aggpayd with tls.mode plaintext");
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
  if (!ctl.Connect()) return 2;
  return ctl.run();
}
