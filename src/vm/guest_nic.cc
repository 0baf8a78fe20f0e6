#include "vm/guest_nic.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>

#include "base/defer.h"

namespace berth::vm {
namespace {

constexpr char kTap[] = "tap0";
constexpr char kBridge[] = "br0";

struct SockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using Sock = std::unique_ptr<nl_sock, SockFree>;
using Cache = std::unique_ptr<nl_cache, CacheFree>;
using Link = std::unique_ptr<rtnl_link, LinkPut>;

Error nl_error(int err, const std::string& what) { return Error{Errc::Internal, 0, what + ": " + nl_geterror(err)}; }

std::string format_addr(nl_addr* a) {
  char buf[128];
  return nl_addr2str(a, buf, sizeof buf);
}

Result<UniqueFd> open_tap(const char* name) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd) return fail_errno("opening /dev/net/tun");
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) != 0) return fail_errno(std::string("creating tap device ") + name);
  return fd;
}

Result<int> ifindex_of(nl_sock* sk, const std::string& name) {
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sk, 0, name.c_str(), &l);
  if (err < 0) {
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return fail(Errc::NotFound, "no network interface " + name);
    return std::unexpected(nl_error(err, "looking up " + name));
  }
  Link link(l);
  return rtnl_link_get_ifindex(l);
}

Result<void> change_link(nl_sock* sk, const std::string& name, const std::function<void(rtnl_link*)>& edit) {
  rtnl_link* l = nullptr;
  int err = rtnl_link_get_kernel(sk, 0, name.c_str(), &l);
  if (err < 0) return std::unexpected(nl_error(err, "looking up " + name));
  Link orig(l);
  Link change(rtnl_link_alloc());
  edit(change.get());
  err = rtnl_link_change(sk, orig.get(), change.get(), 0);
  if (err < 0) return std::unexpected(nl_error(err, "changing " + name));
  return {};
}

// existing_tap: a pooled VM's tap0, already moved into this namespace.
// No learning on the veth's port of br0: berth's bridge has hairpin mode
// on its ports, so every broadcast the guest sends (an ARP request) comes
// back in through the veth with the guest's own source MAC. Learnt there,
// it would send the answers back out of the veth and the guest would never
// resolve a neighbour (connections from the VM: "No route to host").
Result<void> veth_port_without_learning(nl_sock* sk, int veth, const std::string& ifname) {
  nl_msg* msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
  if (!msg) return fail(Errc::Internal, "allocating a netlink message");
  auto free_msg = Defer([&] { nlmsg_free(msg); });
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  ifi.ifi_index = veth;
  if (nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) return fail(Errc::Internal, "building a netlink message");
  nlattr* port = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
  if (!port || nla_put_u8(msg, IFLA_BRPORT_LEARNING, 0) < 0) return fail(Errc::Internal, "building a netlink message");
  nla_nest_end(msg, port);
  if (int err = nl_send_sync(sk, msg); err < 0) {
    msg = nullptr;  // nl_send_sync frees it
    return std::unexpected(nl_error(err, "turning learning off on " + ifname + "'s bridge port"));
  }
  msg = nullptr;
  return {};
}

