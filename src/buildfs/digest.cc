// digest_sources: one sha256 over a canonical record of each source's tree.
// Every field is length-prefixed or fixed-size, so no two trees share a
// record stream; times are left out on purpose (the cache must survive a
// touch, not a changed byte).
//
// The cost is syscalls (a stat, an open, a read and a close per file), so
// the work is split: one thread walks the tree in order and records every
// entry, then the files' contents are hashed on a few threads at once (each
// file to its own sha256), and the records and those digests are hashed in
// order at the end.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "buildfs/in_root.h"
#include "buildfs/sources.h"
#include "content/digest.h"
#include "layer/fs_util.h"
#include "sys/syscalls.h"

namespace berth::buildfs {
namespace {

constexpr size_t kChunk = 256 * 1024;
constexpr size_t kFilesPerThread = 256;  // fewer files than this per extra thread: not worth a thread
constexpr unsigned kMaxThreads = 4;

// One regular file whose content is hashed: where it is and what it became.
struct FileJob {
  std::string path;  // from the root, without symlinks
  uint64_t size;
  bool exec;
  std::array<unsigned char, 32> digest;
};

// The walk's output: the record stream with holes for file digests.
struct Walk {
  std::string records;        // the canonical stream, file contents left out
  std::vector<size_t> holes;  // where each file's digest goes in records
  std::vector<FileJob> files;
};

class Walker {
 public:
  explicit Walker(Walk& w) : w_(w) {}

  Result<void> source(int root, const Source& s) {
    auto at = TRY(resolve_in_root(root, s.rel));
    str("source");
    str(s.rel);
    u64(S_ISDIR(at.st.st_mode) ? 1 : 0);
    links_.clear();
    // Files are opened later by their canonical path from the root (no fd
    // kept per source: a glob may match thousands).
    if (!S_ISDIR(at.st.st_mode)) return entry(at.dir.get(), at.leaf, "", at.path, at.st);
    UniqueFd dir = TRY(open_resolved(at, O_RDONLY | O_DIRECTORY));
    return children(dir.get(), "", at.path);
  }

 private:
  void bytes(const void* p, size_t n) { w_.records.append(static_cast<const char*>(p), n); }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }

  // The entries of dirfd, rel prefix in the record, path prefix from the root.
  Result<void> children(int dirfd, const std::string& prefix, const std::string& path) {
    auto names = TRY_CTX(layer::list_dir(dirfd), "reading directory " + shown(prefix));
    for (const auto& name : names) {
      std::string rel = prefix.empty() ? name : prefix + "/" + name;
      struct stat st;
      if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("lstat " + rel);
      TRYV(entry(dirfd, name, rel, path.empty() ? name : path + "/" + name, st));
    }
    return {};
  }

  // rel names the entry in the record ("" for a file source); path is its
  // canonical path from the root.
  Result<void> entry(int dirfd, const std::string& name, const std::string& rel, const std::string& path,
                     const struct stat& st) {
    if (S_ISSOCK(st.st_mode)) return {};  // COPY skips sockets, as Docker's tar does
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = links_.emplace(std::pair{st.st_dev, st.st_ino}, rel);
      if (!first) {  // copied as a hard link: its name and the first one's are the record
        bytes("h", 1);
        str(rel);
        str(it->second);
        return {};
      }
    }
    char type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l'
              : S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : 'p';
    bytes(&type, 1);
    str(rel);
    u64(st.st_mode & 07777);
    u64(st.st_uid);
    u64(st.st_gid);
    u64(S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0);
    u64(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? st.st_rdev : 0);
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(dirfd, name.c_str(), target, sizeof target);
      if (n < 0) return fail_errno("reading symlink " + shown(rel));
      str(std::string_view(target, static_cast<size_t>(n)));
      return {};
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return fail_errno("opening " + shown(rel));
      return children(sub.get(), rel, path);
    }
    if (S_ISREG(st.st_mode)) {
      w_.holes.push_back(w_.records.size());
      w_.files.push_back({path, static_cast<uint64_t>(st.st_size), (st.st_mode & 0111) != 0, {}});
    }
    return {};
  }

  static std::string shown(const std::string& rel) { return rel.empty() ? "." : rel; }

  Walk& w_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first name of each multiply-linked inode
};

