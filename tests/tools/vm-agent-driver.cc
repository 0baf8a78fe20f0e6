// vm-agent-driver: a host-side test client of berth-vm-agent (issue 15,
// docs/vm.md). It speaks vmproto over QEMU's chardev socket (--socket) or to
// an agent it starts itself on a socketpair (--spawn-agent, on this host: no
// VM), runs busybox containers and checks what the agent relays. Prints one
// "ok - ..." / "not ok - ..." line per check and "N passed, M failed".
// Every read has a deadline: a dead peer is an error, never a hang.
//
//   vm-agent-driver --socket AGENT.sock --rootfs /run/berth-vm/shares/rootfs
//       --share rootfs:/run/berth-vm/shares/rootfs --share vol0:/run/berth-vm/shares/vol0
//       --volume /run/berth-vm/shares/vol0=HOSTDIR --expect-other-kernel
//   vm-agent-driver --socket AGENT.sock --rootfs ... --crash-test QEMU_PIDFILE
//   vm-agent-driver --spawn-agent build/.../berth-vm-agent --rootfs /tmp/.../rootfs
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "runtime/default_spec.h"
#include "vmproto/frame.h"
#include "vmproto/messages.h"

using namespace berth;
using namespace berth::vmproto;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string socket, spawn_agent, rootfs;
  std::vector<Share> shares;
  std::string volume_guest, volume_host;
  bool expect_other_kernel = false;
  std::string nic_mac, nic_cidr, nic_gateway;  // --network MAC,CIDR,GATEWAY
  std::string crash_pidfile;  // QEMU's -pidfile: killed under a pending wait
  bool boot_only = false;     // hello, QEMU's memory (with --qemu-pidfile), shutdown: for bench/
  std::string qemu_pidfile;
  int timeout_s = 90;
};

