#include "rootless/ns_holder.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sys/fdpass.h"

namespace berth::rootless {

namespace {

constexpr std::string_view kJoin = "join ";
constexpr std::string_view kOk = "ok ";
constexpr std::string_view kRetire = "retire";
// Pidfds the holder waits on at most (it looks again when one ends).
constexpr size_t kMaxWatched = 256;

Result<NetStack> netstack_named(std::string_view name) {
  if (name == "pasta") return NetStack::Pasta;
  if (name == "slirp4netns") return NetStack::Slirp4netns;
  return fail(Errc::InvalidArgument, "unknown network stack '" + std::string(name) + "'");
}

ino_t inode_of(const char* path) {
  struct stat st {};
  return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

std::string join_request(NetStack wanted) { return std::string(kJoin) + netstack_name(wanted); }

Result<NetStack> parse_join_request(std::string_view text) {
  if (!text.starts_with(kJoin)) return fail(Errc::InvalidArgument, "not a join request");
  return netstack_named(text.substr(kJoin.size()));
}

Result<HolderReply> parse_holder_reply(std::string_view text) {
  if (text == kRetire) return HolderReply{true, NetStack::Pasta};
  if (!text.starts_with(kOk)) return fail(Errc::InvalidArgument, "unexpected reply from the namespace holder");
  return HolderReply{false, TRY(netstack_named(text.substr(kOk.size())))};
}

Result<std::optional<HeldNamespaces>> join_holder(const std::string& socket_path, NetStack wanted) {
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return fail(Errc::InvalidArgument, "socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<HeldNamespaces>();
    return fail_errno("connecting to the namespace holder at " + socket_path);
  }
  std::string req = join_request(wanted);
  if (::send(s.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return std::optional<HeldNamespaces>();  // it is going away
  auto got = sys::recv_fds(s.get(), 3);
  if (!got) {
    // It ended (or reset the connection) before answering: it is going away.
    if (got.error().code == Errc::Unavailable || got.error().sys_errno == ECONNRESET)
      return std::optional<HeldNamespaces>();
    return std::unexpected(got.error().wrap("the namespace holder's answer"));
  }
  auto& [text, fds] = *got;
  auto reply = TRY(parse_holder_reply(text));
  if (reply.retire) return std::optional<HeldNamespaces>();
  if (fds.size() != 3)
    return fail(Errc::Internal, "the namespace holder sent " + std::to_string(fds.size()) + " namespaces, not 3");
  HeldNamespaces h;
  h.conn = std::move(s);
  h.user = std::move(fds[0]);
  h.mnt = std::move(fds[1]);
  h.net = std::move(fds[2]);
  h.net_kind = reply.net_kind;
  return std::optional<HeldNamespaces>(std::move(h));
}

std::vector<pid_t> processes_in_user_namespace(ino_t userns_inode, pid_t self, pid_t except, size_t limit) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self || pid == except) continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/ns/user", pid);
    if (inode_of(path) != userns_inode) continue;
    out.push_back(static_cast<pid_t>(pid));
    if (out.size() >= limit) break;
  }
  ::closedir(d);
  return out;
}

[[noreturn]] void serve_as_holder(UniqueFd listener, const HolderSetup& setup) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  ino_t own_userns = inode_of("/proc/self/ns/user");
  struct stat sock_st {};
  (void)::stat(setup.socket_path.c_str(), &sock_st);
  pid_t self = ::getpid();

  auto finish = [&]() {
    // The path is ours only while it is still our socket (a new holder may
    // have replaced it after we stopped answering).
    struct stat now {};
    listener.reset();
    if (::stat(setup.socket_path.c_str(), &now) == 0 && now.st_ino == sock_st.st_ino && now.st_dev == sock_st.st_dev)
      ::unlink(setup.socket_path.c_str());
    if (setup.netstack_pid > 0) ::kill(setup.netstack_pid, SIGTERM);
    std::_Exit(0);
  };

  // Without a daemon: the processes still in the namespaces (shims, their
  // containers), watched by pidfd; none left means the end.
  std::vector<UniqueFd> remaining;
  auto look_again = [&]() {
    remaining.clear();
    for (pid_t pid : processes_in_user_namespace(own_userns, self, setup.netstack_pid, kMaxWatched)) {
      UniqueFd pfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (pfd) remaining.push_back(std::move(pfd));
    }
    if (remaining.empty()) finish();
  };
  auto busy = [&]() { return !processes_in_user_namespace(own_userns, self, setup.netstack_pid, 1).empty(); };

  std::vector<UniqueFd> daemons;
  for (;;) {
    std::vector<pollfd> fds = {{sfd.get(), POLLIN, 0}, {listener.get(), POLLIN, 0}};
    for (const auto& c : daemons) fds.push_back({c.get(), POLLIN, 0});
    size_t first_pidfd = fds.size();
    for (const auto& p : remaining) fds.push_back({p.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      finish();
    }
    if (fds[0].revents & POLLIN) finish();
    bool closed = false;
    for (size_t i = first_pidfd; i-- > 2;) {
      if (!fds[i].revents) continue;
      char b[16];
      if (::recv(fds[i].fd, b, sizeof b, MSG_DONTWAIT) == 0 || (fds[i].revents & (POLLHUP | POLLERR))) {
        daemons.erase(daemons.begin() + static_cast<long>(i - 2));
        closed = true;
      }
    }
    bool one_ended = false;
    for (size_t i = first_pidfd; i < fds.size(); ++i) one_ended |= fds[i].revents != 0;
    if (daemons.empty() && (closed || one_ended)) look_again();
    if (!(fds[1].revents & POLLIN)) continue;
    UniqueFd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) continue;
    char req[64];
    ssize_t n = ::recv(c.get(), req, sizeof req, 0);
    auto wanted = n > 0 ? parse_join_request(std::string_view(req, static_cast<size_t>(n)))
                        : Result<NetStack>(fail(Errc::InvalidArgument, "no request"));
    if (!wanted) continue;
    // Another stack and nothing that depends on ours: make way for a new holder.
    if (*wanted != setup.net_kind && daemons.empty() && !busy()) {
      (void)::send(c.get(), kRetire.data(), kRetire.size(), MSG_NOSIGNAL);
      finish();
    }
    UniqueFd user(::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC));
    UniqueFd mnt(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    UniqueFd net(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!user || !mnt || !net) continue;
    std::string ok = std::string(kOk) + netstack_name(setup.net_kind);
    if (sys::send_fds(c.get(), {user.get(), mnt.get(), net.get()}, ok)) {
      daemons.push_back(std::move(c));
      remaining.clear();  // a daemon again: nothing to watch for the end
    }
  }
}

}  // namespace berth::rootless
