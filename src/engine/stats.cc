// docker stats: one sample of a container's use from its task, with the
// host's CPU time for Docker's percentage.
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/strings.h"
#include "engine/container_service.h"

namespace berth::engine {
namespace {

uint64_t system_cpu_ns() {
  // The first line of /proc/stat in clock ticks, as Docker's system_cpu_usage.
  auto t = read_file("/proc/stat");
  if (!t) return 0;
  auto parts = split(t->substr(0, t->find('\n')), ' ', true);
  uint64_t total = 0;
  for (size_t i = 1; i < parts.size() && i <= 8; ++i) total += parse_uint(parts[i]).value_or(0);
  return total * (1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

}  // namespace

Result<model::ContainerStats> ContainerService::stats(const std::string& ref) {
  auto c = TRY(find(ref));
  model::ContainerStats s;
  std::shared_ptr<task::Task> t;
  {
    std::lock_guard lk(mu_);
    t = c->state.running ? c->task : nullptr;
  }
  if (t) {
    // A task that ends in between answers the zero form, as Docker does.
    if (auto sample = t->stats()) {
      s = std::move(*sample);
      s.running = true;
      s.cpu.system_ns = system_cpu_ns();
      s.cpu.online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
      if (s.memory.limit == 0 || s.memory.limit > (1ull << 62))
        s.memory.limit = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    }
  }
  std::lock_guard lk(mu_);
  s.read = rfc3339_now();
  s.id = c->id;
  s.name = c->name;
  return s;
}

}  // namespace berth::engine
