// What Docker's /containers/{id}/archive endpoints do (HEAD stat, GET
// archive, PUT extract), on a container's mounted root filesystem. Every
// path is resolved inside the root as a chroot would: a symlink to "/etc" or
// "../../.." in the container leads to the container's /etc, never the
// host's. Semantics follow moby's daemon/archive_linux.go and go-archive:
// paths are absolute in the container ("etc/hosts" = "/etc/hosts"), cleaned
// lexically first ("/a/../b" = "/b"), and the final component is followed
// only when the path ends in "/" or "/.".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "layer/resolver.h"  // Owner

namespace berth::layer {

// Go's os.FileMode type bits, as the Docker API carries modes.
namespace go_mode {
constexpr uint32_t kDir = 1u << 31;
constexpr uint32_t kSymlink = 1u << 27;
constexpr uint32_t kDevice = 1u << 26;
constexpr uint32_t kNamedPipe = 1u << 25;
constexpr uint32_t kSocket = 1u << 24;
constexpr uint32_t kSetuid = 1u << 23;
constexpr uint32_t kSetgid = 1u << 22;
constexpr uint32_t kCharDevice = 1u << 21;
constexpr uint32_t kSticky = 1u << 20;
}  // namespace go_mode

// st_mode -> os.FileMode (what Go's os.Lstat reports).
uint32_t go_file_mode(mode_t st_mode);

// Docker's ContainerPathStat.
struct PathStat {
  std::string name;         // last element of the requested path ("hosts", "." for "/x/.", "/" for "/")
  int64_t size = 0;
  uint32_t mode = 0;        // os.FileMode bits
  std::string mtime;        // RFC 3339
  std::string link_target;  // for a symlink: its target fully resolved in the container, absolute
};

// {"name","size","mode","mtime","linkTarget"}, as Go marshals it.
std::string path_stat_json(const PathStat& stat);
// base64(JSON): the value of the X-Docker-Container-Path-Stat header.
std::string path_stat_header(const PathStat& stat);

// The container's root: an O_PATH directory fd everything is resolved from.
Result<UniqueFd> open_container_root(const std::string& rootfs);

// HEAD /containers/{id}/archive. NotFound when the path does not exist.
Result<PathStat> stat_path(int root, const std::string& path);

// Host ids -> the ids a tar shows (userns-remap: the container's own); or
// the reverse when extracting, failing for ids the container cannot own.
using OwnerOut = std::function<Owner(Owner)>;
using OwnerIn = std::function<Result<Owner>(Owner)>;

// Receives the tar stream piece by piece; an error stops the archive.
using TarSink = std::function<Result<void>(std::string_view)>;

// GET /containers/{id}/archive: the path as an uncompressed tar. Entries are
// named from the path's last element as Docker does ("/etc/hosts" -> "hosts",
// "/data" -> "data/...", "/data/." -> "./...", "/" -> "/..."). Keeps
// numeric owners, modes, mtimes (seconds), hard links, devices and
// security.capability; symlinks inside are stored, not followed; sockets are
// skipped. open() resolves and stats the path, so the caller can answer
// 404 and send the stat header before streaming with write().
class PathArchive {
 public:
  static Result<PathArchive> open(int root, const std::string& path);
  const PathStat& stat() const { return stat_; }
  // Streams the tar to sink without holding more than a block in memory.
  Result<void> write(const TarSink& sink);
  // Owners written as map(st_uid, st_gid) instead of the host's ids.
  void set_owner_map(OwnerOut map) { owner_map_ = std::move(map); }

