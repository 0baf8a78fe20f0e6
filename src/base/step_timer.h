// Where a request's time goes: named laps on the steady clock, rendered for a
// debug log line ("hold_ns=0.4 cni_add=12.1 ... total=13.0 ms"). Cheap enough to
// stay on every call: two clock reads per step, formatting only when logged.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace berth {

class StepTimer {
 public:
  StepTimer() : start_(Clock::now()), last_(start_) {}

  // Closes the step that ran since the previous lap (or since construction).
  void lap(std::string name) {
    auto now = Clock::now();
    steps_.emplace_back(std::move(name), now - last_);
    last_ = now;
  }

  std::string str() const {
    std::string out;
    for (const auto& [name, d] : steps_) out += fmt::format("{}={:.1f} ", name, ms(d));
    out += fmt::format("total={:.1f} ms", ms(Clock::now() - start_));
    return out;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

  Clock::time_point start_, last_;
  std::vector<std::pair<std::string, Clock::duration>> steps_;
};

}  // namespace berth
