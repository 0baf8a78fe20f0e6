#include "compose/file_reader.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include "base/file.h"

namespace berth::compose {

namespace {

class DiskReader : public FileReader {
 public:
  Result<std::string> read(const std::string& path) const override {
    auto text = read_file(path);
    if (!text) return std::unexpected(std::move(text).error().wrap(fmt::format("reading {}", path)));
    return text;
  }
  bool exists(const std::string& path) const override {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
};

}  // namespace

const FileReader& disk_reader() {
  static const DiskReader reader;
  return reader;
}

}  // namespace berth::compose
