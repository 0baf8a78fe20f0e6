#include "cri/pods/pod_store.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/file.h"
#include "base/log.h"

namespace berth::cri {

Result<PodStore> PodStore::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::Internal, "creating the pod record directory " + dir + ": " + ec.message());
  return PodStore(dir);
}

Result<void> PodStore::put(const PodSandbox& pod) {
  return write_file_atomic(path_of(pod.id), pod_to_json(pod).dump(), 0600, false);
}

Result<void> PodStore::remove(const std::string& id) {
  if (::unlink(path_of(id).c_str()) != 0 && errno != ENOENT) return fail_errno("removing the record of pod " + id);
  return {};
}

std::vector<PodSandbox> PodStore::load_all() const {
  std::vector<PodSandbox> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    auto text = read_file(entry.path());
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    Result<PodSandbox> pod = j.is_discarded() ? Result<PodSandbox>(fail(Errc::InvalidArgument, "not JSON"))
                                              : pod_from_json(j);
    if (!pod) {
      log::warn("skipping the pod record {}: {}", entry.path().string(), pod.error().str());
      continue;
    }
    out.push_back(std::move(*pod));
  }
  return out;
}

}  // namespace berth::cri
