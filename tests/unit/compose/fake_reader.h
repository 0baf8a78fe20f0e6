// Files that exist only in memory, for the loader's error paths.
#pragma once

#include <map>
#include <string>

#include "compose/file_reader.h"

namespace berth::compose::testing {

class FakeReader : public FileReader {
 public:
  std::map<std::string, std::string> files;

  Result<std::string> read(const std::string& path) const override {
    auto it = files.find(path);
    if (it == files.end()) return fail(Errc::NotFound, "open " + path + ": no such file or directory");
    return it->second;
  }
  bool exists(const std::string& path) const override { return files.contains(path); }
};

}  // namespace berth::compose::testing
