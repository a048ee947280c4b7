#include "services/common/grpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace aggpay::common {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& listen, const std::vector<grpc::Service*>& services,
    AuthInterceptorDeps deps, std::shared_ptr<grpc::ServerCredentials> credentials,
    int max_receive_message_bytes, int sync_max_pollers) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto out = std::make_unique<GrpcServer>();
  grpc::ServerBuilder builder;
  if (credentials == nullptr) credentials = grpc::InsecureServerCredentials();
  builder.AddListeningPort(listen, credentials, &out->port_);
  builder.SetMaxReceiveMessageSize(max_receive_message_bytes);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, sync_max_pollers);
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<AuthInterceptorFactory>(std::move(deps)));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  out->server_ = builder.BuildAndStart();
  if (out->server_ == nullptr || out->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", listen));
  }
  out->keeper_ = std::make_unique<CallbackQueueKeeper>(kCallbackQueueTick);
  return out;
}

void GrpcServer::Shutdown() {
  keeper_.reset();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
}

void GrpcServer::Wait() { server_->Wait(); }

}  // namespace aggpay::common
