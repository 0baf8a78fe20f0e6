// berth-vm-agent: PID 1 of a berth microVM (issue 15, docs/vm.md). It makes
// the initramfs a root that pivot_root can leave, mounts the kernel file
// systems, loads the virtio modules (if the kernel has them as modules),
// opens the virtio-serial port "berth.agent" and serves the host's vmproto
// requests, running containers with berth's runtime library.
// It powers the guest off when told to (or when it cannot serve).
//
//   berth-vm-agent                      as the guest's /init
//   berth-vm-agent --channel-fd N       serve an inherited socket (tests, on any host)
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "base/log.h"
#include "base/strings.h"
#include "boot.h"
#include "vmagent/agent.h"
#include "vmproto/messages.h"

using namespace berth;
using namespace berth::vmagent;

namespace {

constexpr const char* kVersion = "berth-vm-agent 0.1.0";

int usage() {
  std::fprintf(stderr,
               "usage: berth-vm-agent                 (as PID 1 in a berth microVM)\n"
               "       berth-vm-agent --channel-fd N [--runtime-root DIR] [--state-root DIR]\n");
  return 2;
}

[[noreturn]] void die_in_guest(const Error& e) {
  log::error("berth-vm-agent: {}; powering off", e.str());
  power_off();
}

int guest_main() {
  ensure_console();
  if (auto r = make_root_pivotable(); !r) die_in_guest(r.error());
  if (auto r = mount_kernel_filesystems(); !r) die_in_guest(r.error());
  if (auto r = load_modules(); !r) die_in_guest(r.error());
  lower_page_reporting_order();
  auto port = open_virtio_port(std::string(vmproto::kAgentPortName), 60000);
  if (!port) die_in_guest(port.error());
  timespec up{};
  ::clock_gettime(CLOCK_BOOTTIME, &up);
  log::info("berth-vm-agent: serving {} at {:.3f} s after the kernel started", vmproto::kAgentPortName,
            static_cast<double>(up.tv_sec) + static_cast<double>(up.tv_nsec) / 1e9);
  AgentOptions o;
  o.software = kVersion;
  o.power_off = [] { power_off(); };
  Agent agent(port->get(), std::move(o));
  auto r = agent.run();
  if (!r) die_in_guest(r.error());
  power_off();
}

}  // namespace

int main(int argc, char** argv) {
  log::configure(-1, log::Format::Text, log::Level::Info);
  if (argc == 1 && ::getpid() == 1) return guest_main();
  int channel = -1;
  AgentOptions o;
  o.software = kVersion;
  o.exit_on_disconnect = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--channel-fd") {
      auto n = parse_int(v);
      if (!n || *n < 0) return usage();
      channel = static_cast<int>(*n);
    } else if (a == "--runtime-root") {
      o.runtime_root = v;
    } else if (a == "--state-root") {
      o.state_root = v;
    } else {
      return usage();
    }
  }
  if (channel < 0) return usage();
  Agent agent(channel, std::move(o));
  if (auto r = agent.run(); !r) {
    std::fprintf(stderr, "berth-vm-agent: %s\n", r.error().str().c_str());
    return 1;
  }
  return 0;
}
