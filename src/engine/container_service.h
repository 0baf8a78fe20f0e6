// The engine's typed container service: containers created from a
// ContainerSpec, started through a Task implementation chosen by runtime
// name, waited for, stopped, removed; their files, logs, stats and execs.
// Every front end drives containers through it: the Docker API routes (as
// backend::ContainerBackend / ExecBackend), and next the builder and the CRI.
//
// Seams (each an interface with a fake in tests/unit/engine): the task
// runtimes (src/task), the image/rootfs side (rootfs.h), networking
// (networks/attacher.h). The records live in the metadata DB.
//
// Locking: mu_ guards the container map, names, execs and every field of a
// Container except attacher fds (Attacher::write_mu). Container::op_mu
// serializes one container's start/stop/remove so slow work (the task's
// start, unmounts) runs without mu_. Task calls are made without mu_.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "backend/containers.h"
#include "backend/exec.h"
#include "base/error.h"
#include "engine/container.h"
#include "engine/events.h"
#include "engine/health/monitor.h"
#include "engine/networks/attacher.h"
#include "engine/rootfs.h"
#include "idmap/remap.h"
#include "metadata/container_store.h"
#include "specgen/specgen.h"
#include "stats/engine_counters.h"
#include "stats/prom_text.h"
#include "stats/sampler.h"
#include "task/task.h"

namespace berth::volume {
class VolumeService;
}

namespace berth::engine {

struct ContainerServiceConfig {
  std::string data_root = "/var/lib/berth";  // containers/<id>: logs, /etc files, rootfs mount point
  std::string exec_root = "/run/berth";      // containers/<id>: bundle and network namespace
  std::string init_path;                     // berth-init (for --init)
  std::string cgroup_parent = "berth";
  std::string default_runtime = "berth";
  std::string log_driver = "json-file";      // the daemon's default (daemon.json log-driver)
  std::map<std::string, std::string> log_options;  // and its options (log-opts)
  std::optional<idmap::Remap> userns_remap;  // --userns-remap: containers' ids unless UsernsMode=host
  std::string host_gateway_ip;  // --host-gateway-ip: what host-gateway means; empty: the default bridge's gateway
  std::chrono::milliseconds stats_interval{1000};  // the stats sampler's period (docker stats' one second)
};

struct ContainerServiceDeps {
  metadata::ContainerStore* store = nullptr;
  RootfsProvider* rootfs = nullptr;
  NetworkAttacher* networks = nullptr;
  volume::VolumeService* volumes = nullptr;
  Events* events = nullptr;
  std::map<std::string, task::TaskRuntime*> runtimes;  // by name; must include default_runtime
  specgen::HostInfo host;
  // The healthchecks' timer queue; null: the service runs its own thread (tests fake it).
  health::Timers* health_timers = nullptr;
};

class ContainerService : public backend::ContainerBackend, public backend::ExecBackend, private stats::TargetSource {
 public:
  // Loads the stored records (migrating older ones).
  static Result<std::unique_ptr<ContainerService>> open(ContainerServiceConfig cfg, ContainerServiceDeps deps);
  ~ContainerService() override;

  // Follows tasks still running from before a restart, records the exits of
  // those that ended meanwhile, applies restart policies.
  Result<void> restore();
  // Stops following tasks (they keep running): for daemon shutdown.
  void shutdown();

