#include "net/link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <system_error>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/mac.h"
#include "base/unique_fd.h"

namespace berth::net {
namespace {

// ---- libnl ownership ------------------------------------------------------

struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrPut {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrPut {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RoutePut {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CacheFree {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkPut>;
using AddrPtr = std::unique_ptr<nl_addr, AddrPut>;

// A connected NETLINK_ROUTE socket that remembers the kernel's errno and
// extended-ack message of the last failed request: libnl folds most errnos
// into "Unspecific failure" otherwise. Not movable (libnl holds `this`).
class Sock {
 public:
  Sock() = default;
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;
  ~Sock() {
    if (sk_) nl_socket_free(sk_);  // closes the fd
  }

  Result<void> connect() {
    sk_ = nl_socket_alloc();
    if (!sk_) return fail(Errc::Internal, "allocating a netlink socket: out of memory");
    nl_socket_modify_err_cb(sk_, NL_CB_CUSTOM, &Sock::on_error, this);
    if (int err = nl_connect(sk_, NETLINK_ROUTE); err < 0)
      return fail(Errc::Internal, std::string("opening a netlink socket: ") + nl_geterror(err));
    int fd = nl_socket_get_fd(sk_);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // libnl >= 3.2.? sets it; make sure for posix_spawn'd shims
    int one = 1;
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    return {};
  }

  nl_sock* get() const { return sk_; }

  // An Error for libnl's result `err` (< 0) of the request described by `what`.
  Error error(int err, const std::string& what) {
    int sys = std::exchange(kernel_errno_, 0);
    std::string ext = std::exchange(ext_msg_, {});
    if (sys != 0) {
      Error e{errc_from_errno(sys), sys, what};
      if (!ext.empty()) e.message += " (" + ext + ")";
      return e;
    }
    Errc code = Errc::Internal;
    switch (-err) {
      case NLE_EXIST: code = Errc::AlreadyExists; break;
      case NLE_OBJ_NOTFOUND:
      case NLE_NODEV: code = Errc::NotFound; break;
      case NLE_PERM:
      case NLE_NOACCESS: code = Errc::PermissionDenied; break;
      case NLE_INVAL:
      case NLE_RANGE: code = Errc::InvalidArgument; break;
      case NLE_BUSY: code = Errc::Unavailable; break;
      case NLE_OPNOTSUPP: code = Errc::Unsupported; break;
      default: break;
    }
    return Error{code, 0, what + ": " + nl_geterror(err)};
  }

 private:
  static int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* self = static_cast<Sock*>(arg);
    self->kernel_errno_ = -e->error;
    // The extended ack TLVs follow the error (and the request unless capped).
    auto* hdr = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(e) - NLMSG_HDRLEN);
    if (hdr->nlmsg_flags & NLM_F_ACK_TLVS) {
      size_t off = sizeof(nlmsgerr);
      if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - sizeof(nlmsghdr);
      size_t end = hdr->nlmsg_len - NLMSG_HDRLEN;
      while (off + sizeof(nlattr) <= end) {
        auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(e) + off);
        if (a->nla_len < sizeof(nlattr) || off + a->nla_len > end) break;
        if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
          const char* s = reinterpret_cast<const char*>(a) + NLA_HDRLEN;
          self->ext_msg_.assign(s, strnlen(s, a->nla_len - NLA_HDRLEN));
        }
        off += NLA_ALIGN(a->nla_len);
      }
    }
    return NL_STOP;  // libnl returns -nl_syserr2nlerr(e->error)
  }

  nl_sock* sk_ = nullptr;
  int kernel_errno_ = 0;
  std::string ext_msg_;
};

bool is_missing(int err) { return err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND; }

// ---- addresses ------------------------------------------------------------

Result<AddrPtr> ipv4_addr(uint32_t host_order, int prefix) {
  uint32_t be = htonl(host_order);
  AddrPtr a(nl_addr_build(AF_INET, &be, sizeof be));
  if (!a) return fail(Errc::Internal, "building a netlink address: out of memory");
  nl_addr_set_prefixlen(a.get(), prefix);
  return a;
}

Result<AddrPtr> mac_addr(const std::array<uint8_t, 6>& mac) {
  AddrPtr a(nl_addr_build(AF_LLC, mac.data(), mac.size()));
  if (!a) return fail(Errc::Internal, "building a netlink address: out of memory");
  return a;
}

std::string random_hex(size_t n) {
  std::array<uint8_t, 16> buf{};
  if (::getrandom(buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size())) {
    // getrandom(2) cannot fail for 16 bytes once the pool is initialized; be safe anyway.
    uint64_t t = static_cast<uint64_t>(::gettid()) * 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(&buf);
    std::memcpy(buf.data(), &t, sizeof t);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kHex[(buf[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
  return s;
}

// ---- operations on one socket ---------------------------------------------

// Adds addr/prefix to the link (with its broadcast address); already there is fine.
Result<void> add_address(Sock& sk, int ifindex, const Ipv4Net& cidr, const std::string& ifname) {
  std::unique_ptr<rtnl_addr, RtAddrPut> addr(rtnl_addr_alloc());
  if (!addr) return fail(Errc::Internal, "allocating a netlink address: out of memory");
  auto local = TRY(ipv4_addr(cidr.addr, cidr.prefix));
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
    return std::unexpected(sk.error(err, "setting address " + format_cidr(cidr)));
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  if (cidr.prefix < 31) {
    auto brd = TRY(ipv4_addr(cidr.broadcast(), 32));
    rtnl_addr_set_broadcast(addr.get(), brd.get());
  }
  int err = rtnl_addr_add(sk.get(), addr.get(), NLM_F_EXCL);
  if (err == -NLE_EXIST) {
    sk.error(err, "");  // clear the recorded errno
    return {};
  }
  if (err < 0) return std::unexpected(sk.error(err, "adding address " + format_cidr(cidr) + " to " + ifname));
  return {};
}

// Deletes addr/prefix from the link; already gone is fine (a secondary
// address leaves with its primary).
Result<void> delete_address(Sock& sk, int ifindex, const Ipv4Net& cidr, const std::string& ifname) {
  std::unique_ptr<rtnl_addr, RtAddrPut> addr(rtnl_addr_alloc());
  if (!addr) return fail(Errc::Internal, "allocating a netlink address: out of memory");
  auto local = TRY(ipv4_addr(cidr.addr, cidr.prefix));
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0)
    return std::unexpected(sk.error(err, "setting address " + format_cidr(cidr)));
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  int err = rtnl_addr_delete(sk.get(), addr.get(), 0);
  if (err == -NLE_NOADDR || is_missing(err)) {
    sk.error(err, "");
    return {};
  }
  if (err < 0) return std::unexpected(sk.error(err, "deleting address " + format_cidr(cidr) + " from " + ifname));
  return {};
}

// Every IPv4 address of the namespace as (ifindex, address/prefix), in the
// kernel's order.
Result<std::vector<std::pair<int, Ipv4Net>>> ipv4_addresses(Sock& sk) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(sk.get(), &raw); err < 0)
    return std::unexpected(sk.error(err, "listing addresses"));
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  std::vector<std::pair<int, Ipv4Net>> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET) continue;
    nl_addr* local = rtnl_addr_get_local(a);
    uint32_t be = 0;
    if (!local || nl_addr_get_len(local) != sizeof be) continue;
    std::memcpy(&be, nl_addr_get_binary_addr(local), sizeof be);
    out.push_back({rtnl_addr_get_ifindex(a), Ipv4Net{ntohl(be), rtnl_addr_get_prefixlen(a)}});
  }
  return out;
}

Result<void> add_default_route(Sock& sk, int ifindex, uint32_t gateway, const std::string& ifname) {
  std::unique_ptr<rtnl_route, RoutePut> route(rtnl_route_alloc());
  if (!route) return fail(Errc::Internal, "allocating a netlink route: out of memory");
  auto dst = TRY(ipv4_addr(0, 0));
  auto gw = TRY(ipv4_addr(gateway, 32));
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  if (int err = rtnl_route_set_dst(route.get(), dst.get()); err < 0)
    return std::unexpected(sk.error(err, "building the default route"));
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  if (!nh) return fail(Errc::Internal, "allocating a netlink next hop: out of memory");
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_add_nexthop(route.get(), nh);
  if (int err = rtnl_route_add(sk.get(), route.get(), NLM_F_EXCL); err < 0)
    return std::unexpected(
        sk.error(err, "adding the default route via " + format_ipv4(gateway) + " on " + ifname));
  return {};
}

Result<void> set_up(Sock& sk, int ifindex, const std::string& ifname) {
  LinkPtr orig(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  if (!orig || !change) return fail(Errc::Internal, "allocating a netlink link: out of memory");
  rtnl_link_set_ifindex(orig.get(), ifindex);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sk.get(), orig.get(), change.get(), 0); err < 0)
    return std::unexpected(sk.error(err, "bringing " + ifname + " up"));
  return {};
}

