// docker stats and /metrics: the running containers as the shared sampler
// (stats/sampler.h) sees them, and answers from its latest sample.
#include <unistd.h>

#include "base/clock.h"
#include "base/go_time.h"
#include "engine/container_service.h"
#include "stats/container_metrics.h"

namespace berth::engine {
namespace {

int64_t wall_ns_of(const std::string& rfc3339) {
  auto t = go::parse_rfc3339(rfc3339);
  return t && t->sec > 0 ? t->ns() : 0;
}

// What a stopped container answers: Docker's zero sample.
backend::StatsSample zero_form(const std::string& id, const std::string& name) {
  backend::StatsSample s;
  s.current.read = rfc3339_now();
  s.current.id = id;
  s.current.name = name;
  s.previous.read = std::string(go::kZeroTimeRfc3339);
  return s;
}

// One reading of a task: its cgroup files read here when it says where they
// are (the usual case: no call to its monitor), else its own stats().
std::optional<model::ContainerStats> read_task(const std::shared_ptr<task::Task>& t, const stats::HostFacts& host) {
  if (auto dirs = t->cgroup_dirs()) return stats::read_container_stats(*dirs, t->pid(), host);
  auto s = t->stats();
  if (!s) return std::nullopt;
  s->cpu.system_ns = host.system_cpu_ns;
  s->cpu.online_cpus = host.online_cpus;
  return std::move(*s);
}

}  // namespace

std::vector<stats::Target> ContainerService::running() {
  std::vector<stats::Target> out;
  std::lock_guard lk(mu_);
  for (const auto& [id, c] : containers_) {
    if (!c->state.running || !c->task) continue;
    stats::Target t;
    t.id = id;
    t.name = c->name;
    t.started_wall_ns = wall_ns_of(c->state.started_at);
    t.read = [task = c->task](const stats::HostFacts& host) { return read_task(task, host); };
    out.push_back(std::move(t));
  }
  return out;
}

stats::HostFacts ContainerService::host() { return stats::read_host_facts(); }

Result<backend::StatsSample> ContainerService::stats(const std::string& ref) {
  auto c = TRY(find(ref));
  std::string id, name;
  bool running;
  {
    std::lock_guard lk(mu_);
    id = c->id;
    name = c->name;
    running = c->state.running && c->task;
  }
  if (!running) return zero_form(id, name);
  auto snap = sampler_->latest(id);
  auto it = snap->containers.find(id);
  if (it == snap->containers.end()) return zero_form(id, name);  // ended in between
  return backend::StatsSample{it->second.current, it->second.previous, snap->seq};
}

std::shared_ptr<void> ContainerService::hold_stats() {
  if (shutting_down_) return nullptr;
  // Members go in reverse: the watch first, then the sampler it points to.
  struct Hold {
    std::shared_ptr<stats::Sampler> sampler;
    std::unique_ptr<stats::Sampler::Watch> watch;
  };
  return std::make_shared<Hold>(Hold{sampler_, sampler_->watch()});
}

Result<backend::StatsSample> ContainerService::next_stats(const std::string& ref, uint64_t after_seq) {
  auto c = TRY(find(ref));
  std::string id, name;
  {
    std::lock_guard lk(mu_);
    id = c->id;
    name = c->name;
  }
  auto snap = sampler_->wait_newer(after_seq, 2 * sampler_->interval());
  if (shutting_down_) return fail(Errc::Unavailable, "berthd is shutting down");
  if (snap->seq <= after_seq) snap = sampler_->latest(id);
  auto it = snap->containers.find(id);
  if (it == snap->containers.end()) {
    auto z = zero_form(id, name);
    z.seq = snap->seq;
    return z;
  }
  return backend::StatsSample{it->second.current, it->second.previous, snap->seq};
}

void ContainerService::write_metrics(stats::prom::TextWriter& w, stats::EngineGauges& gauges) {
  std::vector<stats::ContainerMeta> metas;
  {
    std::lock_guard lk(mu_);
    metas.reserve(containers_.size());
    for (const auto& [id, c] : containers_) {
      ++gauges.containers_by_state[c->state.status(c->ever_started)];
      stats::ContainerMeta m;
      m.id = id;
      m.name = c->name.starts_with('/') ? c->name.substr(1) : c->name;
      m.image = c->spec.config.image;
      m.labels = c->spec.config.labels;
      m.running = c->state.running && c->task;
      m.restarts = static_cast<uint64_t>(c->restart_count);
      if (c->state.health) m.health = std::string(model::to_string(c->state.health->status));
      m.started_wall_ns = m.running ? wall_ns_of(c->state.started_at) : 0;
      metas.push_back(std::move(m));
    }
  }
  auto snap = sampler_->latest();
  stats::write_container_metrics(w, metas, *snap);
}

}  // namespace berth::engine