  // --- backend::ContainerBackend
  Result<backend::CreateResult> create(const std::string& name, const model::ContainerSpec& spec) override;
  Result<bool> start(const std::string& ref) override;
  Result<bool> stop(const std::string& ref, std::optional<int> timeout_s, const std::string& signal) override;
  Result<void> restart(const std::string& ref, std::optional<int> timeout_s) override;
  Result<void> kill(const std::string& ref, const std::string& signal) override;
  Result<void> pause(const std::string& ref) override;
  Result<void> unpause(const std::string& ref) override;
  Result<backend::WaitResult> wait(const std::string& ref, backend::WaitCondition condition,
                                   const std::function<void()>& on_ready) override;
  Result<void> remove(const std::string& ref, bool force, bool volumes) override;
  Result<void> rename(const std::string& ref, const std::string& new_name) override;
  Result<std::vector<std::string>> update(const std::string& ref, const model::Resources& resources,
                                          const std::optional<model::RestartPolicy>& restart) override;
  Result<void> resize(const std::string& ref, unsigned rows, unsigned cols) override;
  Result<model::PruneReport> prune(const model::Filters& filters) override;
  Result<model::ContainerInfo> inspect(const std::string& ref, bool size) override;
  Result<std::vector<model::ContainerInfo>> list(const model::ListOptions& options) override;
  Result<model::ProcessTable> top(const std::string& ref, const std::string& ps_args) override;
  Result<backend::StatsSample> stats(const std::string& ref) override;
  std::shared_ptr<void> hold_stats() override;
  Result<backend::StatsSample> next_stats(const std::string& ref, uint64_t after_seq) override;
  Result<std::vector<model::Change>> changes(const std::string& ref) override;
  Result<void> attach(const std::string& ref, const backend::AttachOptions& options, UniqueFd client,
                      std::string buffered) override;
  Result<void> logs(const std::string& ref, const backend::LogsOptions& options, int client_fd,
                    const backend::Sink& sink) override;
  Result<bool> has_tty(const std::string& ref) override;
  Result<void> export_rootfs(const std::string& ref, int out_fd) override;
  Result<std::string> archive_stat(const std::string& ref, const std::string& path) override;
  Result<void> archive_get(const std::string& ref, const std::string& path,
                           const std::function<Result<void>(std::string_view)>& sink) override;
  Result<void> archive_put(const std::string& ref, const std::string& path, bool no_overwrite_dir_non_dir,
                           bool copy_uid_gid, const std::function<Result<size_t>(char*, size_t)>& source) override;
  Result<std::string> commit(const backend::CommitRequest& request) override;

  // --- backend::ExecBackend
  Result<std::string> exec_create(const std::string& container, const model::ExecSpec& spec) override;
  Result<void> exec_start(const std::string& exec_id, bool detach, std::optional<bool> tty, UniqueFd client,
                          std::string buffered) override;
  Result<model::ExecInfo> exec_inspect(const std::string& exec_id) override;
  Result<void> exec_resize(const std::string& exec_id, unsigned rows, unsigned cols) override;

  // --- for the engine's other services
  // network connect/disconnect of a container (running or not).
  Result<void> connect_network(const std::string& network, const std::string& container,
                               const model::EndpointRequest& endpoint);
  Result<void> disconnect_network(const std::string& network, const std::string& container, bool force);
  // IDs of containers made from image_id (running ones only when asked).
  std::vector<std::string> containers_using(const std::string& image_id, bool running_only);
  // Containers whose mounts use the named volume.
  std::vector<std::string> volume_users(const std::string& volume);
  // Names and endpoints by network, for DNS and network inspect.
  std::vector<NetworkContainerView> network_views();
  struct Counts {
    int total = 0, running = 0, paused = 0, stopped = 0;
  };
  Counts counts();
  std::vector<std::string> runtime_names() const;
  // Has the running container's monitor reopen its log file (the CRI's
  // ReopenContainerLog, after the kubelet renamed the file to rotate it).
  Result<void> reopen_log(const std::string& ref);
  const std::string& default_runtime() const { return cfg_.default_runtime; }
  // /metrics: the per-container families (from the shared sampler's latest
  // sample) and the containers' count by state into gauges.
  void write_metrics(stats::prom::TextWriter& w, stats::EngineGauges& gauges);
  stats::Sampler& sampler() { return *sampler_; }
  // --userns-remap's ids, which a Docker API container (a build's RUN too) lives in unless it
  // opts out; null without remap.
  const idmap::Remap* daemon_remap() const { return cfg_.userns_remap ? &*cfg_.userns_remap : nullptr; }

 private:
  struct Exec;
  class TaskEvents;
  class ExecEvents;
  class ProbeEvents;
  class HealthBridge;
  friend class HealthBridge;
  ContainerService(ContainerServiceConfig cfg, ContainerServiceDeps deps);

