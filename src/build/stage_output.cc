#include "build/stage_output.h"

namespace berth::build {

void StageOutput::stream(std::string_view text) {
  partial_.append(text);
  size_t start = 0, nl;
  std::string lines;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    lines += prefix_;
    lines.append(partial_, start, nl + 1 - start);
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (lines.empty()) return;
  std::lock_guard lk(mu_);
  base_.stream(lines);
}

void StageOutput::json(const std::string& line) {
  std::lock_guard lk(mu_);
  base_.json(line);
}

void StageOutput::flush() {
  if (partial_.empty()) return;
  std::string line = prefix_ + partial_ + "\n";
  partial_.clear();
  std::lock_guard lk(mu_);
  base_.stream(line);
}

}  // namespace berth::build