// The link's kernel record; nullptr when missing.
Result<LinkPtr> get_link(Sock& sk, const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &raw);
  if (is_missing(err)) {
    sk.error(err, "");
    return LinkPtr();
  }
  if (err < 0) return std::unexpected(sk.error(err, "reading link " + name));
  return LinkPtr(raw);
}

// Deletes a link by name; missing is fine.
Result<void> delete_link(Sock& sk, const std::string& name) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Errc::Internal, "allocating a netlink link: out of memory");
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sk.get(), link.get());
  if (is_missing(err)) {
    sk.error(err, "");
    return {};
  }
  if (err < 0) return std::unexpected(sk.error(err, "deleting link " + name));
  return {};
}

// ---- namespaces -----------------------------------------------------------

// Opens a network namespace file. NotFound when missing; InvalidArgument
// when it is not a network namespace.
Result<UniqueFd> open_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening network namespace " + path);
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET)
    return fail(Errc::InvalidArgument, path + " is not a network namespace");
  return fd;
}

// Runs fn on a new thread that has joined the namespace `nsfd`; the caller's
// namespace is untouched and the thread ends with fn.
Result<void> in_netns(int nsfd, const std::string& path, const std::function<Result<void>()>& fn) {
  Result<void> result;
  try {
    std::thread([&] {
      if (::setns(nsfd, CLONE_NEWNET) != 0) {
        result = fail_errno("entering network namespace " + path);
        return;
      }
      result = fn();
    }).join();
  } catch (const std::system_error& e) {
    return fail(Errc::Unavailable, "starting a thread to enter network namespace " + path + ": " + e.what(),
                e.code().value());
  }
  return result;
}

}  // namespace