  // --- stats::TargetSource (stats.cc): the running containers for the sampler
  std::vector<stats::Target> running() override;
  stats::HostFacts host() override;

  Result<std::shared_ptr<Container>> lookup(const std::string& ref);  // id, id prefix or name; mu_ held
  Result<std::shared_ptr<Container>> find(const std::string& ref);    // takes mu_
  Result<void> persist(const Container& c);                           // mu_ held
  void publish(const Container& c, const std::string& action, std::map<std::string, std::string> extra = {});
  Result<task::TaskRuntime*> runtime_for(const std::string& name) const;

  Result<void> start_locked(const std::shared_ptr<Container>& c);  // op_mu held
  Result<void> stop_locked(const std::shared_ptr<Container>& c, int timeout_s, int signal);
  Result<void> remove_locked(const std::shared_ptr<Container>& c);
  Result<bool> wait_stopped(const std::shared_ptr<Container>& c, int timeout_s);
  void on_exit(const std::shared_ptr<Container>& c, const task::ExitStatus& status);
  void finish_exec(const std::shared_ptr<Exec>& e, int exit_code);
  void maybe_restart(const std::shared_ptr<Container>& c);
  void deliver_output(const std::shared_ptr<Container>& c, task::Stream stream, std::string_view bytes);
  // The container's task, for a call made without mu_; Conflict when it is not running.
  Result<std::shared_ptr<task::Task>> running_task(const std::shared_ptr<Container>& c);

  std::string bundle_dir(const std::string& id) const;
  std::string container_dir(const std::string& id) const;
  std::string rootfs_dir(const std::string& id) const;
  // The daemon's remap when this container lives in it: Docker's front end
  // (the CRI's pods set their own namespaces), not UsernsMode=host.
  const idmap::Remap* remap_of(const model::ContainerSpec& spec) const {
    return cfg_.userns_remap && !spec.host.userns_host && spec.ns.empty() ? &*cfg_.userns_remap : nullptr;
  }
  std::string sandbox_path(const std::string& id) const;
  Result<void> write_etc_files(const Container& c, bool in_place = false);
  model::ContainerInfo info_of(const Container& c);  // mu_ held

  // Volumes, binds and tmpfs of a start (rootfs mounted), and their release.
  Result<std::vector<specgen::ExtraMount>> prepare_mounts(const std::shared_ptr<Container>& c);
  void release_volumes(const std::shared_ptr<Container>& c);
  void release_run(const std::shared_ptr<Container>& c);  // what a run holds: volumes, rootfs, networks, sandbox
  // Runs fn with an O_PATH fd of the container's root (mounted for the call when stopped).
  Result<void> with_root(const std::shared_ptr<Container>& c, const std::function<Result<void>(int root)>& fn);

  // Healthchecks (health.cc, health_probe.cc): probes as execs, results into State.Health.
  void watch_health(const std::shared_ptr<Container>& c, bool restored);  // a run began; mu_ not held
  Result<std::shared_ptr<health::ProbeHandle>> start_probe(const std::string& id, const std::vector<std::string>& argv,
                                                           health::ProbeDone done);
  void on_health(const std::string& id, const std::string& run, const model::Health& h, bool changed);
  void restart_unhealthy(const std::shared_ptr<Container>& c, const std::string& run);

  ContainerServiceConfig cfg_;
  ContainerServiceDeps deps_;
  // Declared before the monitor: the monitor goes first, the timer thread after it.
  std::unique_ptr<health::ThreadTimers> own_timers_;
  std::unique_ptr<HealthBridge> health_bridge_;
  std::unique_ptr<health::Monitor> health_;

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;  // by id
  std::map<std::string, std::string> names_;                       // "/name" -> id
  std::map<std::string, std::shared_ptr<Exec>> execs_;
  std::atomic<bool> shutting_down_{false};
  // Last: its thread reads containers_ under mu_, so it goes first.
  // Shared with the streams' holds, which may end after this service.
  std::shared_ptr<stats::Sampler> sampler_;
};

}  // namespace berth::engine
