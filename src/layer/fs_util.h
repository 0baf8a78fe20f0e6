// Small *at() helpers for the layer code. Nothing here follows a symlink.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::layer {

// How errors name an entry and the tree it goes into: a layer's entries
// ("layer entry \"x\": ... leaves the layer root") or an archive extracted
// into a container ("archive entry \"x\": ... leaves /data").
struct EntryNaming {
  std::string noun = "layer";
  std::string root = "the layer root";

  // `noun entry "name"`.
  std::string entry(const std::string& name) const { return noun + " entry \"" + name + "\""; }
  // The error for a hostile or malformed entry: InvalidArgument naming it.
  std::unexpected<Error> refuse(const std::string& name, const std::string& why) const {
    return fail(Errc::InvalidArgument, entry(name) + ": " + why);
  }
};

// A layer entry refused (EntryNaming's defaults).
inline std::unexpected<Error> refuse(const std::string& entry, const std::string& why) {
  return EntryNaming{}.refuse(entry, why);
}

// Cleans a tar member name ("./a//b/../c", "/a") into "a/c"; "" is the root.
// Refuses a ".." that climbs above the root.
Result<std::string> clean_path(std::string_view name);
// Splits "a/b/c" into {"a/b", "c"}; {"", "a"} for a top-level name.
std::pair<std::string, std::string> split_parent(const std::string& path);
// Removes name (and all below when a directory) in dirfd.
Result<void> remove_at(int dirfd, const std::string& name);
// Removes every entry inside the directory dirfd.
Result<void> empty_dir(int dirfd);
// Entry names of a directory, sorted.
Result<std::vector<std::string>> list_dir(int dirfd);

}  // namespace berth::layer
