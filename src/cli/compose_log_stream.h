// The interleaved logs of a project's containers, as Compose v2 prints them:
// each line prefixed "web-1  | " (names padded to the longest plus one),
// coloured per container on a terminal (its rainbow: cyan, yellow, green,
// magenta, blue, then their bold forms). One thread follows each container;
// lines are written whole, in the order they arrive.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cli/compose_api_engine.h"

namespace berth::cli {

struct LogTarget {
  std::string id;
  std::string name;  // "web-1": the container's name without the project
  bool tty = false;
};

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  bool color = false;
  bool prefix = true;
  std::string tail = "all";
  std::string since, until;
  bool announce_exit = false;  // "web-1 exited with code 0" after a followed stream ends (up)
};

class LogPrinter {
 public:
  // Where whole lines go: (fd 1 or 2, bytes); write_all by default, a capture in the tests.
  using Sink = std::function<void(int fd, std::string_view bytes)>;
  LogPrinter(const std::vector<LogTarget>& targets, const LogOptions& options, Sink sink = {});
  // One piece of a container's output; whole lines are written.
  void feed(size_t target, int stream, std::string_view bytes);
  void flush(size_t target);
  void status(size_t target, const std::string& text);  // "web-1 exited with code 0", coloured

 private:
  std::string prefix_of(size_t target) const;
  std::mutex mu_;
  std::vector<std::string> prefixes_, colors_;
  std::vector<std::string> names_;
  std::vector<std::array<std::string, 3>> partial_;
  LogOptions options_;
  Sink sink_;
};

// Streams every target's logs at once; returns when every stream has ended
// (follow: when their containers stopped).
Result<void> stream_logs(ComposeApiEngine& engine, const std::vector<LogTarget>& targets, const LogOptions& options);

// Compose v2's rainbow colour for the n-th container.
std::string rainbow_color(size_t n);

}  // namespace berth::cli
