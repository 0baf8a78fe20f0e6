// berthd: the daemon. Wires the engine, the API routes and the HTTP server
// together; everything else lives in the modules.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>

#include "base/file.h"
#include "base/log.h"
#include "cri_endpoint.h"
#include "metrics_endpoint.h"
#include "daemon_config.h"
#include "engine/engine.h"
#include "idmap/remap.h"
#include "rootless/boot.h"
#include "rootless/paths.h"
#include "rootless/port_driver.h"
#include "server/routes/routes.h"
#include "sys/proc.h"
#include "sys/run_program.h"
#include "ui/server.h"

using namespace berth;

namespace {

constexpr const char* kVersion = "0.1.0";
server::Server* g_server = nullptr;

void on_signal(int) {
  if (g_server) g_server->stop();  // async-signal-safe
}

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  return std::filesystem::path(buf).parent_path().string();
}

// A helper binary next to berthd (the build tree, /usr/local/bin), else PATH.
std::string find_helper(const std::string& name) {
  std::string here = self_dir() + "/" + name;
  if (::access(here.c_str(), X_OK) == 0) return here;
  std::string sibling = self_dir() + "/../" + name + "/" + name;  // build tree: cmd/<name>/<name>
  if (::access(sibling.c_str(), X_OK) == 0) return std::filesystem::canonical(sibling).string();
  return name;
}

// The microVM guest image (kernel + initramfs.cpio) without --vm-kernel and
// --vm-initrd: installed under PREFIX/share/berth/vm, or a build tree's vm/.
std::string find_vm_image_dir() {
  for (const std::string& dir : {self_dir() + "/../share/berth/vm", self_dir() + "/../../vm"}) {
    if (::access((dir + "/kernel").c_str(), R_OK) == 0 && ::access((dir + "/initramfs.cpio").c_str(), R_OK) == 0)
      return std::filesystem::canonical(dir).string();
  }
  return "";
}

Result<void> write_pidfile(const std::string& path) {
  if (auto old = read_file(path)) {
    pid_t pid = static_cast<pid_t>(std::atol(old->c_str()));
    if (pid > 0 && ::kill(pid, 0) == 0 && pid != ::getpid())
      return fail(Errc::AlreadyExists, "pid file found, ensure berthd is not running or delete " + path);
  }
  return write_file_atomic(path, std::to_string(::getpid()) + "\n");
}