Result<GuestNic> in_namespace(const std::string& ifname, bool existing_tap) {
  Sock sk(nl_socket_alloc());
  if (!sk) return fail(Errc::Internal, "allocating a netlink socket");
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) return std::unexpected(nl_error(err, "connecting to rtnetlink"));
  int veth = TRY(ifindex_of(sk.get(), ifname));

  GuestNic nic;
  {
    rtnl_link* l = nullptr;
    if (int err = rtnl_link_get_kernel(sk.get(), veth, nullptr, &l); err < 0)
      return std::unexpected(nl_error(err, "reading " + ifname));
    Link link(l);
    nic.mac = format_addr(rtnl_link_get_addr(l));
    nic.mtu = rtnl_link_get_mtu(l);
  }
  // Its IPv4 addresses, then gone from it.
  nl_cache* ac = nullptr;
  if (int err = rtnl_addr_alloc_cache(sk.get(), &ac); err < 0) return std::unexpected(nl_error(err, "listing addresses"));
  Cache addrs(ac);
  std::vector<rtnl_addr*> to_delete;
  for (nl_object* o = nl_cache_get_first(ac); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != veth || rtnl_addr_get_family(a) != AF_INET) continue;
    nic.addresses.push_back(format_addr(rtnl_addr_get_local(a)));
    to_delete.push_back(a);
  }
  // The default route's gateway.
  nl_cache* rc = nullptr;
  if (int err = rtnl_route_alloc_cache(sk.get(), AF_INET, 0, &rc); err < 0)
    return std::unexpected(nl_error(err, "listing routes"));
  Cache routes(rc);
  for (nl_object* o = nl_cache_get_first(rc); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst) != 0)) continue;
    if (rtnl_route_get_nnexthops(r) < 1) continue;
    nl_addr* gw = rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(r, 0));
    if (gw) nic.gateway = format_addr(gw);
  }
  for (auto* a : to_delete)
    if (int err = rtnl_addr_delete(sk.get(), a, 0); err < 0)
      return std::unexpected(nl_error(err, "taking the address off " + ifname));

  if (!existing_tap) nic.tap = TRY(open_tap(kTap));
  Link br(rtnl_link_bridge_alloc());
  rtnl_link_set_name(br.get(), kBridge);
  if (nic.mtu) rtnl_link_set_mtu(br.get(), nic.mtu);
  if (int err = rtnl_link_add(sk.get(), br.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return std::unexpected(nl_error(err, "creating bridge br0 in the container's namespace"));
  int bridge = TRY(ifindex_of(sk.get(), kBridge));
  // The veth gives its MAC to the guest: a port's own MAC would be the bridge's
  // local address, and frames for the guest would stop at the bridge.
  nl_addr* new_mac = nullptr;
  if (int err = nl_addr_parse(veth_mac_for(nic.mac).c_str(), AF_LLC, &new_mac); err < 0)
    return std::unexpected(nl_error(err, "parsing a MAC"));
  auto put_mac = Defer([&] { nl_addr_put(new_mac); });
  TRYV(change_link(sk.get(), ifname, [&](rtnl_link* c) {
    rtnl_link_set_addr(c, new_mac);
    rtnl_link_set_master(c, bridge);
    rtnl_link_set_flags(c, IFF_UP);
  }));
  TRYV(veth_port_without_learning(sk.get(), veth, ifname));
  TRYV(change_link(sk.get(), kTap, [&](rtnl_link* c) {
    rtnl_link_set_master(c, bridge);
    if (nic.mtu) rtnl_link_set_mtu(c, nic.mtu);
    rtnl_link_set_flags(c, IFF_UP);
  }));
  TRYV(change_link(sk.get(), kBridge, [&](rtnl_link* c) { rtnl_link_set_flags(c, IFF_UP); }));
  return nic;
}

}  // namespace

