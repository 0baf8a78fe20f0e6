// The one seam through which the Compose loader touches the filesystem, so
// tests (and the fuzzer) can give it files that exist nowhere.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::compose {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // The whole file; NotFound when there is none.
  virtual Result<std::string> read(const std::string& path) const = 0;
  virtual bool exists(const std::string& path) const = 0;
};

// The real filesystem.
const FileReader& disk_reader();

}  // namespace berth::compose
