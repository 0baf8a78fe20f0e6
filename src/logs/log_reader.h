// Reading a container's log back (`docker logs`, attach's logs=1): the
// entries of a file driver across its rotated files, with since/until/tail,
// and follow (inotify, no polling).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::logs {

struct LogEntry {
  std::string stream;  // "stdout" or "stderr"
  std::string time;    // RFC 3339 nano, as written
  int64_t time_ns = 0; // since the epoch
  std::string log;     // the bytes, including the trailing "\n" when the line is complete
};

struct LogReadOptions {
  bool stdout = true;
  bool stderr = true;
  std::optional<int64_t> since_ns;  // entries at or after
  std::optional<int64_t> until_ns;  // entries at or before (as Docker: later ones end the read)
  int tail = -1;                    // last N entries of both streams, as Docker counts (-1: all)
  bool follow = false;
  // With follow: after the existing entries, waits (inotify, no polling) for
  // new ones until one of these fds is readable (e.g. an eventfd signalled at
  // the container's exit, or the client's socket closing); then reads what is
  // left and returns.
  std::vector<int> stop_fds;
};

using LogSink = std::function<bool(const LogEntry&)>;

class LogReader {
 public:
  virtual ~LogReader() = default;
  // Calls sink for each entry in order, across the rotated files. Stops early
  // (successfully) when sink returns false. A missing log file is no entries.
  virtual Result<void> read(const LogReadOptions& opts, const LogSink& sink) = 0;
};

// The reader for a container logged with driver to path. none (and any
// driver that keeps nothing readable): Unsupported, "configured logging
// driver does not support reading", Docker's words.
Result<std::unique_ptr<LogReader>> open_log_reader(std::string_view driver, const std::string& path);

// The readers themselves. A line that cannot be parsed is skipped (the rest
// of a damaged file stays readable). In the CRI format a part (P) is an entry
// without "\n" and a full line (F) an entry ending in "\n".
Result<void> read_json_log(const std::string& path, const LogReadOptions& opts, const LogSink& sink);
Result<void> read_cri_log(const std::string& path, const LogReadOptions& opts, const LogSink& sink);

}  // namespace berth::logs