std::string veth_mac_for(const std::string& guest_mac) {
  unsigned b[6];
  if (std::sscanf(guest_mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return guest_mac;
  b[0] = (b[0] | 0x02) ^ 0x04;  // locally administered, unicast, differs from the guest's
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", b[0] & 0xfe, b[1], b[2], b[3], b[4], b[5]);
  return out;
}

Result<GuestNic> move_nic_to_guest(const std::string& netns_path, const std::string& ifname) {
  UniqueFd target(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return fail_errno("opening network namespace " + netns_path);
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return fail_errno("opening this thread's network namespace");
  if (::setns(target.get(), CLONE_NEWNET) != 0) return fail_errno("entering network namespace " + netns_path);
  auto r = in_namespace(ifname, false);
  // The tap's fd keeps its device in the container's namespace; this thread goes home.
  if (::setns(home.get(), CLONE_NEWNET) != 0) ::abort();  // cannot run qemu in the wrong namespace
  if (!r) return std::unexpected(r.error().wrap("giving the VM the container's network (" + netns_path + ")"));
  return r;
}

Result<UniqueFd> make_pool_tap() { return open_tap(kTap); }

Result<GuestNic> move_pool_tap_to_guest(int tap_netns_fd, const std::string& netns_path, const std::string& ifname) {
  UniqueFd target(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return fail_errno("opening network namespace " + netns_path);
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return fail_errno("opening this thread's network namespace");
  auto go_home = Defer([&] {
    if (::setns(home.get(), CLONE_NEWNET) != 0) ::abort();  // cannot go on in the wrong namespace
  });
  // The container's namespace first: one without the interface (--network
  // none) leaves the tap where it is (the guest's NIC stays down).
  if (::setns(target.get(), CLONE_NEWNET) != 0) return fail_errno("entering network namespace " + netns_path);
  {
    Sock sk(nl_socket_alloc());
    if (!sk) return fail(Errc::Internal, "allocating a netlink socket");
    if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) return std::unexpected(nl_error(err, "connecting to rtnetlink"));
    TRY(ifindex_of(sk.get(), ifname));
  }
  if (::setns(tap_netns_fd, CLONE_NEWNET) != 0) return fail_errno("entering the pooled VM's network namespace");
  {
    Sock sk(nl_socket_alloc());
    if (!sk) return fail(Errc::Internal, "allocating a netlink socket");
    if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) return std::unexpected(nl_error(err, "connecting to rtnetlink"));
    TRYV(change_link(sk.get(), kTap, [&](rtnl_link* c) { rtnl_link_set_ns_fd(c, target.get()); }));
  }
  if (::setns(target.get(), CLONE_NEWNET) != 0) return fail_errno("entering network namespace " + netns_path);
  auto r = in_namespace(ifname, true);
  if (!r) return std::unexpected(r.error().wrap("giving the pooled VM the container's network (" + netns_path + ")"));
  return r;
}

}  // namespace berth::vm

namespace berth::vm {

Result<void> give_nic_back(const std::string& netns_path, const std::vector<std::string>& addresses, const std::string& ifname) {
  UniqueFd target(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return fail_errno("opening network namespace " + netns_path);
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return fail_errno("opening this thread's network namespace");
  if (::setns(target.get(), CLONE_NEWNET) != 0) return fail_errno("entering network namespace " + netns_path);
  auto go_home = Defer([&] {
    if (::setns(home.get(), CLONE_NEWNET) != 0) ::abort();  // cannot go on in the wrong namespace
  });
  Sock sk(nl_socket_alloc());
  if (!sk) return fail(Errc::Internal, "allocating a netlink socket");
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) return std::unexpected(nl_error(err, "connecting to rtnetlink"));
  int veth = TRY(ifindex_of(sk.get(), ifname));
  {
    Link br(rtnl_link_alloc());
    rtnl_link_set_name(br.get(), kBridge);
    (void)rtnl_link_delete(sk.get(), br.get());  // gone already when the namespace had none
  }
  for (const auto& a : addresses) {
    nl_addr* local = nullptr;
    if (int err = nl_addr_parse(a.c_str(), AF_INET, &local); err < 0) return std::unexpected(nl_error(err, "parsing " + a));
    auto put = Defer([&] { nl_addr_put(local); });
    std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> addr(rtnl_addr_alloc(), rtnl_addr_put);
    rtnl_addr_set_ifindex(addr.get(), veth);
    rtnl_addr_set_family(addr.get(), AF_INET);
    if (int err = rtnl_addr_set_local(addr.get(), local); err < 0) return std::unexpected(nl_error(err, "setting " + a));
    if (int err = rtnl_addr_add(sk.get(), addr.get(), 0); err < 0 && err != -NLE_EXIST)
      return std::unexpected(nl_error(err, "giving " + a + " back to " + ifname));
  }
  return {};
}

}  // namespace berth::vm
