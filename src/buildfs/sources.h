// COPY/ADD sources inside a source root, as Docker's legacy builder finds
// them (builder/dockerfile/copy.go: calcCopyInfo, copyWithWildcards), and a
// digest of what they hold for the build cache.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::buildfs {

struct Source {
  std::string rel;  // path relative to the root, as matched ("." for the root itself)
  bool is_dir = false;
};

// COPY/ADD sources (already variable-expanded), relative to a source root
// (the context dir, or another stage's / image's root mounted somewhere):
// resolved with globs (Go filepath.Match per segment, as Docker: the walk
// does not enter symlinked directories; matches come in lexical order), "."
// and paths starting with "/" meaning the root; ".." can not leave the root
// ("forbidden path outside the build context: ../x ()" as Docker). Symlinks
// are followed inside the root. Errors as Docker's legacy builder: a missing
// source: "file not found in build context or excluded by .dockerignore:
// stat NAME: file does not exist" (NotFound); a glob matching nothing: "no
// source files were specified" (InvalidArgument).
Result<std::vector<Source>> resolve_sources(int root_fd, const std::vector<std::string>& patterns);

// Where sources come from: Docker words a missing source differently for a
// stage or an image (COPY --from): "stat NAME: file does not exist".
enum class SourceRoot { context, image };
Result<std::vector<Source>> resolve_sources(int root_fd, const std::vector<std::string>& patterns,
                                            SourceRoot kind);

// A digest ("sha256:<hex>") of the sources' trees: each source's rel and
// kind, then every entry below it (depth first, names in byte order) with its
// relative name, type, mode, uid/gid, size, device numbers, symlink target,
// hard links to an earlier entry, file content and, for executables,
// security.capability (the one xattr COPY carries); NOT times (a touched file
// keeps the cache, a changed byte does not). A directory source's own
// attributes are left out (COPY copies its contents, not the directory).
// Symlinks at the top are followed inside the root, as the copy does;
// sockets are left out, as the copy leaves them. This is the COPY/ADD cache
// key's content part; file contents are read on up to 4 threads.
Result<std::string> digest_sources(int root_fd, const std::vector<Source>& sources);

}  // namespace berth::buildfs
