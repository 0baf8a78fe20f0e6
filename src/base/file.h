// Whole-file reads and writes. Persisted state goes through write_file_atomic
// (temp file + fsync + rename) so a crash leaves the old or the new content.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

Result<std::string> read_file(const std::string& path);
// Reads relative to a directory fd (dirfd may be AT_FDCWD).
Result<std::string> read_file_at(int dirfd, const std::string& path);
// Writes to an existing file without creating or truncating it (cgroup, proc, sys files).
Result<void> write_existing(const std::string& path, std::string_view data);
Result<void> write_existing_at(int dirfd, const std::string& path, std::string_view data);
// Atomic replace: path.tmp-PID-TID, fsync, rename, fsync of the directory when durable.
Result<void> write_file_atomic(const std::string& path, std::string_view data, int mode = 0644,
                               bool durable = true);

}  // namespace berth
