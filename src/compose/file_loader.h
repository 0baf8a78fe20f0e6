// One Compose file as the merge sees it: read through the FileReader,
// parsed, interpolated and in canonical (long) syntax. Files are kept once
// read, since extends may name the same file many times.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "compose/file_reader.h"
#include "compose/interpolation.h"
#include "compose/tree.h"

namespace berth::compose {

class FileLoader {
 public:
  FileLoader(const FileReader& reader, Lookup lookup, std::string home)
      : reader_(reader), lookup_(std::move(lookup)), home_(std::move(home)) {}

  // path is absolute. The tree has its services' own extends resolved.
  Result<Node> load(const std::string& path);
  const FileReader& reader() const { return reader_; }
  const std::string& home() const { return home_; }
  // Variables used but not set, in the order met.
  const std::vector<std::string>& unset() const { return unset_; }

 private:
  Result<Node> parse(const std::string& path);
  friend class Extender;

  const FileReader& reader_;
  Lookup lookup_;
  std::string home_;
  std::vector<std::string> unset_;
  std::map<std::string, Node> parsed_;  // before extends
};

}  // namespace berth::compose
