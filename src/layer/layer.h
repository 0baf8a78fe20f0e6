// Layers: apply a layer tar (plain, gzip or zstd) into a snapshot's writable
// directory, diff a writable overlay snapshot against its parents, and write
// the diff back as a layer tar. Digests are computed while streaming, never
// in a second pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/digest.h"
#include "layer/byte_source.h"

namespace berth::layer {

// How whiteouts land on disk.
enum class Format {
  Overlay,  // `.wh.NAME` -> 0/0 char device NAME; `.wh..wh..opq` -> trusted.overlay.opaque=y
  Plain,    // whiteouts delete from the directory (copy snapshotter: parent already copied in)
};

struct ApplyOptions {
  Format format = Format::Overlay;
  uint64_t max_entry_size = uint64_t{64} << 30;   // one file's size, as its header claims
  uint64_t max_total_size = uint64_t{256} << 30;  // sum over the layer
};

struct ApplyResult {
  content::Digest diff_id;     // sha256 of the uncompressed tar
  content::Digest digest;      // sha256 of the bytes read from the fd (the blob digest)
  uint64_t size = 0;           // compressed bytes read
  uint64_t uncompressed_size = 0;
  uint64_t entries = 0;
};

// Reads the whole layer from fd into target_dir, which must be a fresh
// snapshot directory (empty, or the parent's copy in Plain format). Hostile
// entries (paths or links leaving the root, absurd sizes) fail with
// InvalidArgument naming the entry; on any failure target_dir is emptied,
// so the caller discards the snapshot and nothing half-applied survives.
Result<ApplyResult> apply(int fd, const std::string& target_dir, const ApplyOptions& options = {});
// The same from any source of the layer's bytes (a download still arriving).
Result<ApplyResult> apply(ByteSource& source, const std::string& target_dir, const ApplyOptions& options = {});

// chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
// Returns one chain ID per layer (bottom first). Empty input -> empty output.
std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids);
// The top layer's chain ID; InvalidArgument for an empty list.
Result<content::Digest> chain_id(const std::vector<content::Digest>& diff_ids);

enum class ChangeKind { Added, Modified, Deleted };
struct Change {
  ChangeKind kind;
  std::string path;  // absolute, "/etc/passwd"
  bool operator==(const Change&) const = default;
};
char change_letter(ChangeKind kind);  // 'A', 'C', 'D' as `docker diff` prints

// Changes in an overlay upper dir relative to the merged view of `lowers`
// (top-most first), sorted by path like `docker diff`.
Result<std::vector<Change>> diff(const std::string& upper, const std::vector<std::string>& lowers);

struct WriteResult {
  content::Digest diff_id;
  uint64_t size = 0;
  // Entries of the directory the tar leaves out (sockets): when not 0 the
  // directory is more than its layer.
  uint64_t left_out = 0;
};

// Writes the upper dir as an uncompressed layer tar to fd: whiteout devices
// become `.wh.NAME`, opaque dirs get `.wh..wh..opq`; the diffID is computed
// as the bytes are written.
Result<WriteResult> write_diff_tar(const std::string& upper, int fd);

// Writes the merged view of overlay layer directories (top first; a single
// directory for a plain snapshot) as one flat tar without whiteouts: what
// `docker export` gives for a container's filesystem.
Result<WriteResult> write_flat_tar(const std::vector<std::string>& roots_top_first, int fd);

}  // namespace berth::layer
