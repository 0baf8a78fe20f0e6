#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "content/store.h"
#include "content/store_dirs.h"

namespace berth::content {

Writer::Writer(std::shared_ptr<const detail::StoreDirs> dirs, std::string temp_name, UniqueFd fd,
               Hasher hasher, std::optional<Digest> expected,
               std::optional<uint64_t> expected_size)
    : dirs_(std::move(dirs)),
      temp_name_(std::move(temp_name)),
      fd_(std::move(fd)),
      hasher_(std::move(hasher)),
      expected_(std::move(expected)),
      expected_size_(expected_size) {}

Writer::Writer(Writer&& o) noexcept
    : dirs_(std::move(o.dirs_)),
      temp_name_(std::exchange(o.temp_name_, {})),
      fd_(std::move(o.fd_)),
      hasher_(std::move(o.hasher_)),
      expected_(std::move(o.expected_)),
      expected_size_(o.expected_size_),
      written_(o.written_),
      resumable_(o.resumable_) {}

Writer& Writer::operator=(Writer&& o) noexcept {
  if (this != &o) {
    abort();
    dirs_ = std::move(o.dirs_);
    temp_name_ = std::exchange(o.temp_name_, {});
    fd_ = std::move(o.fd_);
    hasher_ = std::move(o.hasher_);
    expected_ = std::move(o.expected_);
    expected_size_ = o.expected_size_;
    written_ = o.written_;
    resumable_ = o.resumable_;
  }
  return *this;
}

Writer::~Writer() { abort(); }

void Writer::abort() {
  if (temp_name_.empty()) return;
  if (resumable_) {
    // Its bytes are verified as far as they go (a hash of them continues on
    // resume): what reached the file stays, for the next writer.
    temp_name_.clear();
    fd_.reset();  // and with it the lock
    return;
  }
  discard();
}

void Writer::discard() {
  if (temp_name_.empty()) return;
  ::unlinkat(dirs_->ingest_fd.get(), temp_name_.c_str(), 0);
  temp_name_.clear();
  fd_.reset();
}

static std::string what_blob(const std::optional<Digest>& expected) {
  return expected ? "blob " + expected->str() : "blob";
}

Result<void> Writer::write(std::string_view chunk) {
  if (temp_name_.empty())
    return fail(Errc::InvalidArgument, "writing " + what_blob(expected_) + ": writer is closed");
  if (expected_size_ && written_ + chunk.size() > *expected_size_) {
    uint64_t got = written_ + chunk.size();
    discard();
    return fail(Errc::InvalidArgument, "writing " + what_blob(expected_) +
                                           ": size mismatch: expected " +
                                           std::to_string(*expected_size_) + " bytes, got at least " +
                                           std::to_string(got));
  }
  if (auto r = detail::write_all(fd_.get(), chunk, "writing " + what_blob(expected_)); !r) {
    abort();
    return r;
  }
  hasher_.update(chunk);
  written_ += chunk.size();
  return {};
}

Result<UniqueFd> Writer::open_reader() const {
  if (temp_name_.empty()) return fail(Errc::InvalidArgument, "reading " + what_blob(expected_) + ": writer is closed");
  UniqueFd fd(::openat(dirs_->ingest_fd.get(), temp_name_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_errno("opening " + dirs_->root + "/ingest/" + temp_name_ + " to read");
  return fd;
}

Result<Digest> Writer::commit() {
  std::string what = "committing " + what_blob(expected_);
  if (temp_name_.empty()) return fail(Errc::InvalidArgument, what + ": writer is closed");
  // Any failure below leaves nothing behind: the temp file goes with the writer.
  if (expected_size_ && written_ != *expected_size_) {
    discard();
    return fail(Errc::InvalidArgument, what + ": size mismatch: expected " +
                                           std::to_string(*expected_size_) + " bytes, got " +
                                           std::to_string(written_));
  }
  Digest actual = hasher_.finish();
  if (expected_ && actual != *expected_) {
    discard();
    return fail(Errc::InvalidArgument,
                what + ": digest mismatch: expected " + expected_->str() + ", got " + actual.str());
  }
  if (resumable_) (void)::fchmod(fd_.get(), 0444);  // committed blobs are read-only
  // Data reaches disk before the name does, so a crash never leaves a short blob.
  if (::fsync(fd_.get()) != 0) {
    int err = errno;
    abort();
    return fail_errno(what + ": fsync of " + dirs_->root + "/ingest/" + temp_name_, err);
  }
  if (auto r = detail::ensure_dir_at(dirs_->blobs_fd.get(), actual.algorithm(), what); !r) {
    abort();
    return std::unexpected(r.error());
  }
  std::string rel = detail::blob_rel(actual);
  // NOREPLACE: a concurrent writer of the same blob may have won; its blob is
  // just as verified as ours, so we discard ours.
  int rc = ::renameat2(dirs_->ingest_fd.get(), temp_name_.c_str(), dirs_->blobs_fd.get(),
                       rel.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {
    // Filesystem without RENAME_NOREPLACE: replacing identical content is harmless.
    rc = ::renameat(dirs_->ingest_fd.get(), temp_name_.c_str(), dirs_->blobs_fd.get(),
                    rel.c_str());
  }
  if (rc != 0) {
    int err = errno;
    abort();
    if (err == EEXIST) return actual;
    return fail_errno(what + ": renaming into " + detail::blob_path(*dirs_, actual), err);
  }
  temp_name_.clear();
  fd_.reset();
  TRYV(detail::sync_dir_at(dirs_->blobs_fd.get(), actual.algorithm(), what));
  return actual;
}

namespace {

Result<std::string> random_temp_name() {
  unsigned char buf[12];
  size_t got = 0;
  while (got < sizeof buf) {
    ssize_t n = ::getrandom(buf + got, sizeof buf - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("getrandom for an ingest file name");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "tmp-";
  for (unsigned char c : buf) {
    name += kHex[c >> 4];
    name += kHex[c & 0xf];
  }
  return name;
}

}  // namespace

Result<Writer> Store::writer(const Digest& expected, std::optional<uint64_t> size) {
  std::string what = "opening writer for blob " + expected.str();
  auto hasher = TRY_CTX(Hasher::create(expected.algorithm()), what);
  // Between our create and our lock, another process's ingest sweep (every
  // Store::open runs one) can hold the lock for a moment to look at the file,
  // or, with a zero age, remove it: so wait for the lock, and start again
  // with a new name if the file lost its name meanwhile.
  for (int attempt = 0;; ++attempt) {
    std::string name = TRY_CTX(random_temp_name(), what);
    // 0444 from the start: committed blobs are read-only; our fd stays writable.
    UniqueFd fd(::openat(dirs_->ingest_fd.get(), name.c_str(),
                         O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444));
    if (!fd) return fail_errno(what + ": creating " + dirs_->root + "/ingest/" + name);
    // The lock marks the temp as live: the ingest sweep skips locked files, and a
    // killed writer's lock goes away with its process.
    int rc;
    do {
      rc = ::flock(fd.get(), LOCK_EX);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      ::unlinkat(dirs_->ingest_fd.get(), name.c_str(), 0);
      return fail_errno(what + ": locking " + dirs_->root + "/ingest/" + name, err);
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_errno(what + ": stat of " + dirs_->root + "/ingest/" + name);
    if (st.st_nlink > 0) return Writer(dirs_, std::move(name), std::move(fd), std::move(hasher), expected, size);
    if (attempt == 3) return fail(Errc::Internal, what + ": the ingest sweep kept removing the new file");
  }
}

Result<Writer> Store::resumable_writer(const Digest& expected, std::optional<uint64_t> size) {
  std::string what = "opening writer for blob " + expected.str();
  std::string name = "ref-" + expected.algorithm() + "-" + expected.hex();
  for (int attempt = 0;; ++attempt) {
    if (exists(expected)) return fail(Errc::AlreadyExists, "blob " + expected.str() + " is in the store");
    UniqueFd fd(::openat(dirs_->ingest_fd.get(), name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return fail_errno(what + ": opening " + dirs_->root + "/ingest/" + name);
    int rc;
    do {
      rc = ::flock(fd.get(), LOCK_EX);  // another writer of this blob: wait for it
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return fail_errno(what + ": locking " + dirs_->root + "/ingest/" + name);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return fail_errno(what + ": stat of " + dirs_->root + "/ingest/" + name);
    if (st.st_nlink == 0) {  // committed, discarded or swept while we waited: look again
      if (attempt == 3) return fail(Errc::Internal, what + ": the ingest kept going away");
      continue;
    }
    if (exists(expected)) {  // committed by the writer we waited for, after our first look
      if (st.st_size == 0) ::unlinkat(dirs_->ingest_fd.get(), name.c_str(), 0);  // ours, just made
      return fail(Errc::AlreadyExists, "blob " + expected.str() + " is in the store");
    }
    auto hasher = TRY_CTX(Hasher::create(expected.algorithm()), what);
    uint64_t have = static_cast<uint64_t>(st.st_size);
    if (size && have > *size) {  // more than the blob has: not a prefix of it
      if (::ftruncate(fd.get(), 0) != 0) return fail_errno(what + ": truncating " + name);
      have = 0;
    }
    // Hash what is there again (it was written by a process we cannot vouch for).
    std::string buf(1 << 20, '\0');
    uint64_t hashed = 0;
    while (hashed < have) {
      ssize_t n = ::pread(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), have - hashed), static_cast<off_t>(hashed));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail_errno(what + ": reading " + dirs_->root + "/ingest/" + name);
      hasher.update(std::string_view(buf.data(), static_cast<size_t>(n)));
      hashed += static_cast<uint64_t>(n);
    }
    if (::lseek(fd.get(), static_cast<off_t>(have), SEEK_SET) < 0) return fail_errno(what + ": seeking in " + name);
    Writer w(dirs_, name, std::move(fd), std::move(hasher), expected, size);
    w.written_ = have;
    w.resumable_ = true;
    return w;
  }
}

Result<Writer> Store::writer() {
  auto w = TRY(writer(sha256(""), std::nullopt));
  w.expected_.reset();  // digest unknown until commit
  return w;
}

}  // namespace berth::content
