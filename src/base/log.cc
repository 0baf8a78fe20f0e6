#include "base/log.h"

#include "base/clock.h"

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

namespace berth::log {
namespace {

struct Sink {
  int fd = -1;
  Format format = Format::Text;
  Level min_level = Level::Warn;
};
Sink g_sink;

const char* level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
  }
  return "info";
}

void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

void configure(int fd, Format format, Level min_level) {
  g_sink = Sink{fd, format, min_level};
}

bool enabled(Level level) { return level >= g_sink.min_level; }

void write(Level level, std::string_view message) {
  if (!enabled(level)) return;
  int fd = g_sink.fd >= 0 ? g_sink.fd : STDERR_FILENO;
  std::string line;
  if (g_sink.format == Format::Json) {
    nlohmann::json j = {{"level", level_name(level)}, {"msg", message}, {"time", rfc3339_now()}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    line = rfc3339_now() + " " + level_name(level) + ": " + std::string(message) + "\n";
  }
  write_all(fd, line);
}

}  // namespace berth::log
