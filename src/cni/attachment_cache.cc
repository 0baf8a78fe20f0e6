#include "cni/attachment_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/file.h"

namespace berth::cni {

namespace {

using nlohmann::json;

constexpr const char* kKind = "berth-cni-attachment/v1";

CachedAttachment from_json(const json& doc, const std::string& container_id, const std::string& ifname);

Result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + path);
  return {};
}

Result<void> make_dirs(const std::string& path) {
  for (size_t pos = 1; (pos = path.find('/', pos)) != std::string::npos; ++pos) TRYV(make_dir(path.substr(0, pos)));
  return make_dir(path);
}

std::vector<PortMapping> port_mappings_from(const json& list) {
  std::vector<PortMapping> out;
  if (!list.is_array()) return out;
  for (const auto& p : list) {
    PortMapping m;
    m.host_port = p.value("hostPort", 0);
    m.container_port = p.value("containerPort", 0);
    m.protocol = p.value("protocol", std::string("tcp"));
    m.host_ip = p.value("hostIP", std::string());
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

json port_mappings_json(const std::vector<PortMapping>& mappings) {
  // The portMappings capability's keys (CONVENTIONS.md), as the portmap plugin reads them.
  json list = json::array();
  for (const auto& m : mappings) {
    json p = {{"hostPort", m.host_port}, {"containerPort", m.container_port}, {"protocol", m.protocol}};
    if (!m.host_ip.empty()) p["hostIP"] = m.host_ip;
    list.push_back(std::move(p));
  }
  return list;
}

std::string AttachmentCache::path_of(const std::string& container_id, const std::string& ifname) const {
  return dir_ + "/" + container_id + "/" + ifname + ".json";
}

Result<void> AttachmentCache::store(const CachedAttachment& e) const {
  TRYV_CTX(make_dirs(dir_ + "/" + e.container_id), "CNI cache");
  json args = json::array();
  for (const auto& [k, v] : e.args) args.push_back(json::array({k, v}));
  json doc = {{"kind", kKind},
              {"containerId", e.container_id},
              {"ifName", e.ifname},
              {"netns", e.netns_path},
              {"config", e.config},
              {"cniArgs", args},
              {"portMappings", port_mappings_json(e.port_mappings)},
              {"cgroupPath", e.cgroup_path},
              {"result", e.result}};
  // Atomic (rename) but not fsynced, as libcni's cache: it has to outlive a crash
  // of berthd, which the page cache does. After a power loss the netns, veths and
  // rules are gone with the boot, and the plugins' own state (host-local's leases)
  // is not fsynced by them either; an fsync here cost 1-8 ms per ADD.
  return write_file_atomic(path_of(e.container_id, e.ifname), doc.dump(), 0600, /*durable=*/false);
}

Result<std::optional<CachedAttachment>> AttachmentCache::load(const std::string& container_id,
                                                             const std::string& ifname) const {
  std::string path = path_of(container_id, ifname);
  auto text = read_file(path);
  if (!text && text.error().code == Errc::NotFound) return std::optional<CachedAttachment>();
  if (!text) return std::unexpected(std::move(text.error()).wrap("reading the CNI cache"));
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [&] { return fail(Errc::Internal, "CNI cache file " + path + " is not a berth attachment record"); };
  if (!doc.is_object() || !doc.contains("kind") || doc["kind"] != kKind || !doc.contains("config")) return corrupt();
  try {
    return std::optional<CachedAttachment>(from_json(doc, container_id, ifname));
  } catch (const json::exception&) {  // a field of the wrong type: damaged on disk
    return corrupt();
  }
}

namespace {

CachedAttachment from_json(const json& doc, const std::string& container_id, const std::string& ifname) {
  CachedAttachment e;
  e.container_id = container_id;
  e.ifname = ifname;
  e.netns_path = doc.value("netns", std::string());
  e.config = doc["config"];
  for (const auto& kv : doc.value("cniArgs", json::array()))
    if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
      e.args.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  e.port_mappings = port_mappings_from(doc.value("portMappings", json::array()));
  e.cgroup_path = doc.value("cgroupPath", std::string());
  e.result = doc.value("result", json());
  return e;
}

}  // namespace

Result<std::vector<CachedAttachment>> AttachmentCache::list() const {
  std::vector<CachedAttachment> out;
  std::error_code ec;
  std::filesystem::directory_iterator containers(dir_, ec);
  if (ec == std::errc::no_such_file_or_directory) return out;
  if (ec) return fail(errc_from_errno(ec.value()), "listing the CNI cache " + dir_, ec.value());
  for (std::filesystem::directory_iterator end; !ec && containers != end; containers.increment(ec)) {
    std::error_code file_ec;
    if (!containers->is_directory(file_ec)) continue;
    std::string id = containers->path().filename().string();
    for (std::filesystem::directory_iterator files(containers->path(), file_ec); !file_ec && files != end;
         files.increment(file_ec)) {
      std::string name = files->path().filename().string();
      if (!name.ends_with(".json")) continue;
      auto entry = load(id, name.substr(0, name.size() - 5));
      if (entry && *entry) out.push_back(std::move(**entry));
    }
  }
  return out;
}

Result<void> AttachmentCache::remove(const std::string& container_id, const std::string& ifname) const {
  std::string path = path_of(container_id, ifname);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("removing the CNI cache file " + path);
  ::rmdir((dir_ + "/" + container_id).c_str());  // fails while other interfaces remain: fine
  return {};
}

}  // namespace berth::cni