// ---- bridges --------------------------------------------------------------

Result<void> ensure_bridge(const std::string& name, const std::string& gateway_cidr, int mtu) {
  const std::string what = "setting up bridge " + name;
  if (name.empty() || name.size() >= IFNAMSIZ)
    return fail(Errc::InvalidArgument, what + ": invalid interface name (1 to 15 characters)");
  std::optional<Ipv4Net> cidr;
  if (!gateway_cidr.empty()) cidr = TRY_CTX(parse_cidr(gateway_cidr), what);

  Sock sk;
  TRYV_CTX(sk.connect(), what);
  {
    LinkPtr link(rtnl_link_alloc());
    if (!link) return fail(Errc::Internal, what + ": out of memory");
    if (int err = rtnl_link_set_type(link.get(), "bridge"); err < 0)
      return std::unexpected(sk.error(err, what));
    rtnl_link_set_name(link.get(), name.c_str());
    if (mtu > 0) rtnl_link_set_mtu(link.get(), mtu);
    // A MAC set at creation is kept (the kernel marks it as set); otherwise the
    // bridge takes the lowest MAC of its ports and changes as containers come
    // and go, leaving stale gateway entries in the containers' ARP caches.
    std::array<uint8_t, 6> mac{};
    std::string hex = random_hex(12);
    for (size_t i = 0; i < mac.size(); ++i)
      mac[i] = static_cast<uint8_t>(std::strtoul(hex.substr(i * 2, 2).c_str(), nullptr, 16));
    mac[0] = (mac[0] & 0xfe) | 0x02;  // unicast, locally administered
    auto lladdr = TRY_CTX(mac_addr(mac), what);
    rtnl_link_set_addr(link.get(), lladdr.get());
    int err = rtnl_link_add(sk.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST) return std::unexpected(sk.error(err, what + ": creating the bridge"));
    if (err == -NLE_EXIST) sk.error(err, "");
  }
  LinkPtr current = TRY_CTX(get_link(sk, name), what);
  if (!current) return fail(Errc::NotFound, what + ": the bridge vanished while being set up");
  const char* type = rtnl_link_get_type(current.get());
  if (!type || std::string_view(type) != "bridge")
    return fail(Errc::Conflict, what + ": a link named " + name + " exists and is not a bridge (type " +
                                    (type ? type : "none") + ")");
  int ifindex = rtnl_link_get_ifindex(current.get());
  if (cidr) {
    std::vector<Ipv4Net> on_bridge;
    for (const auto& [index, addr] : TRY_CTX(ipv4_addresses(sk), what))
      if (index == ifindex) on_bridge.push_back(addr);
    // Deleted first: deleting a primary address takes its secondaries along,
    // and the gateway may be one of them.
    for (const Ipv4Net& stale : surplus_bridge_addresses(on_bridge, *cidr)) {
      TRYV_CTX(delete_address(sk, ifindex, stale, name), what);
      log::info("bridge {}: removed address {}: a bridge carries its network's gateway {} alone", name,
                format_cidr(stale), format_cidr(*cidr));
    }
    TRYV_CTX(add_address(sk, ifindex, *cidr, name), what);
  }

  bool need_mtu = mtu > 0 && rtnl_link_get_mtu(current.get()) != static_cast<unsigned>(mtu);
  bool need_up = !(rtnl_link_get_flags(current.get()) & IFF_UP);
  if (need_mtu || need_up) {
    LinkPtr change(rtnl_link_alloc());
    if (!change) return fail(Errc::Internal, what + ": out of memory");
    if (need_mtu) rtnl_link_set_mtu(change.get(), mtu);
    rtnl_link_set_flags(change.get(), IFF_UP);
    if (int err = rtnl_link_change(sk.get(), current.get(), change.get(), 0); err < 0)
      return std::unexpected(sk.error(err, what + ": setting MTU " + std::to_string(mtu) + " and bringing it up"));
  }
  return {};
}

