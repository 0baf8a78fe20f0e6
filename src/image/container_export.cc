#include "image/container_export.h"

#include "base/strings.h"

namespace berth::image {
namespace {

std::string under(const std::string& dir, const std::string& path) {
  if (dir.empty() || (!path.empty() && path[0] == '/')) return path;
  return dir + "/" + path;
}

}  // namespace

Result<std::vector<std::string>> layer_roots(const std::vector<snapshot::Mount>& mounts, const std::string& key) {
  if (mounts.size() != 1) return fail(Errc::Unsupported, "exporting snapshot " + key + ": unexpected mount layout");
  const auto& m = mounts[0];
  if (m.type == "bind") return std::vector<std::string>{under(m.chdir, m.source)};
  if (m.type != "overlay") return fail(Errc::Unsupported, "exporting snapshot " + key + ": mount type " + m.type);
  std::vector<std::string> roots;
  std::string lowers;
  for (const auto& o : m.options) {
    if (o.rfind("upperdir=", 0) == 0) roots.insert(roots.begin(), under(m.chdir, o.substr(9)));
    if (o.rfind("lowerdir=", 0) == 0) lowers = o.substr(9);
  }
  for (const auto& l : split(lowers, ':', true)) roots.push_back(under(m.chdir, l));
  if (roots.empty()) return fail(Errc::Internal, "exporting snapshot " + key + ": overlay mount without layers");
  return roots;
}

Result<layer::WriteResult> export_container_fs(ImageService& svc, const std::string& snapshot_key, int fd) {
  auto mounts = TRY(svc.snapshots().mounts(snapshot_key));
  return layer::write_flat_tar(TRY(layer_roots(mounts, snapshot_key)), fd);
}

}  // namespace berth::image
