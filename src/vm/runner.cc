#include "vm/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "sys/fdpass.h"
#include "vm/accel.h"
#include "vm/guest_config.h"
#include "vm/guest_nic.h"
#include "vm/machine.h"
#include "vm/pod_keeper.h"
#include "vm/pod_mux.h"
#include "vm/pod_plan.h"
#include "vm/pool_share.h"
#include "vm/pty.h"
#include "vm/qmp.h"
#include "vmproto/frame.h"
#include "vmproto/messages.h"

namespace berth::vm {
namespace {

using vmproto::Frame;
using vmproto::FrameData;

constexpr uint32_t kInitStream = 1;
// How long a guest may take from QEMU's start to its agent's Hello: TCG boots
// in about a second here; a guest that never answers must not hang the start.
constexpr int kBootTimeoutMs = 60000;

bool path_is_dir(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// fork + exec with PR_SET_PDEATHSIG: the runner is single-threaded, and its
// children must not outlive it. fds: (our fd, its fd); stderr is `log`.
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::vector<std::pair<int, int>>& fds, int log) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("forking for " + argv[0]);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Move the sources out of the way of the targets first.
    std::vector<int> moved;
    for (auto [from, to] : fds) moved.push_back(::fcntl(from, F_DUPFD_CLOEXEC, 100));
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(log, 2);
    for (size_t i = 0; i < fds.size(); ++i) ::dup2(moved[i], fds[i].second);
    int first_free = 3;
    for (auto [from, to] : fds) first_free = std::max(first_free, to + 1);
    ::close_range(first_free, ~0U, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

Result<UniqueFd> listen_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return fail(Errc::InvalidArgument, "socket path " + path + " is too long");
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("creating a socket");
  ::unlink(path.c_str());
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  mode_t old = ::umask(0077);
  int r = ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r != 0) return fail_errno("binding " + path);
  if (::listen(s.get(), 8) != 0) return fail_errno("listening on " + path);
  return s;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the reader left: output is dropped, as a closed pipe would
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// docker stats' source: the runtime's `events --stats` shape (task/stats.h)
// from the agent's ContainerStats.
nlohmann::json runc_stats(const vmproto::ContainerStats& s) {
  nlohmann::json raw = nlohmann::json::object();
  for (const auto& [k, v] : s.memory_stat) raw[k] = v;
  uint64_t limit = s.memory_limit && s.memory_limit < (1ull << 62) ? s.memory_limit : s.guest_mem_total;
  return {{"cpu", {{"usage", {{"total", s.cpu_usage_ns}, {"user", s.cpu_user_ns}, {"kernel", s.cpu_system_ns}}}}},
          {"memory", {{"usage", {{"usage", s.memory_usage}, {"limit", limit}, {"max", s.memory_max_usage}}}, {"raw", raw}}},
          {"pids", {{"current", s.pids_current}, {"limit", s.pids_limit}}}};
}

class Runner {
 public:
  Runner(const RunnerOptions& o, UniqueFd sigfd) : o_(o), sigfd_(std::move(sigfd)) {}
  ~Runner() { stop_machine(); }

  Result<void> start();
  int loop();
  Result<void> boot(const GuestPlan& plan, GuestNic* nic, const AccelChoice& accel);
  // KVM when it works, else TCG (a probe vCPU can run where a guest fails).
  Result<void> boot_any(const GuestPlan& plan, GuestNic* nic);
  // A VM pod's keeper (runner.h): boot on the pod's network, serve its runners.
  Result<void> pod_keep_start();
  int pod_keep_loop();
  // The pooled VM's keeper (runner.h): boot, report, wait.
  Result<void> keep_start();
  int keep_loop();
  void keeper_cleanup_public() { keeper_cleanup(); }

 private:
  Result<void> make_pty();
  Result<nlohmann::json> call(const std::string& op, nlohmann::json args);
  Result<FrameData> read_agent();
  void handle_frame(const FrameData& f);
  void on_signal();
  void on_control_accept();
  void on_control(int fd);
  void answer(int fd, const Result<nlohmann::json>& r);
  void stop_machine();
  Result<void> adopt_pooled();
  Result<void> join_pod();
  uint32_t alloc_stream();
  void keeper_cleanup();
  std::string log_tail();
  // A short path to a file of the state dir for bind(): /proc/self/fd/N/name.
  std::string in_state_dir(const std::string& name) const {
    return "/proc/self/fd/" + std::to_string(state_dirfd_.get()) + "/" + name;
  }

