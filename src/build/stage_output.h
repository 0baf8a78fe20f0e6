// The log of stages built at the same time (native mode): each stage's
// lines go out whole, each with the stage's name in front ("[builder] Step
// 3/9 : RUN make"), through one lock, so lines of different stages never mix
// within a line and each stays readable on its own.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "build/primitives.h"

namespace berth::build {

class StageOutput : public Output {
 public:
  // base: the build's log, written only under mu.
  StageOutput(Output& base, std::mutex& mu, std::string prefix)
      : base_(base), mu_(mu), prefix_(std::move(prefix)) {}
  void stream(std::string_view text) override;
  void json(const std::string& line) override;
  // A last line without its newline (a RUN's output may end so).
  void flush();

 private:
  Output& base_;
  std::mutex& mu_;
  std::string prefix_;
  std::string partial_;
};

}  // namespace berth::build
