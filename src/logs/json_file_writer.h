// Docker's json-file log, written by berth-shim and read by berthd for
// `docker logs`. One JSON object per line:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T22:00:00.123456789Z"}
// A line longer than 16 KiB is split into several entries (only the last
// ends in "\n"), as Docker does. Rotation: PATH is the current file, PATH.1 the
// previous one, ... PATH.(max_files-1) the oldest.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"
#include "logs/log_writer.h"

namespace berth::logs {

struct JsonFileOptions {
  uint64_t max_size = 0;  // rotate before the file would exceed this (0: never, Docker's default)
  int max_files = 1;      // files kept, counting the current one (only with max_size, as in Docker)
};

// max-size, max-file and compress as Docker's json-file driver reads them,
// with its messages; options it does not know are refused (validate_log_config
// gives the full rules).
Result<JsonFileOptions> parse_json_file_options(const LogOptions& options);

class JsonFileWriter final : public LogWriter {
 public:
  static Result<std::unique_ptr<JsonFileWriter>> open(const std::string& path, const JsonFileOptions& options);
  // Buffers a partial last line until its newline comes (or 16 KiB collect, or flush()).
  Result<void> write(Stream stream, std::string_view bytes) override;
  Result<void> flush() override;

  // Bytes a partial line collects before it is written as an entry of its own.
  static constexpr size_t kMaxLine = 16 * 1024;

 private:
  JsonFileWriter() = default;
  Result<void> add_entry(Stream stream, std::string_view bytes, const timespec& now);
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

}  // namespace berth::logs
