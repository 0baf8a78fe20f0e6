// Draws a build's JSON message stream: off a terminal, the log as the
// legacy builder writes it (what `docker build` prints); on one, a step per
// line with its time and whether the cache answered, the RUN output
// indented under it. Stages built at once (native mode) prefix their lines
// with "[stage] ": each stage's steps are followed on their own.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "cli/json_lines.h"

namespace berth::cli {

class BuildProgress {
 public:
  BuildProgress(int out_fd, bool terminal, bool quiet) : fd_(out_fd), terminal_(terminal), quiet_(quiet) {}
  void feed(std::string_view data);  // bytes of the reply as they come
  struct Outcome {
    std::string image_id;  // the aux ID, or a quiet build's ID line
    std::string error;     // errorDetail's message
    int code = 0;          // a failed RUN's exit code (0 otherwise)
  };
  Outcome finish();

 private:
  void message(const std::string& line);
  void text(std::string_view stream_text);
  struct Step {
    bool in_step = false, cached = false;
    std::chrono::steady_clock::time_point start;
  };
  void line(const std::string& stage, const std::string& text);
  void step_done(const std::string& stage, const std::string& how);
  void write(std::string_view s);

  int fd_;
  bool terminal_, quiet_;
  JsonLines lines_;
  std::string partial_;  // stream text up to its next newline (terminal mode)
  Outcome outcome_;
  std::map<std::string, Step> steps_;  // by stage ("" when lines have no prefix)
  std::set<std::string> stages_;       // prefixes seen on a "Step" line
};

}  // namespace berth::cli