// sha256 for the file jobs: the algorithm fetched once and one context per
// thread (an implicit fetch per file costs more than hashing a small file).
struct Sha256 {
  struct MdFree {
    void operator()(EVP_MD* m) const { EVP_MD_free(m); }
  };
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD, MdFree> md{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
};

// A file's content (up to the size its stat gave: the copy reads it again
// anyway) and, for an executable, its security.capability (the one xattr
// COPY carries over; on anything else it means nothing, and asking every
// file costs a fifth of the time).
Result<void> hash_file(int root, FileJob& job, char* buf, EVP_MD_CTX* ctx, const EVP_MD* md) {
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;  // a FIFO swapped in does not block
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(sys::openat2(root, job.path.c_str(), &how));
  if (!fd) return fail_errno("opening " + job.path);
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1) return fail(Errc::Internal, "starting a sha256");
  uint64_t total = 0;
  while (total < job.size) {
    ssize_t n = ::read(fd.get(), buf, static_cast<size_t>(std::min<uint64_t>(kChunk, job.size - total)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading " + job.path);
    if (n == 0) break;
    EVP_DigestUpdate(ctx, buf, static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  EVP_DigestUpdate(ctx, &total, sizeof total);  // what was read, should the file have shrunk since its stat
  if (job.exec) {
    char cap[256];
    ssize_t n = ::fgetxattr(fd.get(), "security.capability", cap, sizeof cap);
    if (n < 0 && errno != ENODATA && errno != ENOTSUP) return fail_errno("reading security.capability of " + job.path);
    uint64_t len = n > 0 ? static_cast<uint64_t>(n) : 0;
    EVP_DigestUpdate(ctx, &len, sizeof len);
    EVP_DigestUpdate(ctx, cap, len);
  }
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, job.digest.data(), &len) != 1 || len != job.digest.size())
    return fail(Errc::Internal, "finishing a sha256");
  return {};
}

// Hashes every file job, on up to kMaxThreads threads.
Result<void> hash_files(int root, std::vector<FileJob>& files) {
  unsigned threads = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, kMaxThreads);
  threads = static_cast<unsigned>(std::min<size_t>(threads, 1 + files.size() / kFilesPerThread));
  Sha256 sha;
  if (!sha.md) return fail(Errc::Internal, "sha256 is not available");
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first_error;
  auto work = [&] {
    std::unique_ptr<char[]> buf(new char[kChunk]);
    std::unique_ptr<EVP_MD_CTX, Sha256::CtxFree> ctx(EVP_MD_CTX_new());
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      auto r = ctx ? hash_file(root, files[i], buf.get(), ctx.get(), sha.md.get())
                   : Result<void>(fail(Errc::Internal, "allocating a sha256"));
      if (!r) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::move(r.error());
        next = files.size();  // the others stop too
      }
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no thread to be had: the ones there are do the work
    }
  }
  work();
  for (auto& t : helpers) t.join();
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

}  // namespace

Result<std::string> digest_sources(int root_fd, const std::vector<Source>& sources) {
  Walk w;
  Walker walker(w);
  for (const auto& s : sources) TRYV_CTX(walker.source(root_fd, s), "hashing " + s.rel);
  TRYV_CTX(hash_files(root_fd, w.files), "hashing sources");
  auto h = TRY(content::Hasher::create());
  size_t at = 0;
  for (size_t i = 0; i < w.files.size(); ++i) {
    h.update(w.records.data() + at, w.holes[i] - at);
    h.update(w.files[i].digest.data(), w.files[i].digest.size());
    at = w.holes[i];
  }
  h.update(w.records.data() + at, w.records.size() - at);
  return h.finish().str();
}

}  // namespace berth::buildfs
