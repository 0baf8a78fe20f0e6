// berthd's CRI endpoint: a gRPC server on a UNIX socket (mode 0660, owned by
// berthd's group, like the Docker API's) serving RuntimeService and ImageService.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "base/error.h"

namespace berth::cri {

struct ServerOptions {
  std::string socket = "/run/berth/cri.sock";
  std::string group = "berth";  // owner group of the socket; root's when it does not exist
};

class Server {
 public:
  // Listens and serves on gRPC's threads; the services must outlive the server.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options, grpc::Service& runtime,
                                               grpc::Service& images);
  ~Server();
  // Ends the calls in progress (streams are cancelled) and removes the socket.
  void stop();
  const std::string& socket() const { return socket_; }

 private:
  Server() = default;
  std::unique_ptr<grpc::Server> server_;
  std::string socket_;
};

}  // namespace berth::cri