  const RunnerOptions& o_;
  UniqueFd sigfd_, log_, state_dirfd_, agent_, qmp_fd_, control_, pty_slave_;
  std::optional<Qmp> qmp_;
  pid_t qemu_ = 0;
  std::vector<pid_t> virtiofsd_;
  std::deque<FrameData> early_;  // frames that came while start() waited for a reply
  vmproto::FrameDecoder dec_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::pair<int, std::string>> pending_;  // request id -> control fd, op
  std::vector<UniqueFd> conns_;
  std::map<int, std::string> conn_in_;
  struct ExecConn {
    uint32_t stream = 0;
    bool started = false;
    vmproto::FrameDecoder dec;
  };
  std::map<int, ExecConn> execs_;     // control fd -> its exec (docker exec's runner)
  std::map<uint32_t, int> stream_fd_;  // agent stream -> that control fd
  uint32_t next_stream_ = kInitStream + 1;
  void on_exec_conn(int fd);
  void drop_exec(int fd, bool kill_process);
  int in_fd_ = -1, out_fd_ = 1, err_fd_ = 2;
  std::optional<int> exit_code_;
  bool input_open_ = false;
  // Adopted from a pool's keeper: its connection (held for the VM's life),
  // its network namespace (where the tap waits), the share's host dir, the
  // guest NIC's MAC at boot, what the keeper reported, the tags bound.
  UniqueFd keeper_, tap_netns_;
  std::string pool_dir_, pool_mac_;
  nlohmann::json pool_facts_;
  std::vector<std::string> bound_;
  // A VM pod's container (--pod): the keeper's connection is agent_; this
  // runner's slot numbers its streams and ids (pod_mux.h); gid_ is the
  // container's name in the guest; pod_share_ our dir in the pod's share.
  uint32_t slot_ = 0, init_stream_ = kInitStream;
  std::string gid_ = "c", pod_share_;
  // The pod keeper's: the pod's netns and the addresses its NIC gave the guest.
  std::vector<std::string> pod_addresses_;
  // The keeper's side: berthd's end, the adopter's listening socket and connection.
  UniqueFd pool_listen_, adopter_;
};

// The last lines of a file, for an error that outlives the state dir (a
// failed start's dir is removed).
std::string tail_of(const std::string& path) {
  auto text = read_file(path);
  if (!text || trim(*text).empty()) return "(nothing)";
  std::string_view t = trim(*text);
  if (t.size() > 400) t = t.substr(t.size() - 400);
  return std::string(t);
}

std::string Runner::log_tail() {
  auto text = read_file(o_.state_dir + "/vm.log");
  if (!text) return "";
  std::string_view t = trim(*text);
  if (t.size() > 400) t = t.substr(t.size() - 400);
  return std::string(t);
}

Result<void> Runner::make_pty() {
  pty_slave_ = TRY(pty_for_console(o_.console_socket));
  in_fd_ = out_fd_ = err_fd_ = pty_slave_.get();
  return {};
}

Result<FrameData> Runner::read_agent() {
  while (true) {
    if (auto f = TRY(dec_.next())) return std::move(*f);
    char buf[65536];
    ssize_t n = ::read(agent_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading the agent's channel");
    if (n == 0) return fail(Errc::Unavailable, "the VM stopped (its agent channel closed)");
    dec_.feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

Result<nlohmann::json> Runner::call(const std::string& op, nlohmann::json args) {
  vmproto::Request req{next_id_++, op, std::move(args)};
  TRYV(vmproto::write_frame(agent_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(req.to_json())));
  while (true) {
    auto f = TRY(read_agent());
    if (f.type != Frame::Reply) {
      early_.push_back(std::move(f));
      continue;
    }
    auto reply = TRY(vmproto::Reply::from_json(TRY(vmproto::parse_json(f.payload, "agent reply"))));
    if (reply.id != req.id) continue;  // nothing else is outstanding at start
    if (reply.error) return std::unexpected(reply.error->wrap("the guest agent's " + op));
    return reply.result;
  }
}

// QEMU and virtiofsd started, QMP ready and the agent's Hello read.
Result<void> Runner::boot(const GuestPlan& plan, GuestNic* nic, const AccelChoice& accel) {
  MachineSpec m;
  m.qemu = o_.qemu;
  m.kernel = o_.kernel;
  m.initrd = o_.initrd;
  m.accel = accel.accel;
  m.memory_mib = guest_memory_mib(plan.memory_limit, o_.default_memory_mib);
  m.vcpus = guest_vcpus(plan.cpu_quota, plan.cpu_period, static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN)));
  m.console_log = o_.state_dir + "/console.log";
  if (auto cpuinfo = read_file("/proc/cpuinfo")) m.tsc_khz = host_tsc_khz(*cpuinfo);
  // Reported in inspect (the engine reads vm.json).
  nlohmann::json facts = {{"accel", accel_name(accel.accel)}, {"accel_reason", accel.reason},
                          {"memory_mib", m.memory_mib}, {"vcpus", m.vcpus}, {"kernel", m.kernel}};

  // The children's fds, at fixed numbers in their tables.
  constexpr int kAgentFd = 3, kQmpFd = 4, kTapFd = 5, kStateDirFd = 6;
  int agent_pair[2], qmp_pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent_pair) != 0) return fail_errno("socketpair");
  agent_.reset(agent_pair[0]);
  UniqueFd agent_theirs(agent_pair[1]);
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp_pair) != 0) return fail_errno("socketpair");
  qmp_fd_.reset(qmp_pair[0]);
  UniqueFd qmp_theirs(qmp_pair[1]);
  m.agent_fd = kAgentFd;
  m.qmp_fd = kQmpFd;
  std::vector<std::pair<int, int>> qemu_fds = {{agent_theirs.get(), kAgentFd}, {qmp_theirs.get(), kQmpFd}};
  if (nic) {
    m.tap_fd = kTapFd;
    m.guest_mac = nic->mac;
    qemu_fds.push_back({nic->tap.get(), kTapFd});
  }
  qemu_fds.push_back({state_dirfd_.get(), kStateDirFd});

  for (size_t i = 0; i < plan.shares.size(); ++i) {
    const auto& s = plan.shares[i];
    std::string name = "fs" + std::to_string(i) + ".sock";
    auto listen = TRY(listen_unix(in_state_dir(name)));
    std::string sock = "/proc/self/fd/" + std::to_string(kStateDirFd) + "/" + name;
    VirtiofsdSpec v;
    v.binary = o_.virtiofsd;
    v.source = s.host_dir;
    virtiofsd_.push_back(TRY(spawn(virtiofsd_argv(v), {{listen.get(), 3}}, log_.get())));
    m.shares.push_back({s.tag, s.host_dir, sock, s.readonly});
  }
  TRYV(check_machine(m));
  qemu_ = TRY(spawn(qemu_argv(m), qemu_fds, log_.get()));
  facts["qemu_pid"] = qemu_;
  (void)write_file_atomic(o_.state_dir + "/vm.json", facts.dump(), 0644, false);
  agent_theirs.reset();
  qmp_theirs.reset();
  qmp_.emplace(qmp_fd_.get());
  if (auto h = qmp_->handshake(); !h) return std::unexpected(h.error().wrap("QEMU's monitor (" + log_tail() + ")"));
  // The guest boots; its agent answers the Hello the host sends first.
  pollfd p{agent_.get(), POLLIN, 0};
  vmproto::Hello mine;
  mine.software = "berth-vm-runner";
  TRYV(vmproto::write_frame(agent_.get(), Frame::Hello, vmproto::kControlStream, vmproto::dump_json(mine.to_json())));
  int n;
  do n = ::poll(&p, 1, kBootTimeoutMs);
  while (n < 0 && errno == EINTR);
  if (n == 0) return fail(Errc::Internal, "the VM's agent did not answer within " + std::to_string(kBootTimeoutMs / 1000) +
                                              " s of QEMU's start; the guest's console ended with: " + tail_of(m.console_log));
  auto hello_frame = read_agent();
  if (!hello_frame) {
    std::string tail = log_tail();
    return fail(Errc::Internal, "the VM stopped before its agent answered" + (tail.empty() ? "" : ": " + tail) +
                                    "; the guest's console ended with: " + tail_of(m.console_log));
  }
  if (hello_frame->type != Frame::Hello) return fail(Errc::Internal, "the VM's agent did not start with a Hello");
  auto peer = TRY(vmproto::Hello::from_json(TRY(vmproto::parse_json(hello_frame->payload, "agent hello"))));
  TRYV(vmproto::negotiate(mine, peer));
  facts["guest_kernel"] = peer.kernel;
  (void)write_file_atomic(o_.state_dir + "/vm.json", facts.dump(), 0644, false);
  return {};
}

