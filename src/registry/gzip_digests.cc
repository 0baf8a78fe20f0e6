#include "registry/gzip_digests.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "base/file.h"
#include "base/log.h"

namespace berth::registry {

GzipDigests GzipDigests::under(const std::string& image_root) { return GzipDigests(image_root + "/distribution/gzip-v1"); }

std::optional<CompressedBlob> GzipDigests::lookup(const content::Digest& diff_id) const {
  auto text = read_file(dir_ + "/" + diff_id.hex());
  if (!text) return std::nullopt;
  auto space = text->find(' ');
  if (space == std::string::npos) return std::nullopt;
  auto digest = content::Digest::parse(text->substr(0, space));
  std::string size = text->substr(space + 1);
  while (!size.empty() && size.back() == '\n') size.pop_back();
  if (!digest || size.empty() || size.size() > 19 || size.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return CompressedBlob{*digest, std::stoull(size)};
}

void GzipDigests::record(const content::Digest& diff_id, const CompressedBlob& blob) const {
  for (size_t at = dir_.find('/', 1);; at = dir_.find('/', at + 1)) {
    std::string part = dir_.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      log::warn("cannot remember the gzip digest of layer {}: creating {}: {}", diff_id.str(), part, std::strerror(errno));
      return;
    }
    if (at == std::string::npos) break;
  }
  auto w = write_file_atomic(dir_ + "/" + diff_id.hex(), blob.digest.str() + " " + std::to_string(blob.size) + "\n",
                             0600, false);
  if (!w) log::warn("cannot remember the gzip digest of layer {}: {}", diff_id.str(), w.error().str());
}

}  // namespace berth::registry
