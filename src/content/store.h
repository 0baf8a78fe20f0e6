// Content-addressed blob store rooted at a directory:
//   ROOT/blobs/<algorithm>/<hex>   committed, verified blobs (read-only 0444)
//   ROOT/ingest/<random>           one temp file per in-flight writer
//   ROOT/ingest/ref-<alg>-<hex>    a resumable ingest of a known blob (a download)
// A writer hashes while it streams, and commit verifies digest and size, fsyncs,
// renames into place without replacing, and fsyncs the directory. So a reader
// (or a crash at any point) sees either no blob or the complete verified one.
// Every path is opened relative to the root's dirfd from a validated digest,
// so nothing is ever written outside ROOT.
//
// The store knows nothing of images: gc takes the referenced set from the
// caller, who must keep writers and gc from racing (a blob committed while gc
// runs and not in the set is removed).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "content/digest.h"

namespace berth::content {

struct BlobInfo {
  Digest digest;
  uint64_t size = 0;
};

struct GcResult {
  std::vector<Digest> removed_blobs;
  std::vector<std::string> removed_temps;  // names under ROOT/ingest
  uint64_t bytes_freed = 0;                // blobs and temps together
};

namespace detail {
struct StoreDirs;  // shared by the store and its writers
}

// One in-flight blob. Not thread-safe; move-only. Dropping it without commit
// removes its temp file, except a resumable one's (Store::resumable_writer),
// which stays for the next writer of that blob; discard() removes any.
class Writer {
 public:
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;
  ~Writer();

  // Writes and hashes a chunk. Fails early once more than the expected size arrives.
  Result<void> write(std::string_view chunk);
  // Verifies, fsyncs and publishes the blob. A mismatch is InvalidArgument and
  // removes the temp file. If the blob already exists, succeeds and discards ours.
  Result<Digest> commit();
  // Drops the writer: a plain one's temp file goes, a resumable one's stays.
  void abort();
  // Removes the temp file, resumable or not; the writer is spent.
  void discard();
  uint64_t written() const { return written_; }
  // A read-only descriptor of the bytes written so far (and of those still to
  // come): it stays valid across commit's rename, so a reader can follow a
  // download from its first byte.
  Result<UniqueFd> open_reader() const;

 private:
  friend class Store;
  Writer(std::shared_ptr<const detail::StoreDirs> dirs, std::string temp_name, UniqueFd fd,
         Hasher hasher, std::optional<Digest> expected, std::optional<uint64_t> expected_size);
  Result<void> fail_cleanup();

  std::shared_ptr<const detail::StoreDirs> dirs_;
  std::string temp_name_;  // empty once committed or aborted
  UniqueFd fd_;
  Hasher hasher_;
  std::optional<Digest> expected_;
  std::optional<uint64_t> expected_size_;
  uint64_t written_ = 0;
  bool resumable_ = false;
};

class Store {
 public:
  struct Options {
    // Temp files in ingest/ not locked by a live writer and older than this
    // are removed when the store is opened.
    std::chrono::seconds stale_temp_age{std::chrono::hours(1)};
  };

  // Creates ROOT/blobs/sha256 and ROOT/ingest if needed, then sweeps stale temps.
  static Result<Store> open(const std::string& root, Options options);
  static Result<Store> open(const std::string& root) { return open(root, Options{}); }

  const std::string& root() const;

  // A writer for a known digest (and optionally size), or for content whose
  // digest is computed (sha256) and returned by commit.
  Result<Writer> writer(const Digest& expected, std::optional<uint64_t> size = std::nullopt);
  Result<Writer> writer();
  // A writer that continues the ingest of `expected` a dropped download or a
  // killed process left: written() says how far it got (those bytes are
  // hashed again, so the digest covers them). The ingest is locked while the
  // writer lives; another writer of the same blob waits for it. AlreadyExists
  // when the blob is there (committed meanwhile). A left ingest stays until
  // it has been idle for stale_temp_age (open's sweep, gc): that age is its lease.
  Result<Writer> resumable_writer(const Digest& expected, std::optional<uint64_t> size = std::nullopt);

  // Conveniences over writer(): the whole content from a buffer or an fd (read to EOF).
  Result<Digest> write(const Digest& expected, std::string_view data);
  Result<Digest> write(std::string_view data);
  Result<Digest> write_from_fd(const Digest& expected, int fd,
                               std::optional<uint64_t> size = std::nullopt);

  bool exists(const Digest& d) const;
  Result<BlobInfo> info(const Digest& d) const;
  Result<UniqueFd> open_blob(const Digest& d) const;  // O_RDONLY|O_CLOEXEC
  Result<std::string> read(const Digest& d) const;
  // Re-hashes a committed blob (fsck); InvalidArgument on mismatch.
  Result<void> verify(const Digest& d) const;
  Result<void> remove(const Digest& d);  // NotFound when absent
  Result<std::vector<BlobInfo>> list() const;

  // Removes every blob not in `referenced` and every unlocked ingest temp
  // older than `stale_temp_age`.
  Result<GcResult> gc(const std::unordered_set<Digest>& referenced,
                      std::chrono::seconds stale_temp_age);
  // Only the ingest sweep part of gc.
  Result<GcResult> clean_ingest(std::chrono::seconds stale_temp_age);

 private:
  explicit Store(std::shared_ptr<const detail::StoreDirs> dirs) : dirs_(std::move(dirs)) {}
  std::shared_ptr<const detail::StoreDirs> dirs_;
};

}  // namespace berth::content
