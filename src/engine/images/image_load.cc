// `POST /images/load`: a docker-archive or OCI-layout tar, spooled first.
#include "engine/images/image_backend.h"

#include <algorithm>

#include "engine/images/internal.h"
#include "image/docker_archive.h"
#include "image/lookup.h"

namespace berth::engine {

using images::spool;

Result<std::vector<std::string>> ImageBackend::load(const BodyReader& body, int64_t content_length,
                                                    const Progress& progress) {
  auto fd = TRY(spool(temp_file(), body, content_length, progress));
  std::vector<image::ImageInfo> loaded;
  {
    std::lock_guard lk(mu_);
    loaded = TRY_CTX(image::import_docker_archive(svc_, fd.get()), "loading images");
  }
  // An image listed once per tag in the archive is reported once, with the
  // references it has after the whole load.
  std::vector<image::ImageInfo> unique;
  for (auto& info : loaded) {
    auto same = std::find_if(unique.begin(), unique.end(), [&](const auto& u) { return u.id == info.id; });
    if (same != unique.end())
      *same = std::move(info);
    else
      unique.push_back(std::move(info));
  }
  std::vector<std::string> lines;
  for (const auto& info : unique) {
    bool tagged = false;
    for (const auto& r : info.refs) {
      if (metadata::is_digest_ref(r)) continue;
      lines.push_back("Loaded image: " + image::familiar(r) + "\n");
      tagged = true;
    }
    if (!tagged) lines.push_back("Loaded image ID: " + info.id + "\n");
    publish("load", info.id, info.id);
  }
  return lines;
}

}  // namespace berth::engine
