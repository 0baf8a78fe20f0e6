// berthd's engine: containers (their records, lifecycle, shims, attach, exec,
// logs, stats, files) over the image service, the runtime library and the
// metadata DB. HTTP routes call it; it never sees HTTP.
//
// Locking: mu_ guards the container map, names, execs and every field of a
// Container except shim_conn writes (shim_write_mu) and attacher fds
// (Attacher::write_mu). Container::op_mu serializes one container's
// start/stop/remove so slow work (shim start, unmount) runs without mu_.
// image_mu_ guards the image service (snapshotter and DB handle).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/container.h"
#include "engine/events.h"
#include "image/service.h"
#include "metadata/container_store.h"
#include "specgen/specgen.h"

namespace berth::volume {
class VolumeService;
}
namespace berth::engine {
class NetworkService;
struct NetworkContainerView;
}

namespace berth::engine {

struct EngineConfig {
  std::string data_root = "/var/lib/berth";  // images, container records, logs
  std::string exec_root = "/run/berth";      // runtime state, shims, bundles
  std::string shim_path;                     // berth-shim
  std::string init_path;                     // berth-init (for --init)
  std::string cgroup_parent = "berth";
  uint64_t log_max_size = 10 << 20;
  int log_max_files = 3;
  std::string bridge = "berth0";  // the default network's bridge (daemon.json "bridge")
  std::string bip;                 // its gateway CIDR (daemon.json "bip"); chosen when empty
  std::string firewall_table = "berth";
};

struct WaitResult {
  int status_code = 0;
  std::string error;
};

struct AttachOptions {
  bool stream = true, logs = false;
  bool stdin = false, stdout = true, stderr = true;
  std::string detach_keys;  // "ctrl-p,ctrl-q" when empty
};

struct ExecConfig {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir, user;
  bool tty = false, attach_stdin = false, attach_stdout = true, attach_stderr = true, privileged = false;
  std::string detach_keys;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> open(const EngineConfig& cfg);
  ~Engine();

  // Finds shims still running from before a restart, records the exits of
  // those that ended meanwhile, and applies restart policies.
  Result<void> restore();
  // Stops following shims (containers keep running): for shutdown.
  void shutdown();

  // --- containers
  Result<nlohmann::json> create(const nlohmann::json& body, const std::string& name);  // {"Id","Warnings"}
  // false when it was already running (304).
  Result<bool> start(const std::string& ref);
  Result<bool> stop(const std::string& ref, std::optional<int> timeout, std::optional<std::string> signal);
  Result<void> restart(const std::string& ref, std::optional<int> timeout);
  Result<void> kill(const std::string& ref, const std::string& signal);
  Result<void> pause(const std::string& ref);
  Result<void> unpause(const std::string& ref);
  // condition: "not-running" (default), "next-exit", "removed". on_ready is
  // called once the waiter is registered (the route flushes headers then).
  Result<WaitResult> wait(const std::string& ref, const std::string& condition,
                          const std::function<void()>& on_ready);
  Result<void> remove(const std::string& ref, bool force, bool volumes);
  Result<void> rename(const std::string& ref, const std::string& new_name);
  Result<nlohmann::json> update(const std::string& ref, const nlohmann::json& body);
  Result<void> resize(const std::string& ref, int h, int w);
  Result<nlohmann::json> prune(const nlohmann::json& filters);

  Result<nlohmann::json> inspect(const std::string& ref, bool size);
  Result<nlohmann::json> list(bool all, int limit, bool size, const nlohmann::json& filters);
  Result<nlohmann::json> top(const std::string& ref, const std::string& ps_args);
  Result<nlohmann::json> stats_once(const std::string& ref, const nlohmann::json* previous);
  Result<nlohmann::json> changes(const std::string& ref);
  Result<nlohmann::json> df();

  // Streams: these block until done; the fd/sink is the client's.
  Result<void> attach(const std::string& ref, const AttachOptions& opts, UniqueFd client, std::string buffered);
  struct LogsOptions {
    bool follow = false, stdout = false, stderr = false, timestamps = false, details = false;
    std::optional<int64_t> since_ns, until_ns;
    int tail = -1;
  };
  // sink gets Docker frames (multiplexed unless the container has a TTY); returns false to stop.
  Result<void> logs(const std::string& ref, const LogsOptions& opts, int client_fd,
                    const std::function<bool(std::string_view)>& sink);
  Result<bool> is_tty(const std::string& ref);