int passed = 0, failed = 0;
void check(bool ok, const std::string& what, const std::string& detail = "") {
  if (ok) {
    ++passed;
    std::printf("ok - %s\n", what.c_str());
  } else {
    ++failed;
    std::printf("not ok - %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
  std::fflush(stdout);
}

struct StreamState {
  std::string out, err;
  bool out_eof = false, err_eof = false, eof_before_exit = true;
  std::optional<ExitStatus> exited;
};

class Client {
 public:
  explicit Client(UniqueFd fd, int timeout_s) : fd_(std::move(fd)), timeout_(timeout_s) {}
  // A new connection (the host side restarted): fresh framing, a new Hello.
  void replace(UniqueFd fd) {
    fd_ = std::move(fd);
    dec_ = FrameDecoder();
    hello_.reset();
  }
  int fd() const { return fd_.get(); }
  std::map<uint32_t, StreamState> streams;

  Result<void> send(Frame t, uint32_t stream, std::string_view payload) {
    return write_frame(fd_.get(), t, stream, payload);
  }

  // Reads and dispatches frames until `done` holds; Unavailable on EOF or at the deadline.
  Result<void> pump(const std::function<bool()>& done, int timeout_s = 0) {
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s ? timeout_s : timeout_);
    while (!done()) {
      auto f = dec_.next();
      if (!f) return std::unexpected(f.error());
      if (*f) {
        dispatch(std::move(**f));
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return fail(Errc::Unavailable, "timed out waiting for the agent");
      pollfd p{fd_.get(), POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(left));
      if (n < 0 && errno != EINTR) return fail_errno("poll");
      if (n <= 0) continue;
      char buf[65536];
      ssize_t r = ::read(fd_.get(), buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      // A reset (QEMU killed with data in flight) ends the channel like EOF.
      if (r < 0) return fail(Errc::Unavailable, std::string("the agent's channel failed: ") + std::strerror(errno));
      if (r == 0) return fail(Errc::Unavailable, "the agent's channel closed");
      dec_.feed(std::string_view(buf, static_cast<size_t>(r)));
    }
    return {};
  }

  Result<Reply> request(const std::string& op, json args, int timeout_s = 0) {
    uint64_t id = next_id_++;
    Request r{id, op, std::move(args)};
    TRYV(send(Frame::Request, kControlStream, dump_json(r.to_json())));
    TRYV(pump([&] { return replies_.count(id) > 0; }, timeout_s));
    Reply rep = replies_[id];
    replies_.erase(id);
    return rep;
  }
  uint64_t send_request(const std::string& op, json args) {
    uint64_t id = next_id_++;
    (void)send(Frame::Request, kControlStream, dump_json(Request{id, op, std::move(args)}.to_json()));
    return id;
  }
  bool has_reply(uint64_t id) const { return replies_.count(id) > 0; }
  Reply take_reply(uint64_t id) {
    Reply r = replies_[id];
    replies_.erase(id);
    return r;
  }

  Result<Hello> hello_reply() {
    TRYV(pump([&] { return hello_.has_value(); }));
    return *hello_;
  }

 private:
  void dispatch(FrameData f) {
    auto& s = streams[f.stream];
    switch (f.type) {
      case Frame::Hello: hello_ = parse_message<Hello>(f.payload, "hello").value_or(Hello{}); break;
      case Frame::Reply:
        if (auto r = parse_message<Reply>(f.payload, "reply")) replies_[r->id] = *r;
        break;
      case Frame::Stdout: s.out += f.payload; break;
      case Frame::Stderr: s.err += f.payload; break;
      case Frame::StdoutEof: s.out_eof = true; break;
      case Frame::StderrEof: s.err_eof = true; break;
      case Frame::Exited:
        if (!s.out_eof || !s.err_eof) s.eof_before_exit = false;
        s.exited = parse_message<ExitStatus>(f.payload, "exit").value_or(ExitStatus{-1, 0, false});
        break;
      default: break;
    }
  }
  UniqueFd fd_;
  int timeout_;
  FrameDecoder dec_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Reply> replies_;
  std::optional<Hello> hello_;
};

Result<UniqueFd> connect_socket(const std::string& path, int timeout_s) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (Clock::now() > deadline) return fail_errno("connecting to " + path);
    // QEMU creates the socket as it starts: wait for the file, bounded.
    ::usleep(20000);
  }
}

json base_config(const Options& o, std::vector<std::string> args, bool tty) {
  json c = json::parse(runtime::default_spec_json(false));
  c["root"] = {{"path", o.rootfs}, {"readonly", false}};
  c["process"]["args"] = std::move(args);
  c["process"]["terminal"] = tty;
  c["hostname"] = "vmtest";
  if (!o.volume_guest.empty())
    c["mounts"].push_back({{"destination", "/vol"}, {"type", "bind"}, {"source", o.volume_guest}, {"options", {"rbind", "rw"}}});
  return c;
}

std::string host_kernel() {
  utsname u{};
  ::uname(&u);
  return u.release;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
std::string shown(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 300)) out += (c == '\n') ? std::string("\\n") : (c == '\r' ? std::string("\\r") : std::string(1, c));
  return "\"" + out + "\"";
}

bool reply_ok(const Result<Reply>& r, const std::string& what) {
  if (!r) {
    check(false, what, r.error().str());
    return false;
  }
  if (r->error) {
    check(false, what, r->error->message);
    return false;
  }
  check(true, what);
  return true;
}

Result<void> create_and_start(Client& c, const std::string& id, uint32_t stream, json config, bool stdin_open,
                              std::optional<TtySize> size, std::vector<Share> shares) {
  CreateContainer cc{id, stream, std::move(config), std::move(shares), stdin_open, size};
  auto r = c.request("create", cc.to_json());
  if (!reply_ok(r, "create " + id)) return fail(Errc::Internal, "create failed");
  auto s = c.request("start", ContainerRef{id}.to_json());
  if (!reply_ok(s, "start " + id)) return fail(Errc::Internal, "start failed");
  return {};
}

void wait_exit(Client& c, uint32_t stream, const std::string& what) {
  auto r = c.pump([&] { return c.streams[stream].exited.has_value(); });
  if (!r) check(false, what + ": exits", r.error().str());
}

