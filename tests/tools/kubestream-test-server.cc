// The CRI streaming server with a fake runtime (tests/unit/kubestream/fake_runtime.h),
// for the interop clients (tests/interop/kubestream). It prints "ready BASE_URL",
// then reads one request per line on stdin and prints its URL (or "error: why"):
//   exec CONTAINER TTY STDIN STDOUT STDERR CMD...   (flags 0/1)
//   attach CONTAINER TTY STDIN STDOUT STDERR
//   portforward SANDBOX [PORT...]
// It ends at the end of its input.
#include <iostream>
#include <sstream>

#include "../unit/kubestream/fake_runtime.h"
#include "kubestream/stream_server.h"

using namespace berth::kubestream;

int main() {
  testing::FakeRuntime runtime;
  auto server = StreamServer::start(ServerOptions{}, runtime);
  if (!server) {
    std::cerr << "kubestream-test-server: " << server.error().str() << "\n";
    return 1;
  }
  std::cout << "ready " << (*server)->base_url() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    berth::Result<std::string> url = berth::fail(berth::Errc::InvalidArgument, "unknown request '" + kind + "'");
    if (kind == "exec" || kind == "attach") {
      std::string id;
      int tty = 0, si = 0, so = 0, se = 0;
      in >> id >> tty >> si >> so >> se;
      if (kind == "exec") {
        ExecRequest r{id, {}, tty != 0, si != 0, so != 0, se != 0};
        for (std::string arg; in >> arg;) r.cmd.push_back(arg);
        url = (*server)->get_exec(r);
      } else {
        url = (*server)->get_attach(AttachRequest{id, tty != 0, si != 0, so != 0, se != 0});
      }
    } else if (kind == "portforward") {
      PortForwardRequest r;
      in >> r.pod_sandbox_id;
      for (unsigned p; in >> p;) r.ports.push_back(static_cast<uint16_t>(p));
      url = (*server)->get_port_forward(r);
    }
    if (url) {
      std::cout << *url << std::endl;
    } else {
      std::cout << "error: " << url.error().message << std::endl;
    }
  }
  (*server)->stop();
  return 0;
}
