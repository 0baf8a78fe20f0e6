#include "base/file.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace berth {
namespace {

Result<std::string> read_all(int fd, const std::string& path) {
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("reading " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("writing " + path);
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<std::string> read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

Result<std::string> read_file_at(int dirfd, const std::string& path) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + path);
  return read_all(fd.get(), path);
}

Result<void> write_existing(const std::string& path, std::string_view data) {
  return write_existing_at(AT_FDCWD, path, data);
}

Result<void> write_existing_at(int dirfd, const std::string& path, std::string_view data) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + path);
  // One write call: kernel interface files take a value per write.
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("writing '" + std::string(data) + "' to " + path);
  return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, int mode,
                               bool durable) {
  // Per thread, not per process: two threads replacing one file must not share a temporary.
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(::gettid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail_errno("creating " + tmp);
  if (auto r = write_all(fd.get(), data, tmp); !r) {
    ::unlink(tmp.c_str());
    return r;
  }
  if (durable && ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail_errno("syncing " + tmp, err);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail_errno("renaming " + tmp + " to " + path, err);
  }
  if (durable) {
    std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
    UniqueFd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd) ::fsync(dfd.get());
  }
  return {};
}

}  // namespace berth