void run_checks(Client& c, const Options& o, const Hello& hello) {
  std::string hk = host_kernel();
  check(!hello.kernel.empty(), "agent's hello names the guest kernel (" + hello.kernel + ")");
  if (o.expect_other_kernel) check(hello.kernel != hk, "guest kernel differs from the host's (" + hk + ")");

  // --- c1: pipes, stdin, exit code, stderr, volume ------------------------------
  std::string script =
      "echo \"kernel=$(uname -r)\"; echo \"host=$(hostname)\"; echo to-stderr >&2; read line; echo \"got=$line\"; ";
  if (!o.volume_guest.empty()) script += "echo \"vol=$(cat /vol/from-host)\"; echo from-guest > /vol/from-guest; ";
  // The runtime library's defaults hold in the guest: no CAP_SYS_ADMIN (mount fails), and the
  // config's seccomp filter (mkdir denied with EPERM).
  script += "if mount -t tmpfs t /mnt 2>/dev/null; then echo mount=allowed; else echo mount=denied; fi; ";
  script += "if mkdir /tmp/x 2>/dev/null; then echo mkdir=allowed; else echo mkdir=denied; fi; ";
  script += "exit 7";
  json c1cfg = base_config(o, {"/bin/sh", "-c", script}, false);
  c1cfg["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  if (create_and_start(c, "c1", 1, c1cfg, true, std::nullopt, o.shares)) {
    (void)c.send(Frame::Stdin, 1, "hello vm\n");
    (void)c.send(Frame::StdinEof, 1, "");
    uint64_t wid = c.send_request("wait", WaitProcess{1}.to_json());
    wait_exit(c, 1, "c1");
    auto& s = c.streams[1];
    check(s.exited && s.exited->exit_code == 7, "c1 exit code 7", s.exited ? std::to_string(s.exited->exit_code) : "none");
    check(contains(s.out, "kernel=" + hello.kernel + "\n"), "c1 uname -r is the guest's kernel", shown(s.out));
    if (o.expect_other_kernel) check(!contains(s.out, "kernel=" + hk + "\n"), "c1 uname -r is not the host's");
    check(contains(s.out, "host=vmtest\n"), "c1 hostname from the config (UTS namespace)", shown(s.out));
    check(contains(s.out, "got=hello vm\n"), "c1 read its stdin", shown(s.out));
    check(s.err == "to-stderr\n", "c1 stderr relayed apart", shown(s.err));
    check(s.eof_before_exit, "c1 stdout and stderr EOF before Exited");
    check(contains(s.out, "mount=denied\n"), "c1 cannot mount (no CAP_SYS_ADMIN)", shown(s.out));
    check(contains(s.out, "mkdir=denied\n"), "c1's seccomp filter denies mkdir", shown(s.out));
    auto w = c.pump([&] { return c.has_reply(wid); });
    if (w) {
      Reply r = c.take_reply(wid);
      auto st = ExitStatus::from_json(r.result);
      check(!r.error && st && st->exit_code == 7, "wait request answers the exit status");
    } else {
      check(false, "wait request answers the exit status", w.error().str());
    }
    if (!o.volume_guest.empty()) {
      check(contains(s.out, "vol=written on the host\n"), "c1 reads a file the host put in the volume", shown(s.out));
      std::ifstream f(o.volume_host + "/from-guest");
      std::string back((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      check(back == "from-guest\n", "the host sees the file c1 wrote in the volume", shown(back));
    }
  }

  // --- c2: terminal and resize ----------------------------------------------------
  std::vector<Share> none;
  if (create_and_start(c, "c2", 2, base_config(o, {"/bin/sh", "-c", "stty size; read x; stty size; exit 3"}, true), true,
                       TtySize{24, 80}, none)) {
    auto first = c.pump([&] { return contains(c.streams[2].out, "24 80"); });
    check(first.has_value(), "c2 terminal starts at 24x80", shown(c.streams[2].out));
    (void)c.send(Frame::Resize, 2, dump_json(TtySize{50, 132}.to_json()));
    (void)c.send(Frame::Stdin, 2, "go\r");
    wait_exit(c, 2, "c2");
    auto& s = c.streams[2];
    check(contains(s.out, "50 132"), "c2 sees the resize (50x132)", shown(s.out));
    check(s.exited && s.exited->exit_code == 3, "c2 exit code 3 with a terminal");
  }

  // --- c3: exec, stats, pause/resume, a signal -----------------------------------------
  if (create_and_start(c, "c3", 3,
                       base_config(o, {"/bin/sh", "-c", "trap 'echo got-term; exit 42' TERM; echo ready; sleep 1000 & wait"},
                                   false),
                       false, std::nullopt, none)) {
    auto ready = c.pump([&] { return contains(c.streams[3].out, "ready\n"); });
    check(ready.has_value(), "c3 is running", shown(c.streams[3].out));
    json proc = {{"args", {"/bin/sh", "-c", "echo exec-out; echo exec-err >&2; cat /proc/1/cmdline | tr '\\0' ' '; exit 5"}},
                 {"env", {"PATH=/bin:/usr/bin"}},
                 {"cwd", "/"},
                 {"user", {{"uid", 0}, {"gid", 0}}},
                 {"terminal", false}};
    auto e = c.request("exec", ExecProcess{"c3", 4, proc, false, std::nullopt}.to_json());
    if (reply_ok(e, "exec in c3")) {
      wait_exit(c, 4, "exec");
      auto& s = c.streams[4];
      check(s.exited && s.exited->exit_code == 5, "exec exit code 5");
      check(contains(s.out, "exec-out\n") && contains(s.out, "/bin/sh -c trap"), "exec runs in c3's pid namespace",
            shown(s.out));
      check(s.err == "exec-err\n", "exec stderr", shown(s.err));
    }
    json tproc = proc;
    tproc["args"] = {"/bin/sh", "-c", "tty; stty size; exit 6"};
    tproc["terminal"] = true;
    auto te = c.request("exec", ExecProcess{"c3", 8, tproc, true, TtySize{30, 90}}.to_json());
    if (reply_ok(te, "exec with a terminal in c3")) {
      wait_exit(c, 8, "exec -t");
      auto& s = c.streams[8];
      check(contains(s.out, "/dev/pts/") && contains(s.out, "30 90"), "exec -t has a pty of 30x90", shown(s.out));
      check(s.exited && s.exited->exit_code == 6, "exec -t exit code 6");
    }
    auto st = c.request("stats", ContainerRef{"c3"}.to_json());
    if (reply_ok(st, "stats of c3")) {
      auto s = ContainerStats::from_json(st->result);
      check(s && s->memory_usage > 0 && s->pids_current >= 2 && s->guest_mem_total > 0 && s->online_cpus >= 1,
            "stats: memory " + std::to_string(s ? s->memory_usage : 0) + " B, pids " +
                std::to_string(s ? s->pids_current : 0) + ", guest memory " + std::to_string(s ? s->guest_mem_total : 0) + " B");
    }
    reply_ok(c.request("pause", ContainerRef{"c3"}.to_json()), "pause c3");
    reply_ok(c.request("resume", ContainerRef{"c3"}.to_json()), "resume c3");
    reply_ok(c.request("signal", SignalProcess{3, SIGTERM, false}.to_json()), "signal TERM to c3");
    wait_exit(c, 3, "c3");
    auto& s = c.streams[3];
    check(contains(s.out, "got-term\n"), "c3 trapped the signal", shown(s.out));
    check(s.exited && s.exited->exit_code == 42, "c3 exit code 42 after SIGTERM");
  }

  // --- the guest's NIC, and a container in the guest's network namespace ------------------
  if (!o.nic_mac.empty()) {
    Interface nic{o.nic_mac, {o.nic_cidr}, 1500};
    reply_ok(c.request("network", NetworkConfig{{nic}, {Route{"0.0.0.0/0", o.nic_gateway}}}.to_json()),
             "network: " + o.nic_cidr + " via " + o.nic_gateway + " on " + o.nic_mac);
    json cfg = base_config(o, {"/bin/sh", "-c", "ip -o -4 addr show; ip route show; ping -c 1 -W 10 " + o.nic_gateway}, false);
    auto& ns = cfg["linux"]["namespaces"];
    for (size_t i = 0; i < ns.size(); ++i)
      if (ns[i].value("type", "") == "network") ns.erase(i--);
    for (const char* set : {"bounding", "effective", "permitted"}) cfg["process"]["capabilities"][set].push_back("CAP_NET_RAW");
    if (create_and_start(c, "c5", 6, cfg, false, std::nullopt, {})) {
      wait_exit(c, 6, "c5");
      auto& s = c.streams[6];
      check(contains(s.out, "inet " + o.nic_cidr), "c5 sees the NIC's address " + o.nic_cidr, shown(s.out));
      check(contains(s.out, "default via " + o.nic_gateway), "c5 sees the default route", shown(s.out));
      check(s.exited && s.exited->exit_code == 0, "c5 pings the host end of the tap (" + o.nic_gateway + ")",
            shown(s.out + s.err));
      reply_ok(c.request("delete", ContainerRef{"c5"}.to_json()), "delete c5");
    }
  }

  // --- the host goes away and comes back: the container keeps running -------------------------
  // (After an exec: the agent's own pid namespace must be intact for this create.)
  if (create_and_start(c, "c6", 7, base_config(o, {"/bin/sh", "-c", "echo started; exec sleep 1000"}, false), false,
                       std::nullopt, {})) {
    auto started = c.pump([&] { return contains(c.streams[7].out, "started\n"); });
    check(started.has_value(), "c6 is running");
    if (o.socket.empty()) {
      reply_ok(c.request("signal", SignalProcess{7, SIGKILL, false}.to_json()), "signal KILL to c6");
      wait_exit(c, 7, "c6");
      auto& s = c.streams[7];
      check(s.exited && s.exited->exit_code == 137 && s.exited->signal == SIGKILL, "c6 exit status 137 (SIGKILL)");
      reply_ok(c.request("delete", ContainerRef{"c6"}.to_json()), "delete c6");
    } else {
      auto fd = connect_socket(o.socket, 30);
      if (fd) {
        c.replace(std::move(*fd));  // the old connection closes here
        Hello mine;
        mine.software = "vm-agent-driver (reconnected)";
        (void)c.send(Frame::Hello, kControlStream, dump_json(mine.to_json()));
        auto h = c.hello_reply();
        check(h.has_value(), "the agent answers a new connection's hello", h ? "" : h.error().str());
        reply_ok(c.request("signal", SignalProcess{7, SIGKILL, false}.to_json()), "signal KILL to c6 after reconnecting");
        wait_exit(c, 7, "c6");
        auto& s = c.streams[7];
        check(s.exited && s.exited->exit_code == 137 && s.exited->signal == SIGKILL, "c6 exit status 137 (SIGKILL)");
        reply_ok(c.request("delete", ContainerRef{"c6"}.to_json()), "delete c6");
      } else {
        check(false, "reconnect", fd.error().str());
      }
    }
  }

  // --- errors -------------------------------------------------------------------------------
  auto bad = c.request("exec", json{{"container", "c3"}, {"stream", 9}, {"process", {{"args", json::array()}}}});
  check(bad && bad->error && bad->error->code == Errc::InvalidArgument, "exec without args is refused (InvalidArgument)");
  auto missing = c.request("delete", ContainerRef{"nope"}.to_json());
  check(missing && missing->error && missing->error->code == Errc::NotFound, "delete of an unknown container: NotFound");
  auto unknown = c.request("frobnicate", json::object());
  check(unknown && unknown->error && unknown->error->code == Errc::Unsupported, "an unknown request: Unsupported");
  for (const char* id : {"c1", "c2", "c3"}) reply_ok(c.request("delete", ContainerRef{id}.to_json()), std::string("delete ") + id);
}

void crash_test(Client& c, const Options& o) {
  std::vector<Share> shares = o.shares;
  if (!create_and_start(c, "c4", 5, base_config(o, {"/bin/sleep", "1000"}, false), false, std::nullopt, shares)) return;
  uint64_t wid = c.send_request("wait", WaitProcess{5}.to_json());
  std::ifstream f(o.crash_pidfile);
  pid_t qemu = 0;
  f >> qemu;
  auto t0 = Clock::now();
  if (qemu <= 1 || ::kill(qemu, SIGKILL) != 0) {
    check(false, "kill -9 qemu", "no pid in " + o.crash_pidfile);
    return;
  }
  check(true, "kill -9 qemu (pid " + std::to_string(qemu) + ")");
  auto r = c.pump([&] { return c.has_reply(wid); }, 30);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  check(!r && r.error().code == Errc::Unavailable && !contains(r.error().message, "timed out"),
        "a pending wait fails when qemu dies (" + (r ? std::string("got a reply") : r.error().message) + ", after " +
            std::to_string(s).substr(0, 5) + " s)");
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  for (std::string part; std::getline(ss, part, ',');) out.push_back(part);
  return out;
}

int usage() {
  std::fprintf(stderr,
               "usage: vm-agent-driver (--socket PATH | --spawn-agent AGENT) --rootfs GUESTPATH [--share TAG:TARGET]...\n"
               "         [--volume GUESTPATH=HOSTDIR] [--network MAC,CIDR,GW] [--expect-other-kernel] [--crash-test QEMU_PIDFILE] [--timeout S]\n"
               "         [--boot-only [--qemu-pidfile QEMU_PIDFILE]]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--socket") o.socket = val();
    else if (a == "--spawn-agent") o.spawn_agent = val();
    else if (a == "--rootfs") o.rootfs = val();
    else if (a == "--share") {
      std::string v = val();
      auto colon = v.find(':');
      if (colon == std::string::npos) return usage();
      o.shares.push_back(Share{v.substr(0, colon), "virtiofs", v.substr(colon + 1), false});
    } else if (a == "--volume") {
      std::string v = val();
      auto eq = v.find('=');
      if (eq == std::string::npos) return usage();
      o.volume_guest = v.substr(0, eq);
      o.volume_host = v.substr(eq + 1);
    } else if (a == "--expect-other-kernel") o.expect_other_kernel = true;
    else if (a == "--network") {
      auto parts = split_commas(val());
      if (parts.size() != 3) return usage();
      o.nic_mac = parts[0];
      o.nic_cidr = parts[1];
      o.nic_gateway = parts[2];
    }
    else if (a == "--crash-test") o.crash_pidfile = val();
    else if (a == "--boot-only") o.boot_only = true;
    else if (a == "--qemu-pidfile") o.qemu_pidfile = val();
    else if (a == "--timeout") o.timeout_s = std::atoi(val().c_str());
    else return usage();
  }
  if ((o.rootfs.empty() && !o.boot_only) || (o.socket.empty() == o.spawn_agent.empty())) return usage();

  UniqueFd fd;
  pid_t agent = 0;
  std::string agent_state = "/run/berth-vm-driver-" + std::to_string(::getpid());
  if (!o.socket.empty()) {
    auto c = connect_socket(o.socket, 30);
    if (!c) {
      std::printf("not ok - connect: %s\n0 passed, 1 failed\n", c.error().str().c_str());
      return 1;
    }
    fd = std::move(*c);
  } else {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 1;
    agent = ::fork();
    if (agent == 0) {
      ::dup2(sv[1], 3);
      ::execl(o.spawn_agent.c_str(), o.spawn_agent.c_str(), "--channel-fd", "3", "--runtime-root",
              (agent_state + "/runtime").c_str(), "--state-root", (agent_state + "/state").c_str(), nullptr);
      ::_exit(127);
    }
    ::close(sv[1]);
    fd.reset(sv[0]);
  }
  Client c(std::move(fd), o.timeout_s);
  auto t0 = Clock::now();
  Hello mine;
  mine.software = "vm-agent-driver";
  if (auto r = c.send(Frame::Hello, kControlStream, dump_json(mine.to_json())); !r) {
    check(false, "send hello", r.error().str());
  } else if (auto h = c.hello_reply(); !h) {
    check(false, "agent answers hello", h.error().str());
  } else {
    auto v = negotiate(mine, *h);
    check(v.has_value(), "hello from " + h->software + " after " +
                             std::to_string(std::chrono::duration<double>(Clock::now() - t0).count()).substr(0, 5) +
                             " s, protocol version " + std::to_string(v.value_or(0)));
    if (!o.crash_pidfile.empty()) {
      crash_test(c, o);
    } else {
      if (!o.boot_only) run_checks(c, o, *h);
      if (!o.qemu_pidfile.empty()) {
        // QEMU's proportional set size with the guest idle at the agent's loop.
        std::ifstream pf(o.qemu_pidfile);
        pid_t qemu = 0;
        pf >> qemu;
        std::ifstream sm("/proc/" + std::to_string(qemu) + "/smaps_rollup");
        std::string line;
        while (std::getline(sm, line))
          if (line.rfind("Pss:", 0) == 0) std::printf("# qemu %s\n", line.c_str());
      }
      auto r = c.request("shutdown", json::object());
      reply_ok(r, "shutdown");
      auto eof = c.pump([] { return false; }, 60);
      check(!eof && contains(eof.error().message, "closed"), "the channel closes after shutdown",
            eof ? "" : eof.error().message);
    }
  }
  if (agent > 0) {
    int st = 0;
    ::waitpid(agent, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the agent exited 0");
    // Deleted containers leave empty state directories only.
    std::error_code ec;
    std::filesystem::remove_all(agent_state, ec);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
