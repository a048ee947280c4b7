#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/grpc/auth_interceptor.h"
#include "services/common/grpc/callback_queue_keeper.h"

namespace aggpay::common {

// The largest request message a server accepts unless configured (grpc_max_receive_message_bytes);
// a larger one is refused with RESOURCE_EXHAUSTED before any handler runs.
inline constexpr int kDefaultMaxReceiveMessageBytes = 1 << 20;

// How many idle threads of the synchronous server wait for the next call (grpc_sync_max_pollers).
// gRPC's own default is 2: every thread beyond that exits as soon as its call is answered, and
// the next burst creates it again, so under steady concurrency the server spends its time
// creating and destroying threads (stacks mapped and unmapped, the TLB flushed on both cores).
// Keeping as many idle threads as calls that run at once costs only their stacks.
inline constexpr int kDefaultSyncMaxPollers = 64;

// How often the server's CallbackQueueKeeper gives gRPC's callback queue an event: well under
// the 1 s after which that queue's threads pause (callback_queue_keeper.h).
inline constexpr absl::Duration kCallbackQueueTick = absl::Milliseconds(250);

// A gRPC server hosting the given services behind the auth interceptor, with the standard
// health service (grpc.health.v1) and server reflection, its callback queue kept served
// (CallbackQueueKeeper).
class GrpcServer {
 public:
  // `listen` is host:port; port 0 picks a free port (see port()). `credentials`: see tls.h
  // (null: insecure, as tls.mode plaintext).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& listen, const std::vector<grpc::Service*>& services,
      AuthInterceptorDeps deps, std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
      int max_receive_message_bytes = kDefaultMaxReceiveMessageBytes,
      int sync_max_pollers = kDefaultSyncMaxPollers);
  int port() const { return port_; }
  grpc::Server& server() { return *server_; }
  void Shutdown();
  void Wait();

 private:
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CallbackQueueKeeper> keeper_;
  int port_ = 0;
};

}  // namespace aggpay::common
