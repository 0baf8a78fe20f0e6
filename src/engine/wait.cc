// Waiting for a container: until it is not running, until its next exit, or
// until it is removed.
#include "engine/container_service.h"

namespace berth::engine {

Result<backend::WaitResult> ContainerService::wait(const std::string& ref, backend::WaitCondition condition,
                                                   const std::function<void()>& on_ready) {
  auto c = TRY(find(ref));
  std::unique_lock lk(mu_);
  uint64_t generation = c->exit_generation;
  lk.unlock();
  if (on_ready) on_ready();
  lk.lock();
  switch (condition) {
    case backend::WaitCondition::NotRunning:
      c->changed->wait(lk, [&] { return !c->state.running || c->removed; });
      break;
    case backend::WaitCondition::NextExit:
      c->changed->wait(lk, [&] { return c->exit_generation != generation || c->removed; });
      break;
    case backend::WaitCondition::Removed:
      c->changed->wait(lk, [&] { return c->removed; });
      break;
  }
  return backend::WaitResult{c->state.exit_code, {}};
}

}  // namespace berth::engine
