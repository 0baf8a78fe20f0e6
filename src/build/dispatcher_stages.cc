// Which stage builds when: the legacy builder's order (one after another),
// or in native mode each stage on a thread of its own as soon as the stages
// it reads are built, a few at a time, their log lines prefixed with the
// stage's name. The first stage to fail fails the build; the others stop at
// their next step.
#include <algorithm>
#include <condition_variable>
#include <memory>
#include <thread>

#include "build/dispatcher.h"
#include "build/stage_output.h"

namespace berth::build {

std::optional<std::string> Dispatcher::built_image(size_t stage) const {
  std::lock_guard lk(mu_);
  return stages_[stage].image_id;
}

std::string Dispatcher::stage_label(size_t stage) const {
  return stages_[stage].name.empty() ? "stage-" + std::to_string(stage) : stages_[stage].name;
}

Result<void> Dispatcher::build_stages(const std::vector<bool>& wanted) {
  std::vector<size_t> order;
  for (size_t s = 0; s <= target_; ++s)
    if (wanted[s]) order.push_back(s);
  if (!opt_.parallel_stages || order.size() < 2) {
    for (size_t s : order) {
      int code = 0;
      auto built = build_stage(s, out_, code);
      if (!built) {
        failed_exit_code_ = code;
        return built;
      }
    }
    return {};
  }

  std::mutex out_mu;  // one line of the log at a time
  std::vector<std::unique_ptr<StageOutput>> outs(stages_.size());
  for (size_t s : order) outs[s] = std::make_unique<StageOutput>(out_, out_mu, "[" + stage_label(s) + "] ");
  enum class Done { no, ok, failed };
  std::vector<Done> done(stages_.size(), Done::no);
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Error> first;
  int first_code = 0;
  size_t running = 0;
  // Each stage's RUNs are containers: more at once than CPUs only queue.
  const size_t slots = std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 8);
  std::vector<std::thread> threads;
  threads.reserve(order.size());
  for (size_t s : order)
    threads.emplace_back([&, s] {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] {
        if (aborted_) return true;
        for (size_t n : stages_[s].needs)
          if (done[n] != Done::ok) return false;
        return running < slots;
      });
      if (aborted_) {
        done[s] = Done::failed;
        cv.notify_all();
        return;
      }
      ++running;
      lk.unlock();
      int code = 0;
      auto built = build_stage(s, *outs[s], code);
      outs[s]->flush();
      lk.lock();
      --running;
      done[s] = built ? Done::ok : Done::failed;
      if (!built && !first) {
        first = built.error();
        first_code = code;
        aborted_ = true;
      }
      cv.notify_all();
    });
  for (auto& t : threads) t.join();
  if (first) {
    failed_exit_code_ = first_code;
    return std::unexpected(*first);
  }
  return {};
}

}  // namespace berth::build