Result<void> Runner::boot_any(const GuestPlan& plan, GuestNic* nic) {
  auto accel = TRY(choose_accel(o_.accel));
  auto booted = boot(plan, nic, accel);
  if (!booted && accel.accel == Accel::Kvm && o_.accel == "auto") {
    // A /dev/kvm that runs the probe can still fail a real guest (nested
    // virtualisation without the MSRs QEMU sets): TCG then, and say why.
    log::warn("QEMU failed under KVM, starting again under TCG: {}", booted.error().str());
    stop_machine();
    agent_.reset();
    qmp_.reset();
    qmp_fd_.reset();
    dec_ = vmproto::FrameDecoder();
    early_.clear();
    booted = boot(plan, nic, AccelChoice{Accel::Tcg, "software emulation (TCG): QEMU failed under KVM although a probe vCPU ran"});
  }
  return booted;
}

// A pooled VM: the keeper hands over the agent's and QMP's channels (the
// Hello and QMP's handshake are done) and its network namespace.
Result<void> Runner::adopt_pooled() {
  sockaddr_un addr{};
  if (o_.adopt.size() >= sizeof addr.sun_path) return fail(Errc::InvalidArgument, "pool socket path " + o_.adopt + " is too long");
  keeper_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!keeper_) return fail_errno("creating a socket");
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", o_.adopt.c_str());
  if (::connect(keeper_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("reaching the pooled VM at " + o_.adopt);
  auto [payload, fds] = TRY(sys::recv_fds(keeper_.get(), 3));
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (fds.size() != 3 || !j.is_object() || !j.contains("share_dir") || !j["share_dir"].is_string() ||
      !j.contains("mac") || !j["mac"].is_string())
    return fail(Errc::Internal, "the pooled VM's keeper sent a malformed hand-over");
  agent_ = std::move(fds[0]);
  qmp_fd_ = std::move(fds[1]);
  tap_netns_ = std::move(fds[2]);
  qmp_.emplace(qmp_fd_.get());
  pool_dir_ = j["share_dir"].get<std::string>();
  pool_mac_ = j["mac"].get<std::string>();
  pool_facts_ = j.value("facts", nlohmann::json::object());
  pool_facts_["pooled"] = true;
  (void)write_file_atomic(o_.state_dir + "/vm.json", pool_facts_.dump(), 0644, false);
  return {};
}

uint32_t Runner::alloc_stream() {
  if (!slot_) return next_stream_++;
  // A pod runner's streams are slot<<16 | n: n goes round, skipping live ones.
  for (uint32_t tries = 0; tries < 0xffff; ++tries) {
    uint32_t n = next_stream_ & 0xffff;
    next_stream_ = n >= 0xffff ? 2 : n + 1;
    uint32_t s = slot_stream(slot_, n < 2 ? 2 : n);
    if (!stream_fd_.count(s)) return s;
  }
  return slot_stream(slot_, 0xffff);
}

// A VM pod's container: the keeper's greeting (a Hello frame with our slot
// and the pod's share dir); from then on the connection is our agent channel.
Result<void> Runner::join_pod() {
  // Through the socket's directory: a pod dir's path can exceed sun_path.
  auto slash = o_.pod.rfind('/');
  if (slash == std::string::npos) return fail(Errc::InvalidArgument, "pod socket " + o_.pod + " is not an absolute path");
  UniqueFd dir(::open(o_.pod.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno("reaching the pod's VM at " + o_.pod);
  sockaddr_un addr{};
  agent_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!agent_) return fail_errno("creating a socket");
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), o_.pod.substr(slash + 1).c_str());
  if (::connect(agent_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("reaching the pod's VM at " + o_.pod);
  auto hello = TRY(read_agent());
  auto j = vmproto::parse_json(hello.payload, "the pod keeper's greeting");
  if (hello.type != Frame::Hello || !j || !j->is_object() || !j->contains("slot") || !(*j)["slot"].is_number_unsigned() ||
      !j->contains("share_dir") || !(*j)["share_dir"].is_string())
    return fail(Errc::Internal, "the pod's VM keeper sent a malformed greeting");
  if (j->contains("error") && (*j)["error"].is_string()) return fail(Errc::Unavailable, (*j)["error"].get<std::string>());
  uint64_t slot = (*j)["slot"].get<uint64_t>();
  if (slot == 0 || slot > kMaxSlot) return fail(Errc::Unavailable, "the pod's VM has no room for another container");
  slot_ = static_cast<uint32_t>(slot);
  init_stream_ = slot_stream(slot_, 1);
  next_stream_ = 2;
  next_id_ = slot_id(slot_, 1);
  gid_ = o_.id;
  pod_share_ = (*j)["share_dir"].get<std::string>() + "/" + o_.id;
  nlohmann::json facts = j->value("facts", nlohmann::json::object());
  if (!facts.is_object()) facts = nlohmann::json::object();
  facts["pod"] = true;
  facts["pod_keeper_socket"] = o_.pod;
  (void)write_file_atomic(o_.state_dir + "/vm.json", facts.dump(), 0644, false);
  return {};
}

Result<void> Runner::start() {
  // Our own log; the children's stderr. Our stdio is the container's.
  log_.reset(::open((o_.state_dir + "/vm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log_) return fail_errno("opening " + o_.state_dir + "/vm.log");
  log::configure(log_.get(), log::Format::Text, log::Level::Warn);
  auto config = nlohmann::json::parse(TRY(read_file(o_.bundle + "/config.json")), nullptr, false);
  if (config.is_discarded()) return fail(Errc::InvalidArgument, o_.bundle + "/config.json is not JSON");
  if (auto why = vm_refusal(config); !why.empty()) return fail(Errc::InvalidArgument, why);
  bool in_pod = !o_.pod.empty();
  bool adopted = !o_.adopt.empty();
  if (adopted) TRYV(adopt_pooled());
  if (in_pod) {
    TRYV(join_pod());
    if (::mkdir(pod_share_.c_str(), 0700) != 0) return fail_errno("creating " + pod_share_);
  }
  std::string files_dir = in_pod ? pod_share_ + "/" + kFilesTag : adopted ? pool_dir_ + "/" + kFilesTag : o_.state_dir + "/files";
  auto plan = TRY(plan_guest(config, files_dir, path_is_dir));
  if (in_pod) {
    std::string hostname;
    if (auto src = bind_source_of(config, "/etc/hostname"); !src.empty()) hostname = std::string(trim(read_file(src).value_or("")));
    TRYV(plan_for_pod(plan, o_.id, hostname));
    plan.netns_path.clear();  // the pod's NIC is the keeper's
  }
  if (!plan.files.empty()) {
    ::mkdir(files_dir.c_str(), 0700);
    for (const auto& f : plan.files) {
      std::error_code ec;
      std::filesystem::copy_file(f.host_path, files_dir + "/" + f.name, std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) return fail(Errc::Internal, "copying " + f.host_path + " for the VM: " + ec.message());
    }
  }
  std::optional<GuestNic> nic;
  if (!plan.netns_path.empty()) {
    auto n = adopted ? move_pool_tap_to_guest(tap_netns_.get(), plan.netns_path) : move_nic_to_guest(plan.netns_path);
    if (n) nic = std::move(*n);
    else if (n.error().code != Errc::NotFound) return std::unexpected(n.error());
  }
  tap_netns_.reset();
  // Socket paths through a directory fd: a state dir's path can exceed
  // sun_path's 108 bytes. QEMU gets the dir as its fd 6 and connects to
  // /proc/self/fd/6/fsN.sock.
  state_dirfd_.reset(::open(o_.state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state_dirfd_) return fail_errno("opening " + o_.state_dir);
  std::vector<vmproto::Share> shares;
  if (in_pod) {
    // As a pooled VM's, under our own dir of the pod's share (pod_plan.h).
    for (const auto& s : plan.shares) {
      if (s.tag == kFilesTag) continue;
      std::string source = s.host_dir;
      if (!source.empty() && source[0] != '/') source = o_.bundle + "/" + source;
      bound_.push_back(s.tag);
      TRYV(bind_into(pod_share_, s.tag, source, s.readonly));
    }
    // No share of its own to mount: the keeper mounted the pod's at boot.
  } else if (adopted) {
    // Each share a bind mount into the booted VM's one share (pool_share.h).
    for (const auto& s : plan.shares) {
      if (s.tag == kFilesTag) continue;  // already there
      std::string source = s.host_dir;
      if (!source.empty() && source[0] != '/') source = o_.bundle + "/" + source;
      bound_.push_back(s.tag);
      TRYV(bind_into(pool_dir_, s.tag, source, s.readonly));
    }
    vmproto::Share share;
    share.tag = kPoolTag;
    share.target = kPoolGuestDir;
    shares.push_back(share);
  } else {
    for (const auto& s : plan.shares) {
      vmproto::Share share;
      share.tag = s.tag;
      share.target = s.guest_path;
      share.readonly = s.readonly;
      shares.push_back(share);
    }
    TRYV(boot_any(plan, nic ? &*nic : nullptr));
  }
  std::vector<std::string> nic_addresses;
  std::string nic_gateway, nic_mac;
  if (nic) {
    nic_addresses = nic->addresses;
    nic_gateway = nic->gateway;
    nic_mac = nic->mac;
  }
  bool has_nic = nic.has_value();
  nic.reset();  // QEMU holds the tap now

  if (has_nic) {
    vmproto::NetworkConfig net;
    vmproto::Interface itf;
    // A pooled VM's NIC has the MAC it booted with: it takes the container's.
    itf.mac = adopted ? pool_mac_ : nic_mac;
    if (adopted) itf.set_mac = nic_mac;
    itf.mtu = 0;
    // addresses/gateway were read before the veth gave them up
    itf.addresses = nic_addresses;
    net.interfaces.push_back(itf);
    if (!nic_gateway.empty()) net.routes.push_back({"0.0.0.0/0", nic_gateway});
    TRYV(call("network", net.to_json()));
  }
  if (plan.terminal) TRYV(make_pty());
  else in_fd_ = 0;
  input_open_ = o_.open_stdin;

  vmproto::CreateContainer create;
  create.id = gid_;
  create.stream = init_stream_;
  create.config = plan.config;
  create.shares = shares;
  create.stdin_open = o_.open_stdin;
  TRYV(call("create", create.to_json()));
  TRYV(call("start", vmproto::ContainerRef{gid_}.to_json()));

  control_ = TRY(listen_unix(in_state_dir(kControlSocket)));
  return {};
}

// A random locally administered unicast MAC for a pooled VM's NIC (the
// container's replaces it at claim).
std::string random_mac() {
  unsigned char b[6] = {};
  if (::getrandom(b, sizeof b, 0) != sizeof b) {
    uint64_t t = static_cast<uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(::time(nullptr));
    std::memcpy(b, &t, sizeof b);
  }
  b[0] = static_cast<unsigned char>((b[0] & 0xfe) | 0x02);
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return out;
}

Result<void> Runner::keep_start() {
  log_.reset(::open((o_.state_dir + "/vm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log_) return fail_errno("opening " + o_.state_dir + "/vm.log");
  log::configure(log_.get(), log::Format::Text, log::Level::Warn);
  // Alive while locked: berthd sweeps the dirs of keepers that were killed.
  UniqueFd lock(::open((o_.state_dir + "/" + kPoolLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return fail_errno("locking " + o_.state_dir);
  (void)lock.release();  // held until we exit
  // The tap in a network namespace of our own: nothing on the host's, and it
  // goes with QEMU's fd.
  if (::unshare(CLONE_NEWNET) != 0) return fail_errno("making the pooled VM's network namespace");
  pool_dir_ = o_.state_dir + "/" + kPoolShareDir;
  TRYV(make_shared_dir(pool_dir_));
  GuestNic nic;
  nic.tap = TRY(make_pool_tap());
  nic.mac = pool_mac_ = random_mac();
  GuestPlan plan;
  plan.shares.push_back({kPoolTag, pool_dir_, kPoolGuestDir, false});
  state_dirfd_.reset(::open(o_.state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state_dirfd_) return fail_errno("opening " + o_.state_dir);
  TRYV(boot_any(plan, &nic));
  if (auto facts = read_file(o_.state_dir + "/vm.json")) pool_facts_ = nlohmann::json::parse(*facts, nullptr, false);
  if (!pool_facts_.is_object()) pool_facts_ = nlohmann::json::object();
  pool_listen_ = TRY(listen_unix(o_.state_dir + "/" + kPoolSocket));
  return {};
}

// A VM pod's keeper: the VM boots on the pod's network (the CNI's eth0 in
// the pod's held netns, bridged with a tap as for a container's veth) with
// one share for all the pod's containers, and the guest takes eth0's address.
Result<void> Runner::pod_keep_start() {
  log_.reset(::open((o_.state_dir + "/vm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log_) return fail_errno("opening " + o_.state_dir + "/vm.log");
  log::configure(log_.get(), log::Format::Text, log::Level::Warn);
  if (o_.kernel.empty() || o_.initrd.empty())
    return fail(Errc::InvalidArgument, "a VM pod needs --kernel and --initrd (berthd's --vm-kernel and --vm-initrd)");
  // Into the pod's cgroup before QEMU and virtiofsd start: they inherit it.
  if (!o_.pod_cgroup.empty()) TRYV(enter_pod_cgroup(o_.pod_cgroup));
  pool_dir_ = o_.state_dir + "/" + kPoolShareDir;
  TRYV(make_shared_dir(pool_dir_));
  std::optional<GuestNic> nic;
  if (!o_.pod_netns.empty()) {
    auto n = move_nic_to_guest(o_.pod_netns);
    if (n) nic = std::move(*n);
    else if (n.error().code != Errc::NotFound) return std::unexpected(n.error());
  }
  if (nic) pod_addresses_ = nic->addresses;
  GuestPlan plan;
  plan.shares.push_back({kPoolTag, pool_dir_, kPoolGuestDir, false});
  plan.memory_limit = static_cast<int64_t>(o_.default_memory_mib) << 20;
  if (o_.vcpus > 1) {
    plan.cpu_period = 100000;
    plan.cpu_quota = static_cast<int64_t>(o_.vcpus) * 100000;
  }
  state_dirfd_.reset(::open(o_.state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state_dirfd_) return fail_errno("opening " + o_.state_dir);
  TRYV(boot_any(plan, nic ? &*nic : nullptr));
  if (nic) {
    vmproto::NetworkConfig net;
    vmproto::Interface itf;
    itf.mac = nic->mac;
    itf.addresses = nic->addresses;
    net.interfaces.push_back(itf);
    if (!nic->gateway.empty()) net.routes.push_back({"0.0.0.0/0", nic->gateway});
    nic.reset();  // QEMU holds the tap
    TRYV(call("network", net.to_json()));
  }
  // The pod's share, once: each container's dir is under it (pod_plan.h).
  vmproto::Share share;
  share.tag = kPoolTag;
  share.target = kPodGuestDir;
  TRYV(call("mount", share.to_json()));
  if (auto facts = read_file(o_.state_dir + "/vm.json")) pool_facts_ = nlohmann::json::parse(*facts, nullptr, false);
  if (!pool_facts_.is_object()) pool_facts_ = nlohmann::json::object();
  pool_listen_ = TRY(listen_unix(in_state_dir(kPodSocket)));  // a pod dir's path can exceed sun_path
  return {};
}

int Runner::pod_keep_loop() {
  nlohmann::json greeting = {{"software", "berth-vm-runner --pod-vm"},
                             {"share_dir", pool_dir_},
                             {"facts", pool_facts_}};
  PodServer server(agent_.get(), pool_listen_.get(), sigfd_.get(), greeting, [this] {
    int status;
    pid_t pid;
    bool gone = false;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (pid == qemu_) {
        qemu_ = 0;
        gone = true;
        log::error("the pod's QEMU ended: its containers end with it");
      }
    return gone;
  });
  server.run();
  keeper_cleanup();
  return 0;
}

int Runner::keep_loop() {
  UniqueFd daemon(o_.pool_fd);
  while (true) {
    std::vector<pollfd> p = {{sigfd_.get(), POLLIN, 0}};
    if (daemon) p.push_back({daemon.get(), POLLIN, 0});
    if (pool_listen_) p.push_back({pool_listen_.get(), POLLIN, 0});
    if (adopter_) p.push_back({adopter_.get(), POLLIN, 0});
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    bool done = false;
    for (const auto& e : p) {
      if (!e.revents) continue;
      if (e.fd == sigfd_.get()) {
        signalfd_siginfo si{};
        while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
          int sig = static_cast<int>(si.ssi_signo);
          if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) done = true;  // asked to end the VM
          int status;
          pid_t pid;
          while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
            if (pid == qemu_) {
              qemu_ = 0;
              done = true;  // the VM is gone: whoever holds it sees its channel close
            }
        }
      } else if (pool_listen_ && e.fd == pool_listen_.get()) {
        // Accepted before berthd's end is looked at: the claim's runner may
        // connect just before berthd lets go of the claim.
        UniqueFd c(::accept4(pool_listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!c) continue;
        nlohmann::json hand = {{"share_dir", pool_dir_}, {"mac", pool_mac_}, {"facts", pool_facts_}};
        UniqueFd netns(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!netns || !sys::send_fds(c.get(), {agent_.get(), qmp_fd_.get(), netns.get()}, hand.dump())) {
          log::error("handing the pooled VM over failed");
          done = true;
          continue;
        }
        // The runner speaks to the VM now; we keep it alive for as long as
        // the runner holds this connection.
        adopter_ = std::move(c);
        pool_listen_.reset();
        ::unlink((o_.state_dir + "/" + kPoolSocket).c_str());
        agent_.reset();
        qmp_.reset();
        qmp_fd_.reset();
        daemon.reset();
        break;  // the fds polled changed
      } else if (daemon && e.fd == daemon.get()) {
        char buf[64];
        ssize_t n = ::read(daemon.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) done = true;  // berthd stopped, died or let the VM go unclaimed
      } else if (adopter_ && e.fd == adopter_.get()) {
        char buf[64];
        ssize_t n = ::read(adopter_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) done = true;  // the container's runner ended
      }
    }
    if (done) break;
  }
  keeper_cleanup();
  return 0;
}

void Runner::keeper_cleanup() {
  stop_machine();
  if (o_.pod_vm && !o_.pod_netns.empty() && !pod_addresses_.empty())
    if (auto r = give_nic_back(o_.pod_netns, pod_addresses_); !r) log::warn("{}", r.error().str());
  detach_tree(pool_dir_);
  pool_listen_.reset();
  adopter_.reset();
  remove_dir_same_fs(o_.state_dir);
}

void Runner::drop_exec(int fd, bool kill_process) {
  auto it = execs_.find(fd);
  if (it == execs_.end()) return;
  uint32_t stream = it->second.stream;
  if (kill_process && it->second.started) {
    // Its monitor is gone: nothing would report the exit.
    vmproto::Request req{next_id_++, "signal", vmproto::SignalProcess{stream, SIGKILL, false}.to_json()};
    (void)vmproto::write_frame(agent_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(req.to_json()));
  }
  stream_fd_.erase(stream);
  execs_.erase(it);
  conn_in_.erase(fd);
  for (auto c = conns_.begin(); c != conns_.end(); ++c)
    if (c->get() == fd) {
      conns_.erase(c);
      break;
    }
}

// An exec's connection after its start: vmproto frames both ways, its stream
// number rewritten (the exec's runner speaks as if it were stream 1).
void Runner::on_exec_conn(int fd) {
  auto& e = execs_.at(fd);
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) return drop_exec(fd, true);
  e.dec.feed(std::string_view(buf, static_cast<size_t>(n)));
  while (true) {
    auto f = e.dec.next();
    if (!f) return drop_exec(fd, true);
    if (!*f) return;
    auto& frame = **f;
    if (frame.type == Frame::Stdin || frame.type == Frame::StdinEof || frame.type == Frame::Resize) {
      (void)vmproto::write_frame(agent_.get(), frame.type, e.stream, frame.payload);
    } else if (frame.type == Frame::Request) {
      auto j = vmproto::parse_json(frame.payload, "exec request");
      auto req = j ? vmproto::Request::from_json(*j) : std::unexpected(j.error());
      if (!req || req->op != "signal") continue;
      int sig = req->args.is_object() && req->args.contains("signal") && req->args["signal"].is_number_integer()
                    ? req->args["signal"].get<int>() : 0;
      if (sig <= 0) continue;
      vmproto::Request out{next_id_++, "signal", vmproto::SignalProcess{e.stream, sig, false}.to_json()};
      (void)vmproto::write_frame(agent_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(out.to_json()));
    }
  }
}

void Runner::answer(int fd, const Result<nlohmann::json>& r) {
  if (fd < 0) return;
  nlohmann::json j;
  if (r) j = {{"ok", *r}};
  else j = {{"error", r.error().str()}, {"code", errc_code(r.error().code)}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  if (auto e = execs_.find(fd); e != execs_.end()) {
    if (r) {
      e->second.started = true;  // the connection carries its frames from now on
      return;
    }
    return drop_exec(fd, false);
  }
  for (auto it = conns_.begin(); it != conns_.end(); ++it)
    if (it->get() == fd) {
      conn_in_.erase(fd);
      conns_.erase(it);
      break;
    }
}

void Runner::handle_frame(const FrameData& f) {
  if (f.stream != init_stream_ && f.stream != vmproto::kControlStream) {
    auto it = stream_fd_.find(f.stream);
    if (it == stream_fd_.end()) return;
    int fd = it->second;
    if (!vmproto::write_frame(fd, f.type, kInitStream, f.payload)) return drop_exec(fd, true);
    if (f.type == Frame::Exited) drop_exec(fd, false);
    return;
  }
  switch (f.type) {
    case Frame::Stdout:
      if (f.stream == init_stream_) write_all(out_fd_, f.payload);
      return;
    case Frame::Stderr:
      if (f.stream == init_stream_) write_all(err_fd_, f.payload);
      return;
    case Frame::Exited: {
      if (f.stream != init_stream_) return;
      auto j = vmproto::parse_json(f.payload, "exit status");
      auto st = j ? vmproto::ExitStatus::from_json(*j) : std::unexpected(j.error());
      exit_code_ = st ? st->exit_code : 255;
      return;
    }
    case Frame::Reply: {
      auto j = vmproto::parse_json(f.payload, "agent reply");
      auto reply = j ? vmproto::Reply::from_json(*j) : std::unexpected(j.error());
      if (!reply) return;
      auto it = pending_.find(reply->id);
      if (it == pending_.end()) return;
      auto [fd, op] = it->second;
      pending_.erase(it);
      if (reply->error) return answer(fd, std::unexpected(*reply->error));
      if (op == "stats") {
        auto s = vmproto::ContainerStats::from_json(reply->result);
        if (!s) return answer(fd, std::unexpected(s.error()));
        return answer(fd, runc_stats(*s));
      }
      return answer(fd, reply->result);
    }
    default:
      return;
  }
}

void Runner::on_signal() {
  signalfd_siginfo si{};
  while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
    int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) {
      int status;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == qemu_) {
          qemu_ = 0;
          if (!exit_code_) {
            // The guest died under the container: Docker's figure for a killed process.
            std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                  : "exited with status " + std::to_string(WEXITSTATUS(status));
            log::error("QEMU {} before the container's process exited", how);
            exit_code_ = 128 + SIGKILL;
          }
        }
      }
      continue;
    }
    if (sig == SIGWINCH && pty_slave_) {
      winsize ws{};
      if (::ioctl(pty_slave_.get(), TIOCGWINSZ, &ws) == 0) {
        vmproto::TtySize size{ws.ws_row, ws.ws_col};
        (void)vmproto::write_frame(agent_.get(), Frame::Resize, init_stream_, vmproto::dump_json(size.to_json()));
      }
      continue;
    }
    // Any other signal is the container's (docker kill -s, stop's SIGTERM).
    vmproto::SignalProcess s{init_stream_, sig, false};
    vmproto::Request req{next_id_++, "signal", s.to_json()};
    (void)vmproto::write_frame(agent_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(req.to_json()));
  }
}

void Runner::on_control_accept() {
  UniqueFd c(::accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (c) conns_.push_back(std::move(c));
}

void Runner::on_control(int fd) {
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) {
    for (auto& [id, p] : pending_)
      if (p.first == fd) p.first = -1;
    return answer(fd, std::unexpected(Error{Errc::Unavailable, 0, "closed"}));
  }
  auto& in = conn_in_[fd];
  in.append(buf, static_cast<size_t>(n));
  auto nl = in.find('\n');
  if (nl == std::string::npos) return;
  auto j = nlohmann::json::parse(in.substr(0, nl), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("op") || !j["op"].is_string())
    return answer(fd, fail(Errc::InvalidArgument, "a control request is a JSON object with an \"op\""));
  std::string op = j["op"].get<std::string>();
  if ((op == "pause" || op == "resume") && !slot_) {
    auto r = qmp_->execute(op == "pause" ? "stop" : "cont");
    return answer(fd, r ? Result<nlohmann::json>(nlohmann::json()) : std::unexpected(r.error()));
  }
  vmproto::Request req{next_id_++, op, nlohmann::json::object()};
  if (op == "exec") {
    if (!j.contains("process") || !j["process"].is_object())
      return answer(fd, fail(Errc::InvalidArgument, "exec: \"process\" must be an OCI process object"));
    vmproto::ExecProcess e;
    e.container = gid_;
    e.stream = alloc_stream();
    e.process = j["process"];
    e.stdin_open = j.value("stdin", false);
    req.args = e.to_json();
    execs_[fd].stream = e.stream;
    stream_fd_[e.stream] = fd;
  } else if (op == "signal") {
    vmproto::SignalProcess s{init_stream_, j.value("signal", 0), j.value("all", false)};
    req.args = s.to_json();
  } else if (op == "stats" || op == "pause" || op == "resume") {
    // In a pod, pause freezes this container's cgroup in the guest, not the pod's VM.
    req.args = vmproto::ContainerRef{gid_}.to_json();
  } else {
    return answer(fd, fail(Errc::Unsupported, "a VM's runner does not know the request '" + op + "'"));
  }
  if (auto w = vmproto::write_frame(agent_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(req.to_json())); !w)
    return answer(fd, std::unexpected(w.error()));
  pending_[req.id] = {fd, op};
}

int Runner::loop() {
  for (auto& f : early_) handle_frame(f);
  early_.clear();
  while (!exit_code_) {
    std::vector<pollfd> p = {{agent_.get(), POLLIN, 0}, {sigfd_.get(), POLLIN, 0}, {control_.get(), POLLIN, 0}};
    size_t fixed = p.size();
    if (input_open_ && in_fd_ >= 0) p.push_back({in_fd_, POLLIN, 0});
    size_t conns_at = p.size();
    for (auto& c : conns_) p.push_back({c.get(), POLLIN, 0});
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      char buf[65536];
      ssize_t n = ::read(agent_.get(), buf, sizeof buf);
      if (n <= 0 && !(n < 0 && errno == EINTR)) {
        // QEMU is gone (or going): its SIGCHLD sets the exit code.
        if (!exit_code_) {
          int status;
          if (qemu_ && ::waitpid(qemu_, &status, 0) == qemu_) qemu_ = 0;
          log::error("the VM's agent channel closed before the container's process exited");
          exit_code_ = 128 + SIGKILL;
        }
        break;
      }
      if (n > 0) dec_.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (true) {
        auto f = dec_.next();
        if (!f || !*f) break;
        handle_frame(**f);
      }
    }
    if (p[1].revents) on_signal();
    if (p[2].revents) on_control_accept();
    if (fixed < conns_at && p[fixed].revents) {
      char buf[65536];
      ssize_t n = ::read(in_fd_, buf, sizeof buf);
      if (n > 0) {
        (void)vmproto::write_frame(agent_.get(), Frame::Stdin, init_stream_, std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        input_open_ = false;
        (void)vmproto::write_frame(agent_.get(), Frame::StdinEof, init_stream_, "");
      }
    }
    std::vector<int> ready;
    for (size_t i = conns_at; i < p.size(); ++i)
      if (p[i].revents) ready.push_back(p[i].fd);
    for (int fd : ready) {
      auto e = execs_.find(fd);
      if (e != execs_.end() && e->second.started) on_exec_conn(fd);
      else on_control(fd);
    }
  }
  for (auto& [id, pend] : pending_)
    if (pend.first >= 0) answer(pend.first, fail(Errc::Conflict, "the container has exited"));
  stop_machine();
  return *exit_code_;
}

void Runner::stop_machine() {
  if (slot_) {
    // Our binds in the pod's share go before the engine unmounts the rootfs;
    // the keeper kills and deletes the guest's container when we hang up.
    for (auto it = bound_.rbegin(); it != bound_.rend(); ++it) detach_tree(pod_share_ + "/" + *it);
    bound_.clear();
    if (!pod_share_.empty()) remove_dir_same_fs(pod_share_);
    pod_share_.clear();
  }
  if (keeper_) {
    // An adopted VM is the keeper's child: QMP ends it now, the keeper reaps
    // it and cleans its dir; our bind mounts go here, before the engine
    // unmounts the rootfs.
    if (qmp_) (void)qmp_->execute("quit");
    for (auto it = bound_.rbegin(); it != bound_.rend(); ++it) detach_tree(pool_dir_ + "/" + *it);
    bound_.clear();
    keeper_.reset();
  }
  if (qemu_ && qmp_) (void)qmp_->execute("quit");
  if (qemu_) {
    ::kill(qemu_, SIGKILL);
    ::waitpid(qemu_, nullptr, 0);
    qemu_ = 0;
  }
  // virtiofsd ends when QEMU's connection goes; one that did not connect yet would not.
  for (pid_t p : virtiofsd_) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
  virtiofsd_.clear();
  control_.reset();
  ::unlink((o_.state_dir + "/" + kControlSocket).c_str());
}

// docker exec's runner: a connection to the container's runner (its
// control socket), which relays this exec's frames to the agent.
class ExecRunner {
 public:
  ExecRunner(const RunnerOptions& o, UniqueFd sigfd) : o_(o), sigfd_(std::move(sigfd)) {}

  Result<void> start() {
    log_.reset(::open((o_.state_dir + "/vm.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (log_) log::configure(log_.get(), log::Format::Text, log::Level::Warn);
    auto process = nlohmann::json::parse(TRY(read_file(o_.exec_process)), nullptr, false);
    if (process.is_discarded() || !process.is_object()) return fail(Errc::InvalidArgument, o_.exec_process + " is not a JSON object");
    bool terminal = process.value("terminal", false);
    UniqueFd dir(::open(o_.container_state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return fail_errno("opening " + o_.container_state_dir);
    conn_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir.get(), kControlSocket);
    if (::connect(conn_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      return fail(Errc::Conflict, "the container's VM is not running (no runner at " + o_.container_state_dir + ")");
    nlohmann::json req = {{"op", "exec"}, {"process", process}, {"stdin", o_.open_stdin}};
    write_all(conn_.get(), req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    // One line, read a byte at a time: the frames that follow are not ours to eat.
    std::string line;
    char c;
    while (true) {
      ssize_t n = ::read(conn_.get(), &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(Errc::Unavailable, "the container's VM runner closed the connection");
      if (c == '\n') break;
      line.push_back(c);
    }
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(Errc::Internal, "the container's VM runner answered with malformed JSON");
    if (j.contains("error"))
      return fail(errc_from_code(j.value("code", "Internal")),
                  j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump());
    if (terminal) {
      slave_ = TRY(pty_for_console(o_.console_socket));
      in_fd_ = out_fd_ = err_fd_ = slave_.get();
    }
    input_open_ = o_.open_stdin;
    return {};
  }

  int loop() {
    vmproto::FrameDecoder dec;
    while (!exit_code_) {
      std::vector<pollfd> p = {{conn_.get(), POLLIN, 0}, {sigfd_.get(), POLLIN, 0}};
      if (input_open_) p.push_back({in_fd_, POLLIN, 0});
      if (::poll(p.data(), p.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return 255;
      }
      if (p[0].revents) {
        char buf[65536];
        ssize_t n = ::read(conn_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          log::error("the container's VM went away before the exec's process exited");
          return 128 + SIGKILL;
        }
        dec.feed(std::string_view(buf, static_cast<size_t>(n)));
        while (true) {
          auto f = dec.next();
          if (!f || !*f) break;
          auto& frame = **f;
          if (frame.type == Frame::Stdout) write_all(out_fd_, frame.payload);
          else if (frame.type == Frame::Stderr) write_all(err_fd_, frame.payload);
          else if (frame.type == Frame::Exited) {
            auto js = vmproto::parse_json(frame.payload, "exit status");
            auto st = js ? vmproto::ExitStatus::from_json(*js) : std::unexpected(js.error());
            exit_code_ = st ? st->exit_code : 255;
          }
        }
      }
      if (p[1].revents) {
        signalfd_siginfo si{};
        while (::read(sigfd_.get(), &si, sizeof si) == sizeof si) {
          int sig = static_cast<int>(si.ssi_signo);
          if (sig == SIGCHLD) continue;
          if (sig == SIGWINCH && slave_) {
            winsize ws{};
            if (::ioctl(slave_.get(), TIOCGWINSZ, &ws) == 0)
              (void)vmproto::write_frame(conn_.get(), Frame::Resize, kInitStream,
                                         vmproto::dump_json(vmproto::TtySize{ws.ws_row, ws.ws_col}.to_json()));
            continue;
          }
          vmproto::Request req{0, "signal", {{"signal", sig}}};
          (void)vmproto::write_frame(conn_.get(), Frame::Request, vmproto::kControlStream, vmproto::dump_json(req.to_json()));
        }
      }
      if (p.size() > 2 && p[2].revents) {
        char buf[65536];
        ssize_t n = ::read(in_fd_, buf, sizeof buf);
        if (n > 0) (void)vmproto::write_frame(conn_.get(), Frame::Stdin, kInitStream, std::string_view(buf, static_cast<size_t>(n)));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          input_open_ = false;
          (void)vmproto::write_frame(conn_.get(), Frame::StdinEof, kInitStream, "");
        }
      }
    }
    return *exit_code_;
  }

 private:
  const RunnerOptions& o_;
  UniqueFd sigfd_, log_, conn_, slave_;
  int in_fd_ = 0, out_fd_ = 1, err_fd_ = 2;
  bool input_open_ = false;
  std::optional<int> exit_code_;
};

// The keeper's report keeps berthd's fd open: it is the keeper's lifeline.
void report_keep(int fd, const nlohmann::json& j) {
  if (fd >= 0) write_all(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

void report(int fd, const nlohmann::json& j) {
  if (fd < 0) return;
  write_all(fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  ::close(fd);
}

}  // namespace

int run_vm(const RunnerOptions& o) {
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGSEGV);
  sigdelset(&all, SIGBUS);
  sigdelset(&all, SIGFPE);
  sigdelset(&all, SIGILL);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  UniqueFd sigfd(::signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!o.exec_process.empty()) {
    ExecRunner e(o, std::move(sigfd));
    if (auto s = e.start(); !s) {
      log::error("{}", s.error().str());
      report(o.ready_fd, {{"code", errc_code(s.error().code)}, {"message", s.error().str()}});
      return 125;
    }
    report(o.ready_fd, {{"ok", true}});
    return e.loop();
  }
  if (o.pool_vm) {
    // Not berthd's child for long: the runner that adopts the VM outlives
    // berthd (live restore), and nothing in berthd reaps.
    pid_t child = ::fork();
    if (child < 0) return 125;
    if (child > 0) ::_exit(0);
    ::setsid();
    Runner r(o, std::move(sigfd));
    if (auto s = r.keep_start(); !s) {
      log::error("{}", s.error().str());
      report_keep(o.pool_fd, {{"code", errc_code(s.error().code)}, {"message", s.error().str()}});
      r.keeper_cleanup_public();
      return 125;
    }
    report_keep(o.pool_fd, {{"ok", true}, {"pid", ::getpid()}, {"socket", o.state_dir + "/" + kPoolSocket}});
    return r.keep_loop();
  }
  if (o.pod_vm) {
    // Detached as the pool's keeper; a pod's VM outlives berthd (live restore).
    pid_t child = ::fork();
    if (child < 0) return 125;
    if (child > 0) ::_exit(0);
    ::setsid();
    Runner r(o, std::move(sigfd));
    if (auto s = r.pod_keep_start(); !s) {
      log::error("{}", s.error().str());
      // Clean first: berthd removes the VM's cgroup (and what is in it) once it reads the report.
      r.keeper_cleanup_public();
      report(o.pool_fd, {{"code", errc_code(s.error().code)}, {"message", s.error().str()}});
      return 125;
    }
    report(o.pool_fd, {{"ok", true}, {"pid", ::getpid()}, {"socket", o.state_dir + "/" + kPodSocket}});
    return r.pod_keep_loop();
  }
  if (o.bundle.empty() || (o.adopt.empty() && o.pod.empty() && (o.kernel.empty() || o.initrd.empty()))) {
    std::string why = "berth-vm-runner needs --bundle, --kernel and --initrd (berthd's --vm-kernel and --vm-initrd)";
    log::error("{}", why);
    report(o.ready_fd, {{"code", "InvalidArgument"}, {"message", why}});
    return 125;
  }
  Runner r(o, std::move(sigfd));
  if (auto s = r.start(); !s) {
    log::error("{}", s.error().str());
    report(o.ready_fd, {{"code", errc_code(s.error().code)}, {"message", s.error().str()}});
    return 125;
  }
  report(o.ready_fd, {{"ok", true}});
  return r.loop();
}

}  // namespace berth::vm
