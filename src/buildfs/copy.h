// COPY/ADD of resolved sources into a root (a stage's tree), with Docker's
// legacy builder's rules (builder/dockerfile/copy.go: performCopyForInfo,
// copyDirectory, copyFile; internals.go: normalizeDest).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "buildfs/sources.h"

namespace berth::buildfs {

struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
  bool operator==(const Owner&) const = default;
};

struct CopyOptions {
  // Owner of everything copied and of directories created for it; unset: 0:0
  // (Docker's legacy rule: copied files become root-owned unless --chown).
  std::optional<Owner> chown;
  // --chmod (octal, already parsed): mode of copied files and directories
  // (Docker's legacy builder refuses --chmod; this is BuildKit's meaning).
  std::optional<mode_t> chmod;
  // ADD: a local tar (plain, gzip, bzip2, xz) source is extracted into dest
  // instead of copied (not-an-archive is copied as a file). As Docker's
  // legacy builder, an extracted archive keeps its entries' owners and
  // modes: chown and chmod apply to copied files only.
  bool extract_archives = false;
  // Docker's preserveOwnership (COPY --from without --chown): copied entries
  // keep their source owners; directories created for them are 0:0.
  bool preserve_owner = false;
};

// Copies the resolved sources from src_root into dst_root at dest (absolute,
// or relative to workdir; both already expanded), with Docker's rules: a
// directory source copies its contents; several sources (or a glob matching
// several) need dest ending in "/" ("When using COPY with more than one
// source file, the destination must be a directory and end with a /"; ADD
// when extract_archives); a file to "dir/" or to an existing directory goes
// inside it with its base name, else to dest itself; missing parent
// directories are created (0755); symlinks inside a copied tree are copied
// as symlinks; a top-level source that is a symlink is followed inside
// src_root; modes (setuid included), security.capability and mtimes (whole
// seconds, as Docker's tar) kept; hard links inside the tree kept; sockets
// skipped. Symlinks in dst_root, dest's last element included, are followed
// as inside a chroot; an existing entry is replaced, an existing directory
// merged with a directory. Returns the number of entries written.
Result<uint64_t> copy_sources(int src_root, const std::vector<Source>& sources, int dst_root, const std::string& dest,
                              const std::string& workdir, const CopyOptions& options);

}  // namespace berth::buildfs
