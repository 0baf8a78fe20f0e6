// Where an export goes: a directory, or a tar stream on an fd (ustar, written
// here: entries are files and directories with short names, so nothing of
// libarchive's generality is needed). Paths are relative, '/'-separated.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::image {

class ExportSink {
 public:
  virtual ~ExportSink() = default;
  virtual Result<void> add_dir(const std::string& path) = 0;
  virtual Result<void> add_file(const std::string& path, std::string_view data) = 0;
  // Copies exactly `size` bytes from fd (read from its start).
  virtual Result<void> add_file_from_fd(const std::string& path, int fd, uint64_t size) = 0;
  // Ends the export (tar: the two zero blocks).
  virtual Result<void> finish() = 0;
};

// Creates `dir` if missing; files must not exist yet, except ones rewritten
// whole (index.json) which are replaced atomically.
Result<std::unique_ptr<ExportSink>> dir_sink(const std::string& dir);
// Writes to fd, which the caller keeps owning.
std::unique_ptr<ExportSink> tar_sink(int fd);

}  // namespace berth::image
