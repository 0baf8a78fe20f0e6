#include "image/export_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/file.h"
#include "base/unique_fd.h"

namespace berth::image {
namespace {

Result<void> write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return fail_errno("writing export");
    p += w;
    n -= static_cast<size_t>(w);
  }
  return {};
}

// Streams `size` bytes of in (from offset 0) to `emit`.
template <class F>
Result<void> copy_fd(int in, uint64_t size, F&& emit) {
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  while (off < size) {
    ssize_t n = ::pread(in, buf.data(), std::min<uint64_t>(buf.size(), size - off), off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading blob for export");
    if (n == 0) return fail(Errc::Internal, "blob shorter than its recorded size");
    TRYV(emit(buf.data(), static_cast<size_t>(n)));
    off += static_cast<uint64_t>(n);
  }
  return {};
}

class DirSink final : public ExportSink {
 public:
  explicit DirSink(std::string dir) : dir_(std::move(dir)) {}
  Result<void> add_dir(const std::string& path) override {
    std::string p = dir_ + "/" + path;
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + p);
    return {};
  }
  Result<void> add_file(const std::string& path, std::string_view data) override {
    return write_file_atomic(dir_ + "/" + path, data, 0644, /*durable=*/false);
  }
  Result<void> add_file_from_fd(const std::string& path, int fd, uint64_t size) override {
    std::string p = dir_ + "/" + path;
    if (::access(p.c_str(), F_OK) == 0) return {};  // content-addressed: same name, same bytes
    std::string tmp = p + ".tmp";
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out) return fail_errno("creating " + tmp);
    auto r = copy_fd(fd, size, [&](const char* b, size_t n) { return write_all(out.get(), b, n); });
    if (!r || ::rename(tmp.c_str(), p.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (!r) return r;
      return fail_errno("renaming " + tmp, err);
    }
    return {};
  }
  Result<void> finish() override { return {}; }

 private:
  std::string dir_;
};

class TarSink final : public ExportSink {
 public:
  explicit TarSink(int fd) : fd_(fd) {}
  Result<void> add_dir(const std::string& path) override {
    return header(path + "/", '5', 0, 0755);
  }
  Result<void> add_file(const std::string& path, std::string_view data) override {
    TRYV(header(path, '0', data.size(), 0644));
    TRYV(write_all(fd_, data.data(), data.size()));
    return pad(data.size());
  }
  Result<void> add_file_from_fd(const std::string& path, int fd, uint64_t size) override {
    TRYV(header(path, '0', size, 0644));
    TRYV(copy_fd(fd, size, [&](const char* b, size_t n) { return write_all(fd_, b, n); }));
    return pad(size);
  }
  Result<void> finish() override {
    char zero[1024] = {};
    return write_all(fd_, zero, sizeof zero);
  }

 private:
  Result<void> header(const std::string& name, char type, uint64_t size, int mode) {
    if (name.size() > 99) return fail(Errc::Internal, "tar entry name too long: " + name);
    if (size >= (uint64_t{1} << 33)) return fail(Errc::Unsupported, "tar entry over 8 GiB: " + name);
    char h[512] = {};
    std::memcpy(h, name.data(), name.size());
    std::snprintf(h + 100, 8, "%07o", mode);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(size));
    std::snprintf(h + 136, 12, "%011o", 0);
    h[156] = type;
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    return write_all(fd_, h, sizeof h);
  }
  Result<void> pad(uint64_t size) {
    char zero[512] = {};
    size_t rem = size % 512;
    return rem ? write_all(fd_, zero, 512 - rem) : Result<void>{};
  }
  int fd_;
};

}  // namespace

Result<std::unique_ptr<ExportSink>> dir_sink(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
  return std::unique_ptr<ExportSink>(new DirSink(dir));
}

std::unique_ptr<ExportSink> tar_sink(int fd) { return std::make_unique<TarSink>(fd); }

}  // namespace berth::image
