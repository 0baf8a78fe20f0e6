#include "cri/pods/netns_connect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace berth::cri {

Result<UniqueFd> connect_in_netns(const std::string& netns_path, uint16_t port) {
  Result<UniqueFd> result = fail(Errc::Internal, "port-forward did not run");
  std::thread([&] {
    if (!netns_path.empty()) {
      UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns || ::setns(ns.get(), CLONE_NEWNET) != 0) {
        result = fail_errno("joining the network namespace " + netns_path);
        return;
      }
    }
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s) {
      result = fail_errno("opening a socket for port-forward");
      return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      result = fail_errno("connecting to 127.0.0.1:" + std::to_string(port) +
                          (netns_path.empty() ? std::string() : " in " + netns_path));
      return;
    }
    result = std::move(s);
  }).join();
  return result;
}

}  // namespace berth::cri

namespace berth::cri {

Result<UniqueFd> connect_tcp(const std::string& ipv4, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ipv4.c_str(), &addr.sin_addr) != 1)
    return fail(Errc::InvalidArgument, "\"" + ipv4 + "\" is not an IPv4 address");
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("opening a socket for port-forward");
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("connecting to " + ipv4 + ":" + std::to_string(port));
  return s;
}

}  // namespace berth::cri
