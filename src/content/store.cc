#include "content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "base/log.h"
#include "content/store_dirs.h"

namespace berth::content {
namespace detail {

Result<void> write_all(int fd, std::string_view data, const std::string& what) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what);
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<void> ensure_dir_at(int dirfd, const std::string& name, const std::string& what) {
  if (::mkdirat(dirfd, name.c_str(), 0755) != 0 && errno != EEXIST)
    return fail_errno(what + ": creating directory " + name);
  return {};
}

Result<void> sync_dir_at(int dirfd, const std::string& name, const std::string& what) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_errno(what + ": opening directory " + name + " to sync it");
  if (::fsync(fd.get()) != 0) return fail_errno(what + ": fsync of directory " + name);
  return {};
}

}  // namespace detail

namespace {

// mkdir -p for the root itself (it is given as a path, not under a dirfd).
Result<void> mkdir_all(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return fail_errno("creating store directory " + prefix);
  }
  return {};
}

Result<UniqueFd> open_dir_at(int dirfd, const std::string& name, const std::string& what) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_errno(what);
  return fd;
}

}  // namespace

Result<Store> Store::open(const std::string& root, Options options) {
  if (root.empty()) return fail(Errc::InvalidArgument, "opening content store: empty root path");
  TRYV(mkdir_all(root));
  auto dirs = std::make_shared<detail::StoreDirs>();
  dirs->root = root;
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail_errno("opening content store root " + root);
  std::string what = "opening content store " + root;
  TRYV(detail::ensure_dir_at(root_fd.get(), detail::kBlobsDir, what));
  TRYV(detail::ensure_dir_at(root_fd.get(), detail::kIngestDir, what));
  dirs->blobs_fd = TRY(open_dir_at(root_fd.get(), detail::kBlobsDir, what + ": opening blobs/"));
  dirs->ingest_fd = TRY(open_dir_at(root_fd.get(), detail::kIngestDir, what + ": opening ingest/"));
  TRYV(detail::ensure_dir_at(dirs->blobs_fd.get(), std::string(kSha256), what));
  dirs->root_fd = std::move(root_fd);
  Store store(std::move(dirs));
  // Temps of writers killed earlier; a failed sweep does not stop the store.
  if (auto swept = store.clean_ingest(options.stale_temp_age); !swept)
    log::warn("{}: sweeping ingest: {}", what, swept.error().str());
  else if (!swept->removed_temps.empty())
    log::info("{}: removed {} stale ingest files", what, swept->removed_temps.size());
  return store;
}

const std::string& Store::root() const { return dirs_->root; }

Result<Digest> Store::write(const Digest& expected, std::string_view data) {
  auto w = TRY(writer(expected, data.size()));
  TRYV(w.write(data));
  return w.commit();
}

Result<Digest> Store::write(std::string_view data) {
  auto w = TRY(writer());
  TRYV(w.write(data));
  return w.commit();
}

Result<Digest> Store::write_from_fd(const Digest& expected, int fd, std::optional<uint64_t> size) {
  auto w = TRY(writer(expected, size));
  std::vector<char> buf(detail::kChunk);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("writing blob " + expected.str() + ": reading source fd");
    }
    if (n == 0) break;
    TRYV(w.write(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
  return w.commit();
}

bool Store::exists(const Digest& d) const {
  struct stat st;
  return ::fstatat(dirs_->blobs_fd.get(), detail::blob_rel(d).c_str(), &st,
                   AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode);
}

Result<BlobInfo> Store::info(const Digest& d) const {
  struct stat st;
  if (::fstatat(dirs_->blobs_fd.get(), detail::blob_rel(d).c_str(), &st, AT_SYMLINK_NOFOLLOW) !=
      0)
    return fail_errno("blob " + d.str() + " in " + dirs_->root);
  if (!S_ISREG(st.st_mode))
    return fail(Errc::Internal, detail::blob_path(*dirs_, d) + " is not a regular file");
  return BlobInfo{d, static_cast<uint64_t>(st.st_size)};
}

Result<UniqueFd> Store::open_blob(const Digest& d) const {
  UniqueFd fd(::openat(dirs_->blobs_fd.get(), detail::blob_rel(d).c_str(),
                       O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_errno("opening blob " + d.str() + " in " + dirs_->root);
  return fd;
}

Result<std::string> Store::read(const Digest& d) const {
  auto fd = TRY(open_blob(d));
  std::string out;
  std::vector<char> buf(detail::kChunk);
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("reading blob " + d.str());
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

Result<void> Store::verify(const Digest& d) const {
  auto fd = TRY(open_blob(d));
  auto hasher = TRY(Hasher::create(d.algorithm()));
  std::vector<char> buf(detail::kChunk);
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("verifying blob " + d.str() + ": reading");
    }
    if (n == 0) break;
    hasher.update(buf.data(), static_cast<size_t>(n));
  }
  Digest actual = hasher.finish();
  if (actual != d)
    return fail(Errc::InvalidArgument, "verifying blob " + d.str() + ": content hashes to " +
                                           actual.str() + " (" + detail::blob_path(*dirs_, d) +
                                           " is corrupt)");
  return {};
}

Result<void> Store::remove(const Digest& d) {
  if (::unlinkat(dirs_->blobs_fd.get(), detail::blob_rel(d).c_str(), 0) != 0)
    return fail_errno("removing blob " + d.str() + " from " + dirs_->root);
  return {};
}

Result<std::vector<BlobInfo>> Store::list() const {
  std::vector<BlobInfo> out;
  // A fresh dirfd per walk: readdir offsets must not be shared between threads.
  UniqueFd fd(::openat(dirs_->blobs_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("listing blobs in " + dirs_->root);
  DIR* top = ::fdopendir(fd.release());
  if (!top) return fail_errno("listing blobs in " + dirs_->root);
  std::vector<std::string> algorithms;
  while (dirent* e = ::readdir(top)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") algorithms.push_back(name);
  }
  ::closedir(top);
  for (const auto& alg : algorithms) {
    UniqueFd afd(::openat(dirs_->blobs_fd.get(), alg.c_str(),
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!afd) {
      log::warn("content store {}: skipping blobs/{}: not a directory", dirs_->root, alg);
      continue;
    }
    int afd_raw = afd.get();
    DIR* dir = ::fdopendir(afd.release());
    if (!dir) return fail_errno("listing blobs/" + alg + " in " + dirs_->root);
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      auto d = Digest::from_parts(alg, name);
      if (!d) {
        log::warn("content store {}: ignoring stray entry blobs/{}/{}", dirs_->root, alg, name);
        continue;
      }
      struct stat st;
      if (::fstatat(afd_raw, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // raced
      if (!S_ISREG(st.st_mode)) continue;
      out.push_back(BlobInfo{std::move(*d), static_cast<uint64_t>(st.st_size)});
    }
    ::closedir(dir);
  }
  return out;
}

}  // namespace berth::content