Result<void> remove_bridge(const std::string& name) {
  const std::string what = "removing bridge " + name;
  Sock sk;
  TRYV_CTX(sk.connect(), what);
  LinkPtr current = TRY_CTX(get_link(sk, name), what);
  if (!current) return {};
  const char* type = rtnl_link_get_type(current.get());
  if (!type || std::string_view(type) != "bridge")
    return fail(Errc::InvalidArgument, what + ": " + name + " is not a bridge");
  return delete_link(sk, name);
}

// ---- container interfaces -------------------------------------------------

Result<std::string> attach(const AttachSpec& spec) {
  const std::string what = "connecting " + spec.netns_path + " to bridge " + spec.bridge;
  if (spec.ifname.empty() || spec.ifname.size() >= IFNAMSIZ || spec.ifname.find('/') != std::string::npos)
    return fail(Errc::InvalidArgument, what + ": invalid interface name " + spec.ifname);
  auto cidr = TRY_CTX(parse_cidr(spec.address), what);
  std::optional<uint32_t> gateway;
  if (!spec.gateway.empty()) gateway = TRY_CTX(parse_ipv4(spec.gateway), what);
  auto mac = TRY_CTX(parse_mac(spec.mac.empty() ? docker_mac(cidr.addr) : spec.mac), what);

  UniqueFd ns = TRY_CTX(open_netns(spec.netns_path), what);
  unsigned bridge_index = ::if_nametoindex(spec.bridge.c_str());
  if (bridge_index == 0) {
    if (errno == ENODEV) return fail(Errc::NotFound, what + ": bridge " + spec.bridge + " not found");
    return fail_errno(what + ": looking up bridge " + spec.bridge);
  }

  Sock sk;
  TRYV_CTX(sk.connect(), what);
  auto lladdr = TRY_CTX(mac_addr(mac), what);
  std::string host;
  for (int attempt = 0;; ++attempt) {
    host = "veth" + random_hex(7);
    LinkPtr veth(rtnl_link_veth_alloc());
    if (!veth) return fail(Errc::Internal, what + ": out of memory");
    rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());  // owned by veth (not a new reference)
    rtnl_link_set_name(veth.get(), host.c_str());
    rtnl_link_set_master(veth.get(), static_cast<int>(bridge_index));
    rtnl_link_set_flags(veth.get(), IFF_UP);
    // The peer is created inside the namespace under its final name: no
    // temporary name in the host namespace, no move, no rename.
    rtnl_link_set_name(peer, spec.ifname.c_str());
    rtnl_link_set_ns_fd(peer, ns.get());
    rtnl_link_set_addr(peer, lladdr.get());
    // Not IFF_UP here: the kernel configures the peer before it is paired,
    // and opening an unpaired veth fails with ENOTCONN.
    if (spec.mtu > 0) {
      rtnl_link_set_mtu(veth.get(), spec.mtu);
      rtnl_link_set_mtu(peer, spec.mtu);
    }
    int err = rtnl_link_add(sk.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err == 0) break;
    Error e = sk.error(err, what + ": creating veth pair " + host + "/" + spec.ifname);
    if (err == -NLE_EXIST) {
      // Either our random host name (retry) or the name in the namespace (the caller's conflict).
      if (attempt < 3 && ::if_nametoindex(host.c_str()) != 0) continue;
      return fail(Errc::Conflict, what + ": an interface named " + spec.ifname + " already exists in the namespace");
    }
    return std::unexpected(std::move(e));
  }

  auto configured = in_netns(ns.get(), spec.netns_path, [&]() -> Result<void> {
    Sock inner;  // created on this thread: bound to the container's namespace
    TRYV(inner.connect());
    unsigned index = ::if_nametoindex(spec.ifname.c_str());
    if (index == 0) return fail_errno("finding " + spec.ifname + " in the namespace");
    TRYV(set_up(inner, static_cast<int>(index), spec.ifname));
    TRYV(add_address(inner, static_cast<int>(index), cidr, spec.ifname));
    if (gateway) TRYV(add_default_route(inner, static_cast<int>(index), *gateway, spec.ifname));
    return {};
  });
  if (!configured) {
    (void)delete_link(sk, host);  // takes the peer with it
    return std::unexpected(std::move(configured).error().wrap(what));
  }
  // Hairpin: a container reaching its own published port goes out to the
  // bridge and is DNATed back through the same port (no userland proxy).
  if (auto r = write_existing("/sys/class/net/" + host + "/brport/hairpin_mode", "1"); !r) {
    (void)delete_link(sk, host);
    return std::unexpected(std::move(r).error().wrap(what + ": setting hairpin mode"));
  }
  return host;
}

