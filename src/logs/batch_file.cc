#include "logs/batch_file.h"

#include <unistd.h>

#include <cerrno>

namespace berth::logs {

Result<void> write_batch_to(int fd, std::string& batch, const std::string& path, size_t keep_capacity) {
  size_t off = 0;
  while (off < batch.size()) {
    ssize_t n = ::write(fd, batch.data() + off, batch.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      batch.clear();
      return fail_errno("writing log file " + path, err);
    }
    off += static_cast<size_t>(n);
  }
  batch.clear();
  if (batch.capacity() > keep_capacity) batch.shrink_to_fit();
  return {};
}

}  // namespace berth::logs
