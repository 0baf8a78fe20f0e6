#include "vmagent/netconfig.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::vmagent {
namespace {

// One rtnetlink request under construction: header, fixed part, attributes.
class NlRequest {
 public:
  NlRequest(uint16_t type, uint16_t flags, const void* fixed, size_t fixed_len) {
    buf_.resize(NLMSG_LENGTH(fixed_len));
    auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
    std::memcpy(buf_.data() + NLMSG_HDRLEN, fixed, fixed_len);
    buf_.resize(NLMSG_ALIGN(buf_.size()));
  }
  void attr(uint16_t type, const void* data, size_t len) {
    size_t at = buf_.size();
    buf_.resize(at + RTA_ALIGN(RTA_LENGTH(len)));
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + at);
    a->rta_type = type;
    a->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(a), data, len);
  }
  std::string& bytes() {
    reinterpret_cast<nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return buf_;
  }

 private:
  std::string buf_;
};

Result<void> talk(int fd, NlRequest& req, const std::string& what) {
  std::string& b = req.bytes();
  if (::send(fd, b.data(), b.size(), 0) < 0) return fail_errno(what + ": netlink send");
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what + ": netlink receive");
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
        if (err == 0) return {};
        return fail_errno(what, err);
      }
    }
  }
}

Result<int> ifindex_by_mac(const std::string& mac) {
  std::string want = ascii_lower(mac);
  DIR* d = ::opendir("/sys/class/net");
  if (!d) return fail_errno("listing /sys/class/net");
  std::string found;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    auto addr = read_file(std::string("/sys/class/net/") + e->d_name + "/address");
    if (addr && ascii_lower(trim(*addr)) == want) {
      found = e->d_name;
      break;
    }
  }
  ::closedir(d);
  if (found.empty()) return fail(Errc::NotFound, "no network interface in the guest has MAC " + mac);
  unsigned idx = ::if_nametoindex(found.c_str());
  if (idx == 0) return fail_errno("looking up interface " + found);
  return static_cast<int>(idx);
}

Result<void> link_up(int fd, int index, uint32_t mtu, const std::string& name) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  NlRequest req(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (mtu > 0) req.attr(IFLA_MTU, &mtu, sizeof mtu);
  return talk(fd, req, "bringing up " + name);
}

// The NIC is down until link_up: a new address needs no live change.
Result<void> set_link_mac(int fd, int index, const std::string& mac) {
  unsigned b[6];
  if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    return fail(Errc::InvalidArgument, "\"" + mac + "\" is not a MAC");
  unsigned char addr[6];
  for (int i = 0; i < 6; ++i) addr[i] = static_cast<unsigned char>(b[i]);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  NlRequest req(RTM_NEWLINK, 0, &ifi, sizeof ifi);
  req.attr(IFLA_ADDRESS, addr, sizeof addr);
  return talk(fd, req, "giving a NIC the MAC " + mac);
}

}  // namespace

Result<Cidr> parse_cidr(const std::string& text, bool need_prefix) {
  Cidr c;
  auto slash = text.find('/');
  std::string ip = text.substr(0, slash);
  if (::inet_pton(AF_INET, ip.c_str(), c.addr) == 1) c.family = AF_INET;
  else if (::inet_pton(AF_INET6, ip.c_str(), c.addr) == 1) c.family = AF_INET6;
  else return fail(Errc::InvalidArgument, "\"" + text.substr(0, 64) + "\" is not an IP address");
  int max = c.family == AF_INET ? 32 : 128;
  if (slash == std::string::npos) {
    if (need_prefix) return fail(Errc::InvalidArgument, "\"" + text + "\" has no /prefix length");
    c.prefix = max;
    return c;
  }
  auto p = parse_int(std::string_view(text).substr(slash + 1));
  if (!p || *p < 0 || *p > max) return fail(Errc::InvalidArgument, "\"" + text + "\" has a bad prefix length");
  c.prefix = static_cast<int>(*p);
  return c;
}

Result<void> configure_network(const vmproto::NetworkConfig& config) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return fail_errno("opening a netlink socket");
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return fail_errno("binding a netlink socket");
  TRYV(link_up(fd.get(), static_cast<int>(::if_nametoindex("lo")), 0, "lo"));
  for (const auto& nic : config.interfaces) {
    int index = TRY(ifindex_by_mac(nic.mac));
    if (!nic.set_mac.empty()) TRYV(set_link_mac(fd.get(), index, nic.set_mac));
    for (const auto& a : nic.addresses) {
      Cidr c = TRY(parse_cidr(a, true));
      ifaddrmsg ifa{};
      ifa.ifa_family = static_cast<unsigned char>(c.family);
      ifa.ifa_prefixlen = static_cast<unsigned char>(c.prefix);
      ifa.ifa_index = static_cast<unsigned>(index);
      NlRequest req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof ifa);
      size_t len = c.family == AF_INET ? 4 : 16;
      req.attr(IFA_LOCAL, c.addr, len);
      req.attr(IFA_ADDRESS, c.addr, len);
      if (c.family == AF_INET && c.prefix < 31) {
        unsigned char brd[4];
        uint32_t host = c.prefix == 0 ? 0xffffffffu : (0xffffffffu >> c.prefix);
        uint32_t v;
        std::memcpy(&v, c.addr, 4);
        v = htonl(ntohl(v) | host);
        std::memcpy(brd, &v, 4);
        req.attr(IFA_BROADCAST, brd, 4);
      }
      TRYV(talk(fd.get(), req, "adding address " + a + " to the NIC " + nic.mac));
    }
    TRYV(link_up(fd.get(), index, nic.mtu, "the NIC " + nic.mac));
  }
  for (const auto& r : config.routes) {
    Cidr dst = TRY(parse_cidr(r.destination, true));
    Cidr gw = TRY(parse_cidr(r.gateway, false));
    if (gw.family != dst.family)
      return fail(Errc::InvalidArgument, "route " + r.destination + " via " + r.gateway + ": address families differ");
    rtmsg rt{};
    rt.rtm_family = static_cast<unsigned char>(dst.family);
    rt.rtm_dst_len = static_cast<unsigned char>(dst.prefix);
    rt.rtm_table = RT_TABLE_MAIN;
    rt.rtm_protocol = RTPROT_BOOT;
    rt.rtm_scope = RT_SCOPE_UNIVERSE;
    rt.rtm_type = RTN_UNICAST;
    NlRequest req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof rt);
    size_t len = dst.family == AF_INET ? 4 : 16;
    if (dst.prefix > 0) req.attr(RTA_DST, dst.addr, len);
    req.attr(RTA_GATEWAY, gw.addr, len);
    TRYV(talk(fd.get(), req, "adding the route " + r.destination + " via " + r.gateway));
  }
  return {};
}

}  // namespace berth::vmagent