  Result<void> export_fs(const std::string& ref, int out_fd);
  // docker cp: stat header value (base64 JSON), tar out, tar in.
  Result<std::string> archive_stat(const std::string& ref, const std::string& path);
  Result<void> archive_get(const std::string& ref, const std::string& path,
                           const std::function<Result<void>(std::string_view)>& sink);
  Result<void> archive_put(const std::string& ref, const std::string& path, bool no_overwrite_dir_non_dir,
                           bool copy_uid_gid, const std::function<Result<size_t>(char*, size_t)>& source);
  Result<nlohmann::json> commit(const std::string& ref, const std::string& repo, const std::string& tag,
                                const std::string& comment, const std::string& author, bool pause,
                                const std::vector<std::string>& changes, const nlohmann::json& config);

  // --- exec
  Result<std::string> exec_create(const std::string& ref, const ExecConfig& cfg);
  // Runs the exec; with a client fd streams its output (and stdin) until it ends.
  Result<void> exec_start(const std::string& exec_id, bool detach, std::optional<bool> tty, UniqueFd client,
                          std::string buffered);
  Result<nlohmann::json> exec_inspect(const std::string& exec_id);
  Result<void> exec_resize(const std::string& exec_id, int h, int w);

  // --- shared with the image routes
  image::ImageService& images() { return *images_; }
  std::mutex& image_mutex() { return image_mu_; }
  Events& events() { return events_; }
  std::vector<std::string> containers_using(const std::string& image_id, bool running_only);
  const EngineConfig& config() const { return cfg_; }
  size_t container_count(int* running, int* paused, int* stopped);
  NetworkService& networks() { return *networks_; }
  volume::VolumeService& volumes() { return *volumes_; }
  // docker network connect/disconnect.
  Result<void> network_connect(const std::string& network, const std::string& container, const nlohmann::json& config);
  Result<void> network_disconnect(const std::string& network, const std::string& container, bool force);

 private:
  struct Exec;
  explicit Engine(EngineConfig cfg);

  Result<std::shared_ptr<Container>> lookup(const std::string& ref);  // id, id prefix or name; mu_ held
  Result<std::shared_ptr<Container>> find(const std::string& ref);    // takes mu_
  Result<void> persist(const Container& c);                           // mu_ held
  void publish(const Container& c, const std::string& action, std::map<std::string, std::string> extra = {});

  Result<void> start_locked(const std::shared_ptr<Container>& c);  // op_mu held
  Result<void> stop_locked(const std::shared_ptr<Container>& c, int timeout, int signal);
  Result<void> remove_locked(const std::shared_ptr<Container>& c);
  Result<bool> wait_stopped(const std::shared_ptr<Container>& c, int timeout_s);
  void follow_shim(std::shared_ptr<Container> c);
  void on_exit(const std::shared_ptr<Container>& c, int exit_code, bool oom, const std::string& finished_at);
  void maybe_restart(const std::shared_ptr<Container>& c);
  void send_to_shim(Container& c, int frame, std::string_view payload);
  void forward_stdin(const std::shared_ptr<Container>& c, std::shared_ptr<Attacher> a, UniqueFd in_fd,
                     std::string buffered, const std::string& detach_keys, bool stdin_once);

  std::string bundle_dir(const std::string& id) const;
  std::string shim_dir(const std::string& id) const;
  std::string container_dir(const std::string& id) const;
  std::string rootfs_dir(const std::string& id) const;
  std::string runtime_root() const;
  Result<void> mount_rootfs(const Container& c);
  Result<void> write_etc_files(const Container& c, bool in_place = false);
  void unmount_rootfs(const Container& c);
  nlohmann::json inspect_json(const Container& c);
  nlohmann::json summary_json(const Container& c);
  nlohmann::json mounts_of(const Container& c);
  std::vector<NetworkContainerView> network_views();

  // Network set-up of a start (after the netns exists) and its undoing.
  Result<void> connect_networks(const std::shared_ptr<Container>& c, const std::string& netns);
  void disconnect_networks(const std::shared_ptr<Container>& c);
  void restore_networks(const std::shared_ptr<Container>& c);
  // Volumes, binds and tmpfs of a start (rootfs mounted), and their release.
  Result<std::vector<specgen::ExtraMount>> prepare_mounts(const std::shared_ptr<Container>& c);
  void release_volumes(const std::shared_ptr<Container>& c);

  EngineConfig cfg_;
  std::unique_ptr<NetworkService> networks_;
  std::unique_ptr<volume::VolumeService> volumes_;
  std::unique_ptr<image::ImageService> images_;
  std::mutex image_mu_;
  std::optional<metadata::ContainerStore> store_;
  Events events_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;  // by id
  std::map<std::string, std::string> names_;                       // "/name" -> id
  std::map<std::string, std::shared_ptr<Exec>> execs_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace berth::engine
