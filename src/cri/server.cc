#include "cri/server.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace berth::cri {

namespace {

// The kubelet's own limit on a CRI message (ExecSync output, long lists).
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;

// A socket file left by a berthd that did not stop cleanly is replaced;
// anything else at that path is refused rather than deleted.
Result<void> clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? Result<void>{} : fail_errno("stat " + path);
  if (!S_ISSOCK(st.st_mode))
    return fail(Errc::AlreadyExists, path + " exists and is not a socket: the CRI socket cannot be created there");
  if (::unlink(path.c_str()) != 0) return fail_errno("removing the stale socket " + path);
  return {};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, grpc::Service& runtime,
                                              grpc::Service& images) {
  if (options.socket.empty() || options.socket.front() != '/')
    return fail(Errc::InvalidArgument, "the CRI socket must be an absolute path: '" + options.socket + "'");
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options.socket).parent_path(), ec);
  if (ec) return fail(Errc::Internal, "creating the directory of " + options.socket + ": " + ec.message());
  TRYV(clear_stale_socket(options.socket));

  std::unique_ptr<Server> s(new Server());
  s->socket_ = options.socket;
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort("unix:" + options.socket, grpc::InsecureServerCredentials(), &bound);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(&runtime);
  builder.RegisterService(&images);
  s->server_ = builder.BuildAndStart();
  if (!s->server_ || bound == 0)
    return fail(Errc::Unavailable, "the CRI server could not listen on " + options.socket +
                                       " (is another daemon using it, or is its directory read-only?)");
  // No window where another user can connect: the mode is set before anyone is told the socket is up.
  if (::chmod(options.socket.c_str(), 0660) != 0) return fail_errno("chmod 0660 " + options.socket);
  if (!options.group.empty()) {
    if (struct group* g = ::getgrnam(options.group.c_str()))
      if (::chown(options.socket.c_str(), 0, g->gr_gid) != 0) return fail_errno("chown root:" + options.group + " " + options.socket);
  }
  return s;
}

void Server::stop() {
  if (!server_) return;
  // Unary calls get a moment to finish; streams (GetContainerEvents) are cancelled.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
  ::unlink(socket_.c_str());
}

Server::~Server() { stop(); }

}  // namespace berth::cri