 private:
  PathArchive() = default;
  PathStat stat_;
  UniqueFd dir_;       // the directory holding the source, or the source directory itself
  std::string leaf_;   // the source's name in dir_; "" when dir_ is the source
  std::string entry_name_;  // what the source's own entry is called in the tar
  OwnerOut owner_map_;
};

// open() + write() in one go.
Result<PathStat> archive_path(int root, const std::string& path, const TarSink& sink);

struct ExtractOptions {
  // Docker's noOverwriteDirNonDir (the API's inverse of AllowOverwriteDirWithFile):
  // fail instead of replacing a directory with a non-directory or the reverse.
  bool no_overwrite_dir_non_dir = false;
  // Docker's copyUIDGID: every entry is owned by this (the container user's
  // ids, see lookup_user). Unset: each entry keeps the uid/gid in the tar,
  // as Docker's daemon does; directories the tar implies are root's.
  std::optional<Owner> owner;
  // Applied to each entry's own uid/gid (not to `owner`, given in host ids).
  OwnerIn map_owner;
};

// Reads up to len bytes of the tar into buf; 0 at the end.
using TarSource = std::function<Result<size_t>(char* buf, size_t len)>;

// PUT /containers/{id}/archive?path=DIR: extracts a tar (plain, gzip,
// bzip2, xz or zstd) into dest_dir. dest_dir is resolved in the container
// following every symlink, and must exist (NotFound) and be a directory
// (InvalidArgument, "extraction point is not a directory"). Entries are
// written by EntryWriter (entry_writer.h: every defence a layer apply has)
// inside dest_dir: names climbing out with "..", symlinks pointing out of
// it and hard links to outside it are refused (InvalidArgument), as
// go-archive does; a leading "/" is relative to dest_dir. Symlinks in the
// container met on the way are followed inside the root. Modes, mtimes,
// xattrs are kept; an existing entry is replaced, an existing directory
// merged with a directory entry.
Result<void> extract_archive(int root, const std::string& dest_dir, int tar_fd,
                             const ExtractOptions& options = {});
Result<void> extract_archive(int root, const std::string& dest_dir, const TarSource& source,
                             const ExtractOptions& options = {});

// The ids for `docker cp -a` to a container running as `user` ("name",
// "uid", "name:group", "uid:gid"), looked up in the container's own
// /etc/passwd and /etc/group. A numeric uid missing from passwd has gid 0.
Result<Owner> lookup_user(int root, const std::string& user);

// --- Shared by the archive files; resolution inside a container root. ---
namespace container_fs {

// A path resolved inside the root.
struct Resolved {
  UniqueFd dir;                    // O_PATH fd of the directory holding leaf
  std::string leaf;                // "" when dir is the object itself (e.g. the root)
  std::vector<std::string> parts;  // canonical path from the root, leaf included
  bool leaf_exists = true;
};

// Components of path after Go's filepath.Join("/", path): "" and "." dropped,
// ".." applied lexically and stopped at the root.
std::vector<std::string> clean_parts(std::string_view path);
// The name Docker gives a requested path (Go's filepath.Base of it made
// absolute): "hosts", "." for "x/.", "/" for the root.
std::string request_name(std::string_view path);
// True when a path asks for its last element to be followed ("x/", "x/.", ".").
bool follows_last(std::string_view path);

// Walks parts from root as a chroot does: symlinks are followed with
// absolute targets restarting at root, ".." never climbs above root. The
// last component is followed only with follow_last. A missing last
// component is returned with leaf_exists = false; missing intermediate
// directories are created (0755, chowned to *owner when given) when
// create_dirs is set and are NotFound otherwise.
Result<Resolved> resolve(int root, const std::vector<std::string>& parts, bool follow_last,
                         bool create_dirs = false, const std::optional<Owner>& owner = {});
// Docker's stat of a resolved path (lstat of the leaf); request is the path as asked.
Result<PathStat> stat_resolved(int root, const Resolved& r, std::string_view request);
// The absolute canonical path a symlink leads to in the root, evaluated as
// far as possible when part of it is missing (moby's FollowSymlinkInScope).
Result<std::string> eval_in_scope(int root, const std::vector<std::string>& parts);

}  // namespace container_fs

}  // namespace berth::layer
