#include "shim/vm_control.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include "base/unique_fd.h"

namespace berth::shim {

Result<nlohmann::json> control_call(const std::string& state_dir, const nlohmann::json& request) {
  UniqueFd dir(::open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno("opening " + state_dir);
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("creating a socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), kControlSocket);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("connecting to the VM's runner");
  std::string line = request.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(sock.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("writing to the VM's runner");
    off += static_cast<size_t>(n);
  }
  std::string in;
  while (in.find('\n') == std::string::npos) {
    char buf[4096];
    ssize_t n = ::read(sock.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading from the VM's runner");
    if (n == 0) return fail(Errc::Unavailable, "the VM's runner closed the connection without an answer");
    in.append(buf, static_cast<size_t>(n));
  }
  auto j = nlohmann::json::parse(in.substr(0, in.find('\n')), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Errc::Internal, "the VM's runner answered with malformed JSON");
  if (j.contains("error")) {
    std::string code = j.value("code", "Internal");
    Errc e = code == "Conflict" ? Errc::Conflict : code == "Unsupported" ? Errc::Unsupported
           : code == "InvalidArgument" ? Errc::InvalidArgument : code == "NotFound" ? Errc::NotFound : Errc::Internal;
    return fail(e, j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
  }
  return j.contains("ok") ? j["ok"] : nlohmann::json();
}

}  // namespace berth::shim
