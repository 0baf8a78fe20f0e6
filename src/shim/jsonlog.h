// Docker's json-file log format, written by berth-shim and read by berthd for
// `docker logs`. One JSON object per line:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T22:00:00.123456789Z"}
// A line longer than 16 KiB is split into several entries (only the last
// ends in "\n"), as Docker does. Rotation: PATH is the current file, PATH.1 the
// previous one, ... PATH.(max_files-1) the oldest.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::shim {

class JsonLogWriter {
 public:
  static Result<JsonLogWriter> open(const std::string& path, uint64_t max_size, int max_files);
  // Appends output of a stream ("stdout" or "stderr"), buffering a partial
  // last line until its newline comes (or 16 KiB collect, or flush()).
  Result<void> write(std::string_view stream, std::string_view bytes);
  Result<void> flush();  // writes out partial lines (at exit)

  // Bytes a partial line collects before it is written as an entry of its own.
  static constexpr size_t kMaxLine = 16 * 1024;

 private:
  JsonLogWriter() = default;
  Result<void> add_entry(std::string_view stream, std::string_view bytes, const timespec& now);
  Result<void> write_batch();
  Result<void> rotate();

  std::string path_;
  uint64_t max_size_ = 0;
  int max_files_ = 1;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string partial_out_, partial_err_;
  std::string batch_;  // encoded entries of one write(), written with one syscall
};

struct LogEntry {
  std::string stream;  // "stdout" or "stderr"
  std::string time;    // RFC 3339 nano, as written
  int64_t time_ns = 0; // since the epoch
  std::string log;     // the bytes, including the trailing "\n" when there is one
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

// Calls sink for each entry in order, across the rotated files. Stops early
// (successfully) when sink returns false. A missing log file is no entries.
Result<void> read_json_log(const std::string& path, const LogReadOptions& opts,
                           const std::function<bool(const LogEntry&)>& sink);

}  // namespace berth::shim
