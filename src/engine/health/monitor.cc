#include "engine/health/monitor.h"

namespace berth::engine::health {

Monitor::Monitor(Timers& timers, Prober& prober, HealthSink& sink, std::function<std::string()> wall_now)
    : timers_(timers), prober_(prober), sink_(sink), wall_now_(std::move(wall_now)) {}

Monitor::~Monitor() { shutdown(); }

void Monitor::schedule(const std::string& id, Entry& e) {
  int64_t delay = next_delay_ns(e.settings, timers_.now_ns() - e.started_mono, e.health.status);
  e.next = timers_.after(delay, [this, id, gen = e.gen] { fire(id, gen); });
}

std::shared_ptr<ProbeHandle> Monitor::disarm(Entry& e) {
  if (e.next) timers_.cancel(e.next);
  if (e.deadline) timers_.cancel(e.deadline);
  e.next = e.deadline = 0;
  e.probing = false;
  return std::move(e.probe);
}

void Monitor::watch(const std::string& id, const std::string& run, const Settings& settings,
                    const model::Health& initial, int64_t since_start_ns) {
  std::shared_ptr<ProbeHandle> old;
  {
    std::lock_guard lk(mu_);
    if (shut_) return;
    Entry& e = entries_[id];
    old = disarm(e);
    e.gen = next_gen_++;
    e.run = run;
    e.settings = settings;
    e.health = initial;
    e.started_mono = timers_.now_ns() - since_start_ns;
    e.paused = false;
    schedule(id, e);
  }
  if (old) old->kill();
}

void Monitor::pause(const std::string& id) {
  std::shared_ptr<ProbeHandle> probe;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.paused) return;
    probe = disarm(it->second);
    it->second.gen = next_gen_++;
    it->second.paused = true;
  }
  if (probe) probe->kill();
}

void Monitor::resume(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.paused) return;
  it->second.paused = false;
  schedule(id, it->second);
}

void Monitor::unwatch(const std::string& id) {
  std::shared_ptr<ProbeHandle> probe;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    probe = disarm(it->second);
    entries_.erase(it);
  }
  if (probe) probe->kill();
}

void Monitor::shutdown() {
  std::vector<std::shared_ptr<ProbeHandle>> probes;
  {
    std::lock_guard lk(mu_);
    shut_ = true;
    for (auto& [id, e] : entries_)
      if (auto p = disarm(e)) probes.push_back(std::move(p));
    entries_.clear();
  }
  for (auto& p : probes) p->kill();
}

size_t Monitor::watched() {
  std::lock_guard lk(mu_);
  return entries_.size();
}

bool Monitor::probing(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.probing;
}

void Monitor::fire(const std::string& id, uint64_t gen) {
  std::vector<std::string> argv;
  uint64_t seq;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.gen != gen || it->second.paused || it->second.probing) return;
    Entry& e = it->second;
    e.next = 0;
    e.probing = true;
    e.timed_out = false;
    seq = ++e.probe_seq;
    e.probe_start = wall_now_();
    e.probe_start_mono = timers_.now_ns();
    argv = e.settings.argv;
  }
  auto started = prober_.start_probe(id, argv, [this, id, gen, seq](int code, std::string output) {
    finished(id, gen, seq, code, std::move(output));
  });
  if (!started) {
    // As Docker: a probe that could not run is a failed one, its error the output.
    finished(id, gen, seq, -1, started.error().message);
    return;
  }
  std::shared_ptr<ProbeHandle> orphan;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.gen != gen) {
      orphan = std::move(*started);  // unwatched meanwhile: nobody else will end it
    } else if (it->second.probing && it->second.probe_seq == seq) {
      Entry& e = it->second;
      e.probe = std::move(*started);
      e.deadline = timers_.after(e.settings.timeout_ns, [this, id, gen, seq] { on_timeout(id, gen, seq); });
    }
  }
  if (orphan) orphan->kill();
}

void Monitor::on_timeout(const std::string& id, uint64_t gen, uint64_t seq) {
  std::shared_ptr<ProbeHandle> probe;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.gen != gen || it->second.probe_seq != seq || !it->second.probing) return;
    it->second.deadline = 0;
    it->second.timed_out = true;
    probe = it->second.probe;
  }
  // Its end, with the kill's status, records the timeout.
  if (probe) probe->kill();
}

void Monitor::finished(const std::string& id, uint64_t gen, uint64_t seq, int exit_code, std::string output) {
  model::Health health;
  std::string run;
  bool changed;
  {
    std::lock_guard lk(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.gen != gen || it->second.probe_seq != seq || !it->second.probing) return;
    Entry& e = it->second;
    if (e.deadline) timers_.cancel(e.deadline);
    e.deadline = 0;
    e.probing = false;
    e.probe.reset();
    model::HealthResult r;
    r.start = e.probe_start;
    r.end = wall_now_();
    if (e.timed_out) {
      r.exit_code = -1;
      r.output = timeout_output(e.settings.timeout_ns, output);
    } else {
      r.exit_code = exit_code;
      r.output = std::move(output);
    }
    changed = record_result(e.health, std::move(r), e.settings, e.probe_start_mono - e.started_mono);
    health = e.health;
    run = e.run;
  }
  // The sink sees each result before the next probe is armed: one container's
  // results arrive in order, whichever thread ended each probe.
  sink_.on_health(id, run, health, changed);
  std::lock_guard lk(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.gen != gen || it->second.paused || it->second.probing || it->second.next)
    return;
  schedule(id, it->second);
}

}  // namespace berth::engine::health
