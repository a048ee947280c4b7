#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "aggpay/v1/common.pb.h"
#include "google/protobuf/message.h"

namespace aggpay::ctl {

// What every command needs: where the platform is, who is calling, how to print.
struct Ctl {
  std::string addr;
  std::string token;
  std::string output = "text";
  // TLS: the CA that signed aggpayd's certificate (empty: the system's roots), or plaintext
  // (a development stack with tls.mode plaintext).
  std::string ca_file;
  bool plaintext = false;
  std::shared_ptr<grpc::Channel> channel;
  // The action to run once the command line is parsed; set by the chosen subcommand.
  std::function<int()> run;

  // False (with a message on stderr) when the CA file cannot be read.
  bool Connect();
  // A client context with the staff token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;
  bool json() const { return output == "json"; }
};

// Prints `message` as JSON (with --output json) or via `text` otherwise; returns the exit code.
int Print(const Ctl& ctl, const google::protobuf::Message& message,
          const std::function<void()>& text);
// One line on stderr naming the status code, exit code 1.
int PrintError(const grpc::Status& status);
std::string ToJson(const google::protobuf::Message& message);

// Runs one RPC `call(context, &response)` with the staff token and prints the response.
template <typename Response, typename Call>
int RunCall(Ctl& ctl, Call call, void (*text)(const Response&)) {
  Response resp;
  auto ctx = ctl.Context();
  grpc::Status s = call(ctx.get(), &resp);
  if (!s.ok()) return PrintError(s);
  return Print(ctl, resp, [&] { text(resp); });
}

// A decimal amount in major units ("12.34"), checked against the currency's exponent: too many
// decimals is INVALID_ARGUMENT naming `field`, never rounded.
grpc::Status ParseAmount(const std::string& text, const std::string& currency,
                         const std::string& field, aggpay::v1::Money* out);
// The whole file named by --file: INVALID_ARGUMENT "file: cannot read PATH" otherwise.
grpc::Status ReadFileArg(const std::string& path, std::string* out);
// "12.34 CNY".
std::string Decimal(const aggpay::v1::Money& m);

void AddAdminCommands(CLI::App& app, Ctl& ctl);
void AddFeeCommands(CLI::App& app, Ctl& ctl);
void AddMerchantCommands(CLI::App& app, Ctl& ctl);
void AddTerminalCommands(CLI::App& app, Ctl& ctl);
void AddCodeCommands(CLI::App& app, Ctl& ctl);
void AddPaymentCommands(CLI::App& app, Ctl& ctl);
void AddRiskCommands(CLI::App& app, Ctl& ctl);
void AddSettlementCommands(CLI::App& app, Ctl& ctl);

}  // namespace aggpay::ctl