Result<void> detach(const std::string& host_veth) {
  Sock sk;
  TRYV_CTX(sk.connect(), "removing " + host_veth);
  return delete_link(sk, host_veth);
}

Result<void> detach_in_netns(const std::string& netns_path, const std::string& ifname) {
  const std::string what = "removing " + ifname + " from " + netns_path;
  auto ns = open_netns(netns_path);
  if (!ns && ns.error().code == Errc::NotFound) return {};  // the namespace is gone, and its links with it
  if (!ns) return std::unexpected(std::move(ns).error().wrap(what));
  return in_netns(ns->get(), netns_path, [&]() -> Result<void> {
    Sock sk;
    TRYV_CTX(sk.connect(), what);
    return delete_link(sk, ifname);
  });
}

// ---- queries and knobs ----------------------------------------------------

Result<bool> link_exists(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  if (::if_nametoindex(name.c_str()) != 0) return true;
  if (errno == ENODEV) return false;
  return fail_errno("looking up link " + name);
}

Result<std::vector<Ipv4Net>> host_routes() {
  Sock sk;
  TRYV_CTX(sk.connect(), "listing host routes");
  nl_cache* raw = nullptr;
  if (int err = rtnl_route_alloc_cache(sk.get(), AF_INET, 0, &raw); err < 0)
    return std::unexpected(sk.error(err, "listing host routes"));
  std::unique_ptr<nl_cache, CacheFree> cache(raw);
  std::vector<Ipv4Net> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    if (!dst || nl_addr_get_prefixlen(dst) == 0) continue;
    uint32_t be = 0;
    if (nl_addr_get_len(dst) == sizeof be) std::memcpy(&be, nl_addr_get_binary_addr(dst), sizeof be);
    out.push_back({ntohl(be), static_cast<int>(nl_addr_get_prefixlen(dst))});
  }
  return out;
}

Result<std::vector<Ipv4Net>> link_ipv4_addresses(const std::string& name) {
  const std::string what = "listing the addresses of " + name;
  if (name.empty() || name.size() >= IFNAMSIZ) return std::vector<Ipv4Net>{};
  unsigned ifindex = ::if_nametoindex(name.c_str());
  if (ifindex == 0) {
    if (errno == ENODEV) return std::vector<Ipv4Net>{};
    return fail_errno(what);
  }
  Sock sk;
  TRYV_CTX(sk.connect(), what);
  std::vector<Ipv4Net> out;
  for (const auto& [index, addr] : TRY_CTX(ipv4_addresses(sk), what))
    if (index == static_cast<int>(ifindex)) out.push_back(addr);
  return out;
}

Result<std::vector<Ipv4Net>> host_networks() {
  auto out = TRY(host_routes());
  Sock sk;
  TRYV_CTX(sk.connect(), "listing host addresses");
  for (const auto& [index, addr] : TRY_CTX(ipv4_addresses(sk), "listing host addresses"))
    out.push_back(addr.as_network());
  return out;
}

Result<void> set_sysctl(const std::string& path, std::string_view value) {
  if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos)
    return fail(Errc::InvalidArgument, "invalid sysctl path " + path);
  auto r = write_existing("/proc/sys/" + path, value);
  if (!r) return std::unexpected(std::move(r).error().wrap("setting " + path + " to " + std::string(value)));
  return {};
}

}  // namespace berth::net