int notify(int fd, const std::string& line) {
  if (fd < 0) return 0;
  std::string l = line + "\n";
  (void)!::write(fd, l.data(), l.size());
  ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  berthd::DaemonConfig cfg;
  // Started by another user than root: rootless mode, with its own places.
  cfg.rootless = ::geteuid() != 0;
  auto rootless_paths = rootless::default_paths(std::getenv);
  if (cfg.rootless && rootless_paths) {
    cfg.data_root = rootless_paths->data_root;
    cfg.exec_root = rootless_paths->exec_root;
    cfg.config_file = rootless_paths->config_file;
    cfg.cri = false;  // the CRI's pods need CNI plugins run as root
    cfg.group.clear();
  }
  int notify_fd = -1;
  std::string shim_path, init_path, vm_runner_path;
  engine::EngineConfig vmcfg;
  CLI::App app{"berthd: the berth container engine's daemon (Docker Engine API on a UNIX socket)", "berthd"};
  app.set_version_flag("-v,--version", std::string("berthd version ") + kVersion);
  app.add_option("--data-root", cfg.data_root, "Root directory of persistent state")->capture_default_str();
  app.add_option("--exec-root", cfg.exec_root, "Root directory for execution state files")->capture_default_str();
  app.add_option("-H,--host", cfg.hosts, "Daemon socket(s) to listen on (unix:///path or tcp://host:port)");
  app.add_option("-p,--pidfile", cfg.pidfile, "Path to use for the daemon PID file (default <exec-root>/berthd.pid)");
  app.add_option("-l,--log-level", cfg.log_level, "Logging level (debug, info, warn, error)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "fatal"}));
  app.add_flag("-D,--debug", cfg.debug, "Enable debug mode");
  app.add_option("-G,--group", cfg.group, "Group owning the API socket")->capture_default_str();
  auto* cf = app.add_option("--config-file", cfg.config_file, "Daemon configuration file")->capture_default_str();
  app.add_option("--cgroup-parent", cfg.cgroup_parent, "Parent cgroup for all containers")->capture_default_str();
  app.add_option("-b,--bridge", cfg.bridge, "The default network's bridge device")->capture_default_str();
  app.add_option("--bip", cfg.bip, "The default network's bridge address (CIDR); chosen when empty");
  app.add_option("--host-gateway-ip", cfg.host_gateway_ip,
                 "The address --add-host NAME:host-gateway gives (default: the default bridge's address)");
  app.add_option("--insecure-registry", cfg.insecure_registries,
                 "A registry (host:port or CIDR) reached without TLS verification or over http");
  app.add_option("--registry-mirror", cfg.registry_mirrors, "A Docker Hub mirror (http(s)://host[:port][/path]), tried first");
  app.add_option("--registry-config-dir", cfg.registry_config_dir,
                 "A directory of HOST/hosts.toml (containerd's layout) for any registry, read before /etc/berth/certs.d");
  app.add_option("--max-concurrent-downloads", cfg.max_concurrent_downloads, "Layers a pull downloads at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--push-compression-threads", cfg.push_compression_threads,
                 "Threads that gzip one plain layer a push sends (0: the cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  app.add_option("--firewall-table", cfg.firewall_table, "berthd's own nftables table (ip family)")
      ->capture_default_str();
  app.add_option("--cri", cfg.cri, "Serve the Kubernetes CRI (--cri=false: off)")->capture_default_str();
  app.add_option("--cri-socket", cfg.cri_socket, "The CRI's UNIX socket (default <exec-root>/cri.sock)");
  app.add_option("--cni-conf-dir", cfg.cni_conf_dir, "CNI network configurations of pods")->capture_default_str();
  app.add_option("--cni-bin-dir", cfg.cni_bin_dirs, "A directory of CNI plugins (repeat for more)");
  app.add_option("--cni-cache-dir", cfg.cni_cache_dir, "CNI results of running pods (default <data-root>/cni/results)");
  app.add_option("--cri-stream-address", cfg.cri_stream_address, "Address of the CRI streaming server (exec, attach, port-forward)")
      ->capture_default_str();
  app.add_option("--cri-stream-port", cfg.cri_stream_port, "Port of the CRI streaming server (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--userns-remap", cfg.userns_remap,
                 "User/Group setting for user namespaces (default, USER or USER:GROUP)");
  bool rootless_flag = false;
  int rootless_mtu = 1500;
  app.add_flag("--rootless", rootless_flag,
               "Run rootless (implied when started by a user other than root; see docs/rootless.md)");
  app.add_option("--rootless-network", cfg.rootless_network,
                 "Rootless: the user-mode network stack (auto, pasta or slirp4netns)")
      ->capture_default_str();
  app.add_option("--rootless-allow-host-loopback", cfg.rootless_host_loopback,
                 "Rootless: containers reach the host's 127.0.0.1 through the gateway address")
      ->capture_default_str();
  app.add_option("--ui-addr", cfg.ui_addr, "Serve the web dashboard on this HOST:PORT (off when empty; loopback unless TLS)");
  app.add_option("--ui-tls-cert", cfg.ui_tls_cert, "The dashboard's TLS certificate (PEM); needed for a non-loopback --ui-addr");
  app.add_option("--ui-tls-key", cfg.ui_tls_key, "The dashboard's TLS private key (PEM)");
  app.add_option("--metrics-addr", cfg.metrics_addr,
                 "Serve Prometheus metrics at http://ADDR/metrics (host:port; off when empty)");
  app.add_option("--notify-fd", notify_fd, "Write READY (or an error) to this fd once listening");
  app.add_option("--shim-path", shim_path, "The berth-shim binary (default: next to berthd)");
  app.add_option("--init-path", init_path, "The berth-init binary for --init (default: next to berthd)");
  app.add_option("--vm-runner-path", vm_runner_path, "berth-vm-runner for the berth-vm runtime (default: next to berthd)");
  app.add_option("--vm-kernel", vmcfg.vm_kernel, "The microVM guest kernel (berth-vm)")->capture_default_str();
  app.add_option("--vm-initrd", vmcfg.vm_initrd, "The microVM guest initramfs holding berth-vm-agent")->capture_default_str();
  app.add_option("--vm-accel", vmcfg.vm_accel, "auto (KVM when it runs a vCPU, else TCG), kvm or tcg")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  app.add_option("--vm-memory", vmcfg.vm_memory_mib, "A microVM's memory in MiB without --memory")
      ->capture_default_str()
      ->check(CLI::Range(64, 1 << 20));
  app.add_option("--vm-pool", cfg.vm_pool, "Booted microVMs of the default size kept ready for berth-vm (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  app.add_option("--default-runtime", vmcfg.default_runtime, "berth (namespaces) or berth-vm (vm): runtime without --runtime");
  CLI11_PARSE(app, argc, argv);
  cfg.config_file_given = cf->count() > 0;

  std::vector<std::string> flags;
  for (const char* key : {"data-root", "exec-root", "host", "pidfile", "log-level", "debug", "group", "cgroup-parent",
                          "bridge", "bip", "host-gateway-ip", "insecure-registry", "registry-mirror", "registry-config-dir",
                          "max-concurrent-downloads", "push-compression-threads", "cri", "cri-socket", "cni-conf-dir",
                          "cni-bin-dir", "cni-cache-dir", "cri-stream-address", "cri-stream-port", "ui-addr",
                          "ui-tls-cert", "ui-tls-key", "userns-remap", "rootless-network",
                          "rootless-allow-host-loopback", "metrics-addr", "vm-pool"}) {
    if (app.get_option("--" + std::string(key))->count() == 0) continue;
    std::string k = key;
    // daemon.json's name of a list flag (dockerd's: --registry-mirror / "registry-mirrors").
    if (k == "host") k = "hosts";
    if (k == "insecure-registry") k = "insecure-registries";
    if (k == "registry-mirror") k = "registry-mirrors";
    if (k == "cni-bin-dir") k = "cni-bin-dirs";
    flags.push_back(k);
  }
  auto loaded = berthd::load_daemon_json(cfg, flags);
  if (loaded) loaded = berthd::validate_daemon_config(cfg);
  ui::UiOptions ui_opts{cfg.ui_addr, cfg.ui_tls_cert, cfg.ui_tls_key, ""};
  if (loaded && !cfg.ui_addr.empty()) loaded = ui::validate_options(ui_opts);
  if (auto r = loaded; !r) {
    std::fprintf(stderr, "berthd: %s\n", r.error().str().c_str());
    return notify(notify_fd, "ERROR " + r.error().str()) + 1;
  }
  if (cfg.debug) cfg.log_level = "debug";
  log::Level level = cfg.log_level == "debug" ? log::Level::Debug
                     : cfg.log_level == "warn" ? log::Level::Warn
                     : cfg.log_level == "error" || cfg.log_level == "fatal" ? log::Level::Error
                                                                           : log::Level::Info;
  log::configure(-1, log::Format::Text, level);
  if (rootless_flag && !cfg.rootless) {
    const std::string why = "--rootless: start berthd as the unprivileged user who is to own it, not as root";
    std::fprintf(stderr, "berthd: %s\n", why.c_str());
    return notify(notify_fd, "ERROR " + why) + 1;
  }
  if (cfg.rootless) {
    // Into its own user, mount and network namespaces; the outer process
    // stays behind (it never returns from here) to serve host ports.
    auto entered = [&]() -> Result<rootless::Booted> {  // sets rootless_mtu
      if (!rootless_paths) return std::unexpected(rootless_paths.error());
      rootless::BootOptions bo;
      bo.net = TRY(rootless::choose_netstack(cfg.rootless_network, [](const std::string& prog) {
        return !sys::find_program(prog).empty();
      }));
      bo.host_loopback = cfg.rootless_host_loopback;
      rootless_mtu = bo.mtu;
      bo.runtime_dir = cfg.exec_root;
      return rootless::enter_namespaces(bo);
    }();
    if (!entered) {
      std::fprintf(stderr, "berthd: %s\n", entered.error().str().c_str());
      return notify(notify_fd, "ERROR " + entered.error().str()) + 1;
    }
    rootless::install_port_exporter(std::move(entered->port_sock));
    if (cfg.hosts.empty()) cfg.hosts.push_back(rootless_paths->socket);
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "berthd: must run as root (it creates namespaces, cgroups and mounts)\n");
    return notify(notify_fd, "ERROR berthd must run as root") + 1;
  }
  if (cfg.bridge == "none") {
    // dockerd's "no default bridge network"; without this check a link named
    // "none" would be made. Refused until berthd can run without one.
    const std::string why = "--bridge none (no default bridge network) is not supported yet: give a bridge name";
    std::fprintf(stderr, "berthd: %s\n", why.c_str());
    return notify(notify_fd, "ERROR " + why) + 1;
  }
  if (cfg.hosts.empty()) cfg.hosts.push_back("unix://" + cfg.exec_root + "/berth.sock");
  if (cfg.pidfile.empty()) cfg.pidfile = cfg.exec_root + "/berthd.pid";
  if (cfg.cri_socket.empty()) cfg.cri_socket = cfg.exec_root + "/cri.sock";
  ::umask(022);
  // One thread per connection would otherwise get glibc a malloc arena each:
  // 50 concurrent `run`s grew berthd past 100 MB of mostly free arenas.
  mallopt(M_ARENA_MAX, 2);
  ::signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(cfg.exec_root, ec);
  if (auto r = write_pidfile(cfg.pidfile); !r) {
    log::error("{}", r.error().str());
    return notify(notify_fd, "ERROR " + r.error().str()) + 1;
  }

  engine::EngineConfig ecfg;
  ecfg.data_root = cfg.data_root;
  ecfg.exec_root = cfg.exec_root;
  ecfg.shim_path = shim_path.empty() ? find_helper("berth-shim") : shim_path;
  ecfg.init_path = init_path.empty() ? find_helper("berth-init") : init_path;
  ecfg.vm_runner_path = vm_runner_path.empty() ? find_helper("berth-vm-runner") : vm_runner_path;
  ecfg.vm_kernel = vmcfg.vm_kernel;
  ecfg.vm_initrd = vmcfg.vm_initrd;
  if (ecfg.vm_kernel.empty() || ecfg.vm_initrd.empty()) {
    std::string dir = find_vm_image_dir();
    if (!dir.empty()) {
      if (ecfg.vm_kernel.empty()) ecfg.vm_kernel = dir + "/kernel";
      if (ecfg.vm_initrd.empty()) ecfg.vm_initrd = dir + "/initramfs.cpio";
    }
  }
  ecfg.vm_accel = vmcfg.vm_accel;
  ecfg.vm_memory_mib = vmcfg.vm_memory_mib;
  ecfg.vm_pool = cfg.vm_pool;
  ecfg.default_runtime = vmcfg.default_runtime.empty() ? cfg.default_runtime : vmcfg.default_runtime;
  ecfg.cgroup_parent = cfg.cgroup_parent;
  ecfg.log_driver = cfg.log_driver;
  ecfg.log_options = cfg.log_opts;
  ecfg.bridge = cfg.bridge;
  ecfg.bip = cfg.bip;
  ecfg.host_gateway_ip = cfg.host_gateway_ip;
  ecfg.firewall_table = cfg.firewall_table;
  if (cfg.rootless) {
    ecfg.claim_dir = cfg.exec_root + "/locks";
    // As Docker rootless: the bridges take the user-mode stack's MTU, so a
    // container's segments cross pasta/slirp4netns whole (1500 cost 2-4x).
    ecfg.mtu = rootless_mtu;
  }
  ecfg.insecure_registries = cfg.insecure_registries;
  ecfg.registry_mirrors = cfg.registry_mirrors;
  if (!cfg.registry_config_dir.empty()) {
    // Its HOST directories hold hosts.toml and, as certs.d's do, the registry's certificates.
    ecfg.registry_config_dirs.insert(ecfg.registry_config_dirs.begin(), cfg.registry_config_dir);
    ecfg.registry_certs_dirs.insert(ecfg.registry_certs_dirs.begin(), cfg.registry_config_dir);
  }
  ecfg.max_concurrent_downloads = cfg.max_concurrent_downloads;
  ecfg.push_compression_threads = cfg.push_compression_threads;
  if (!cfg.userns_remap.empty()) {
    auto remap = idmap::resolve_remap(cfg.userns_remap, idmap::system_remap_files());
    if (!remap) {
      log::error("{}", remap.error().str());
      ::unlink(cfg.pidfile.c_str());
      return notify(notify_fd, "ERROR " + remap.error().str()) + 1;
    }
    log::info("userns-remap: containers' root is {}:{} ({}:{}) on the host", remap->root_uid(), remap->root_gid(),
              remap->user, remap->group);
    ecfg.userns_remap = std::move(*remap);
  }
  auto eng = engine::Engine::open(ecfg);
  if (!eng) {
    log::error("starting: {}", eng.error().str());
    ::unlink(cfg.pidfile.c_str());
    return notify(notify_fd, "ERROR " + eng.error().str()) + 1;
  }
  engine::Engine& e = **eng;
  if (auto r = e.restore(); !r) log::warn("restoring containers: {}", r.error().str());

  server::Router router;
  server::SystemInfo info;
  info.version = kVersion;
  info.data_root = cfg.data_root;
  info.exec_root = cfg.exec_root;
  info.debug = cfg.debug;
  info.rootless = cfg.rootless;
  info.insecure_registries = cfg.insecure_registries;
  info.registry_mirrors = cfg.registry_mirrors;
  info.userns_remap = ecfg.userns_remap.has_value();
  server::add_system_routes(router, e.system_backend(), info,
                            {&e.container_backend(), &e.image_backend(), &e.volume_backend(), &e.build_backend()});
  server::add_container_routes(router, e.container_backend());
  server::add_exec_routes(router, e.exec_backend());
  server::add_network_routes(router, e.network_backend());
  server::add_volume_routes(router, e.volume_backend());
  server::add_distribution_routes(router, e.distribution_backend());
  server::add_image_create_route(router, e.image_backend(), e.distribution_backend());
  server::add_image_routes(router, e.image_backend());
  server::add_build_routes(router, e.build_backend());
  server::add_berth_image_routes(router, e.image_diff_backend());
  // `berth ui` asks for a login URL here: whoever may use the API socket may open the dashboard.
  auto ui_auth = std::make_shared<ui::Auth>();
  std::unique_ptr<ui::UiServer> ui_server;
  router.add("POST", "/berth/ui/login", [&ui_server, ui_auth](server::Request&, server::ResponseWriter& w) -> Result<void> {
    if (!ui_server)
      return fail(Errc::Unavailable, "the dashboard is off: start berthd with --ui-addr 127.0.0.1:PORT (or \"ui-addr\" in daemon.json)");
    std::string token = TRY(ui_auth->mint_login_token());
    return w.json(200, nlohmann::json{{"Url", ui_server->login_url(token)}, {"Address", ui_server->base_url()}});
  });

  server::ServerOptions sopts;
  sopts.on_answered = [counters = e.counters()](const server::Request& req, int status, double seconds) {
    counters->api_request(req.method, req.route, status, seconds);
  };
  server::Server srv(std::move(router), sopts);
  for (const auto& h : cfg.hosts) {
    if (auto r = srv.listen(h, 0660, cfg.group); !r) {
      log::error("listening on {}: {}", h, r.error().str());
      ::unlink(cfg.pidfile.c_str());
      return notify(notify_fd, "ERROR " + r.error().str()) + 1;
    }
  }
  if (!cfg.ui_addr.empty()) {
    // The dashboard relays to berthd's first API socket as a plain client.
    ui_opts.upstream = cfg.hosts[0];
    auto started = ui::UiServer::start(ui_opts, ui_auth);
    if (!started) {
      log::error("serving the dashboard on {}: {}", cfg.ui_addr, started.error().str());
      e.shutdown();
      ::unlink(cfg.pidfile.c_str());
      return notify(notify_fd, "ERROR " + started.error().str()) + 1;
    }
    ui_server = std::move(*started);
    log::info("berthd {} serving the dashboard on {} (berth ui opens it)", kVersion, ui_server->base_url());
  }
  std::unique_ptr<berthd::CriEndpoint> cri;
  if (cfg.cri) {
    auto started = berthd::CriEndpoint::start(cfg, e, kVersion, ecfg.shim_path);
    if (!started) {
      log::error("serving the CRI on {}: {}", cfg.cri_socket, started.error().str());
      e.shutdown();
      ::unlink(cfg.pidfile.c_str());
      return notify(notify_fd, "ERROR " + started.error().str()) + 1;
    }
    cri = std::move(*started);
    log::info("berthd {} serving the Kubernetes CRI on {}", kVersion, cfg.cri_socket);
  }
  std::unique_ptr<server::Server> metrics;
  std::thread metrics_thread;
  if (!cfg.metrics_addr.empty()) {
    auto started = berthd::start_metrics_server(cfg.metrics_addr, e);
    if (!started) {
      log::error("serving metrics on {}: {}", cfg.metrics_addr, started.error().str());
      cri.reset();
      e.shutdown();
      ::unlink(cfg.pidfile.c_str());
      return notify(notify_fd, "ERROR " + started.error().str()) + 1;
    }
    metrics = std::move(*started);
    metrics_thread = std::thread([&metrics] {
      if (auto r = metrics->run(); !r) log::error("serving metrics: {}", r.error().str());
    });
  }
  g_server = &srv;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  log::info("berthd {} listening on {}", kVersion, cfg.hosts[0]);
  notify(notify_fd, "READY");
  auto r = srv.run();
  g_server = nullptr;
  if (ui_server) ui_server->stop();
  if (metrics) {
    metrics->stop();
    metrics_thread.join();
    metrics.reset();
  }
  cri.reset();  // before the engine: its pod side uses the engine's services
  e.shutdown();
  for (const auto& h : cfg.hosts)
    if (h.rfind("unix://", 0) == 0) ::unlink(h.substr(7).c_str());
  ::unlink(cfg.pidfile.c_str());
  log::info("berthd stopped; containers keep running under their monitors");
  if (!r) {
    log::error("serving: {}", r.error().str());
    return 1;
  }
  return 0;
}
