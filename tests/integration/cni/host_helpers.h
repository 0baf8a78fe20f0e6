// What the CNI integration tests need of the host without the `ip` tool: a
// network namespace bound to a file, running code inside it, links, and the
// iptables rules (read with iptables itself, as the portmap plugin writes them).
#pragma once

#include <string>
#include <vector>
#include <functional>

namespace berth::cni::testing {

// A new network namespace bind-mounted at path; removed (unmounted) by the destructor.
class TestNetns {
 public:
  explicit TestNetns(std::string path);
  ~TestNetns();
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;
  const std::string& path() const { return path_; }
  bool ok() const { return ok_; }
  void remove();

 private:
  std::string path_;
  bool ok_ = false;
};

// Runs fn on a thread that joined the netns at path; false when it could not join.
bool in_netns(const std::string& path, const std::function<void()>& fn);

// The IPv4 addresses ("a.b.c.d/len") of an interface, as seen where this runs.
std::vector<std::string> ipv4_addresses(const std::string& ifname);
bool link_exists(const std::string& ifname);
// Brings a bridge down and deletes it (SIOCBRDELBR); missing is fine.
void delete_bridge(const std::string& name);

// `iptables -t TABLE -S` lines.
std::vector<std::string> iptables_rules(const std::string& table);
// The lines that mention text.
std::vector<std::string> rules_mentioning(const std::string& table, const std::string& text);
// Test clean-up of what the plugins left in a table that was not there before
// the test: every rule naming one of ids (and the per-container chains those
// rules jump to), then portmap's shared CNI-HOSTPORT-* chains when no pod's
// DNAT is left in them (they hold only generic rules then).
void remove_leftover_rules(const std::string& table, const std::vector<std::string>& before,
                           const std::vector<std::string>& ids);

// A listening TCP socket on port inside the netns (the socket stays in it).
int listen_in_netns(const std::string& netns, int port);
// Connects to addr:port (waiting up to timeout_ms for the handshake); -1 when it fails.
int connect_tcp(const std::string& addr, int port, int timeout_ms);
// Accepts one connection (waiting up to timeout_ms); -1 when none came.
int accept_one(int listener, int timeout_ms);
// A TCP port nothing on the host listens on now.
int free_host_port();

}  // namespace berth::cni::testing
