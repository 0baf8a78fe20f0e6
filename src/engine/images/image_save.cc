// `GET /images/get` (docker save): written to a temp file under the lock and
// streamed from it after, so no client's pace holds the lock.
#include "engine/images/image_backend.h"

#include <unistd.h>

#include <set>

#include "engine/images/internal.h"
#include "image/docker_archive.h"
#include "image/reference.h"

namespace berth::engine {

using images::rewind_fd;

Result<ImageBackend::Saved> ImageBackend::save(const std::vector<std::string>& names) {
  if (names.empty()) return fail(Errc::InvalidArgument, "no images to save: give at least one name");
  Saved out;
  std::vector<std::string> ids;
  {
    std::lock_guard lk(mu_);
    // What to export, as the exporter takes it: a reference when the name
    // was one (it becomes a RepoTag), else the full ID. A bare repository
    // name means every tag of it, as in dockerd.
    std::vector<std::string> targets;
    auto all = TRY(svc_.metadata().list());
    for (const auto& n : names) {
      auto named = image::Reference::parse_named(n);
      if (named && !named->has_tag() && !named->has_digest()) {
        size_t before = targets.size();
        for (const auto& s : all)
          for (const auto& r : s.refs)
            if (!metadata::is_digest_ref(r) && metadata::repository_of(r) == named->name()) {
              targets.push_back(r);
              ids.push_back(s.image.id);
            }
        if (targets.size() > before) continue;
      }
      auto loc = TRY(locate(n));  // "No such image: X" before any work
      targets.push_back(loc.ref.empty() || metadata::is_digest_ref(loc.ref) ? loc.id : loc.ref);
      ids.push_back(loc.id);
    }
    out.fd = TRY(temp_file());
    TRYV_CTX(image::export_docker_archive(svc_, targets, out.fd.get()), "saving images");
  }
  off_t end = ::lseek(out.fd.get(), 0, SEEK_END);
  if (end < 0) return fail_errno("measuring the saved archive");
  out.size = static_cast<uint64_t>(end);
  TRYV(rewind_fd(out.fd.get()));
  std::set<std::string> published;
  for (const auto& id : ids)
    if (published.insert(id).second) publish("save", id, id);
  return out;
}

}  // namespace berth::engine
