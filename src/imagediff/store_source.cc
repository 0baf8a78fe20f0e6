#include "imagediff/store_source.h"

#include <sys/stat.h>
#include <unistd.h>

namespace berth::imagediff {

Result<std::unique_ptr<StoreSource>> StoreSource::open(const std::string& input, const std::string& name,
                                                       const image::ImageInfo& info, content::Store& store) {
  std::unique_ptr<StoreSource> s(new StoreSource());
  SourceImage& img = s->image_;
  img.input = input;
  img.kind = "daemon";
  img.name = name;
  img.id = info.id;
  img.config_bytes = info.config_bytes;
  img.config = info.config;
  const auto& diff_ids = info.config.rootfs ? info.config.rootfs->diff_ids : std::vector<content::Digest>{};
  if (diff_ids.size() != info.manifest.layers.size())
    return fail(Errc::Internal, "image " + name + ": its manifest has " + std::to_string(info.manifest.layers.size()) +
                                    " layers but its config lists " + std::to_string(diff_ids.size()));
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    const auto& d = info.manifest.layers[i];
    auto fd = store.open_blob(d.digest);
    if (!fd) return std::unexpected(std::move(fd.error()).wrap("image " + name + ": layer " + d.digest.str()));
    struct stat st {};
    int64_t size = ::fstat(fd->get(), &st) == 0 ? static_cast<int64_t>(st.st_size) : d.size;
    img.layers.push_back({diff_ids[i], d.digest, size, d.media_type});
    s->blobs_.push_back(std::move(*fd));
  }
  return s;
}

Result<void> StoreSource::read_layers(const std::vector<size_t>& wanted, const LayerFn& fn) {
  for (size_t i : wanted) {
    if (i >= blobs_.size()) return fail(Errc::Internal, "layer index out of range");
    // The descriptor is shared with nothing else: rewind it in case it was read before.
    if (::lseek(blobs_[i].get(), 0, SEEK_SET) < 0) return fail_errno("rewinding a layer blob of " + image_.name);
    layer::FdSource bytes(blobs_[i].get());
    TRYV(fn(i, bytes));
  }
  return {};
}

}  // namespace berth::imagediff
