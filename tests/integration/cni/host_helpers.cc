#include "host_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <thread>

#include "sys/run_program.h"

namespace berth::cni::testing {

TestNetns::TestNetns(std::string path) : path_(std::move(path)) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return;
  ::close(fd);
  std::thread([&] {
    if (::unshare(CLONE_NEWNET) != 0) return;
    ok_ = ::mount("/proc/thread-self/ns/net", path_.c_str(), nullptr, MS_BIND, nullptr) == 0;
  }).join();
}

TestNetns::~TestNetns() { remove(); }

void TestNetns::remove() {
  if (path_.empty()) return;
  ::umount2(path_.c_str(), MNT_DETACH);
  ::unlink(path_.c_str());
  path_.clear();
}

bool in_netns(const std::string& path, const std::function<void()>& fn) {
  bool joined = false;
  std::thread([&] {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    // unshare(CLONE_FS) first is not needed for a network namespace; the thread ends after fn.
    joined = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    if (joined) fn();
  }).join();
  return joined;
}

std::vector<std::string> ipv4_addresses(const std::string& ifname) {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || ifname != a->ifa_name) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
    uint32_t mask = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
    out.push_back(std::string(buf) + "/" + std::to_string(__builtin_popcount(mask)));
  }
  ::freeifaddrs(list);
  return out;
}

bool link_exists(const std::string& ifname) { return ::if_nametoindex(ifname.c_str()) != 0; }

void delete_bridge(const std::string& name) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags &= ~IFF_UP;
    ::ioctl(s, SIOCSIFFLAGS, &ifr);
    char br[IFNAMSIZ] = {};
    std::strncpy(br, name.c_str(), IFNAMSIZ - 1);
    ::ioctl(s, SIOCBRDELBR, br);
  }
  ::close(s);
}

std::vector<std::string> iptables_rules(const std::string& table) {
  std::vector<std::string> lines;
  auto out = sys::run_program({"iptables", "-w", "-t", table, "-S"});
  if (!out || out->status != 0) return lines;
  std::istringstream in(out->out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> rules_mentioning(const std::string& table, const std::string& text) {
  std::vector<std::string> hits;
  for (auto& line : iptables_rules(table))
    if (line.find(text) != std::string::npos) hits.push_back(line);
  return hits;
}

namespace {

// Splits an iptables -S line into arguments; double quotes group (comments).
std::vector<std::string> split_rule(const std::string& line) {
  std::vector<std::string> args;
  std::string cur;
  bool quoted = false, have = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\\' && quoted && i + 1 < line.size()) {
      cur += line[++i];
    } else if (c == '"') {
      quoted = !quoted;
      have = true;
    } else if (c == ' ' && !quoted) {
      if (have || !cur.empty()) args.push_back(cur);
      cur.clear();
      have = false;
    } else {
      cur += c;
    }
  }
  if (have || !cur.empty()) args.push_back(cur);
  return args;
}

}  // namespace

namespace {

void run_iptables(const std::string& table, std::vector<std::string> args) {
  args.insert(args.begin(), {"iptables", "-w", "-t", table});
  (void)sys::run_program(args);
}

// "-A CHAIN ... -j TARGET ..." -> TARGET ("" when none).
std::string jump_target(const std::string& rule) {
  auto args = split_rule(rule);
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == "-j") return args[i + 1];
  return "";
}

std::string chain_of(const std::string& rule) {
  auto args = split_rule(rule);
  return args.size() > 1 ? args[1] : "";
}

void delete_rule(const std::string& table, const std::string& rule) {
  auto args = split_rule(rule);
  args[0] = "-D";
  run_iptables(table, args);
}

}  // namespace

void remove_leftover_rules(const std::string& table, const std::vector<std::string>& before,
                           const std::vector<std::string>& ids) {
  auto is_new = [&](const std::string& chain) {
    return std::find(before.begin(), before.end(), "-N " + chain) == before.end();
  };
  auto mentions_id = [&](const std::string& rule) {
    for (const auto& id : ids)
      if (rule.find(id) != std::string::npos) return true;
    return false;
  };
  // Per-container chains (the bridge's masquerade chain, portmap's CNI-DN-*) and the rules naming the ids.
  std::vector<std::string> drop;
  auto now = iptables_rules(table);
  for (const auto& l : now) {
    if (!l.starts_with("-A ") || !mentions_id(l)) continue;
    std::string target = jump_target(l);
    if (target.starts_with("CNI-") && !target.starts_with("CNI-HOSTPORT-") && is_new(target) &&
        std::find(drop.begin(), drop.end(), target) == drop.end())
      drop.push_back(target);
  }
  for (const auto& l : now)
    if (l.starts_with("-A ") && (mentions_id(l) || std::find(drop.begin(), drop.end(), jump_target(l)) != drop.end()) &&
        std::find(drop.begin(), drop.end(), chain_of(l)) == drop.end())
      delete_rule(table, l);
  for (const auto& c : drop) run_iptables(table, {"-F", c});
  for (const auto& c : drop) run_iptables(table, {"-X", c});

  // portmap's shared chains, once no pod's DNAT is in them.
  now = iptables_rules(table);
  for (const auto& l : now)
    if (l.starts_with("-A CNI-HOSTPORT-DNAT ")) return;
  std::vector<std::string> shared;
  for (const auto& l : now)
    if (l.starts_with("-N CNI-HOSTPORT-") && is_new(l.substr(3))) shared.push_back(l.substr(3));
  for (const auto& l : now)
    if (l.starts_with("-A ") && std::find(shared.begin(), shared.end(), jump_target(l)) != shared.end() &&
        std::find(shared.begin(), shared.end(), chain_of(l)) == shared.end())
      delete_rule(table, l);
  for (const auto& c : shared) run_iptables(table, {"-F", c});
  for (const auto& c : shared) run_iptables(table, {"-X", c});
}

int listen_in_netns(const std::string& netns, int port) {
  int fd = -1;
  in_netns(netns, [&] {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
      ::close(fd);
      fd = -1;
    }
  });
  return fd;
}

int connect_tcp(const std::string& ip, int port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int accept_one(int listener, int timeout_ms) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return -1;
  return ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
}

int free_host_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace berth::cni::testing
