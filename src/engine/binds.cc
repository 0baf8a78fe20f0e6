#include "engine/binds.h"

#include <sys/stat.h>

#include <filesystem>

#include "base/strings.h"

namespace berth::engine {
namespace {

bool is_propagation(const std::string& o) {
  return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" || o == "rslave";
}

std::string octal(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llo", static_cast<long long>(v));
  return buf;
}

Result<MountPlan> parse_bind(const std::string& spec) {
  auto parts = split(spec, ':');
  if (parts.size() == 1 && !spec.empty() && spec[0] == '/') {
    // "-v /path" sent as a bind (the SDK does): an anonymous volume.
    MountPlan p;
    p.type = "volume";
    p.destination = spec;
    p.anonymous = true;
    return p;
  }
  if (parts.size() < 2 || parts.size() > 3)
    return fail(Errc::InvalidArgument, "invalid volume specification: '" + spec + "'");
  MountPlan p;
  p.source = parts[0];
  p.destination = parts[1];
  if (p.source.empty()) return fail(Errc::InvalidArgument, "invalid volume specification: '" + spec + "'");
  p.type = p.source[0] == '/' ? "bind" : "volume";
  p.create_source = p.type == "bind";
  if (p.destination.empty() || p.destination[0] != '/')
    return fail(Errc::InvalidArgument, "invalid mount config: the destination of '" + spec + "' must be an absolute path");
  if (p.destination == "/")
    return fail(Errc::InvalidArgument, "invalid specification: destination can't be '/' in '" + spec + "'");
  if (parts.size() == 3) {
    for (const auto& o : split(parts[2], ',', true)) {
      if (o == "ro") p.read_only = true;
      else if (o == "rw") p.read_only = false;
      else if (o == "z" || o == "Z") continue;  // SELinux relabelling: no SELinux here
      else if (o == "nocopy") p.nocopy = true;
      else if (is_propagation(o)) p.propagation = o;
      else return fail(Errc::InvalidArgument, "invalid mode: " + o + " in '" + spec + "'");
    }
  }
  return p;
}

Result<MountPlan> parse_mount(const nlohmann::json& m) {
  MountPlan p;
  p.type = m.value("Type", "");
  p.destination = m.value("Target", "");
  if (p.destination.empty() || p.destination[0] != '/')
    return fail(Errc::InvalidArgument, "invalid mount config for type \"" + p.type + "\": invalid mount path: '" +
                                           p.destination + "' mount path must be absolute");
  p.read_only = m.value("ReadOnly", false);
  if (p.type == "bind") {
    p.source = m.value("Source", "");
    if (p.source.empty() || p.source[0] != '/')
      return fail(Errc::InvalidArgument, "invalid mount config for type \"bind\": invalid mount path: '" + p.source +
                                             "' mount path must be absolute");
    struct stat st {};
    if (::stat(p.source.c_str(), &st) != 0)
      return fail(Errc::InvalidArgument,
                  "invalid mount config for type \"bind\": bind source path does not exist: " + p.source);
    if (m.contains("BindOptions") && m["BindOptions"].is_object())
      if (auto prop = m["BindOptions"].value("Propagation", ""); !prop.empty()) p.propagation = prop;
  } else if (p.type == "volume") {
    p.source = m.value("Source", "");
    if (m.contains("VolumeOptions") && m["VolumeOptions"].is_object()) {
      const auto& vo = m["VolumeOptions"];
      p.nocopy = vo.value("NoCopy", false);
      if (vo.contains("DriverConfig") && vo["DriverConfig"].is_object())
        p.volume_options = vo["DriverConfig"].value("Options", nlohmann::json::object());
    }
    p.anonymous = p.source.empty();
  } else if (p.type == "tmpfs") {
    p.source = "tmpfs";
    p.tmpfs_options = {"nosuid", "nodev", "noexec"};
    if (m.contains("TmpfsOptions") && m["TmpfsOptions"].is_object()) {
      const auto& t = m["TmpfsOptions"];
      if (t.contains("SizeBytes") && t["SizeBytes"].is_number_integer() && t["SizeBytes"].get<int64_t>() > 0)
        p.tmpfs_options.push_back("size=" + std::to_string(t["SizeBytes"].get<int64_t>()));
      if (t.contains("Mode") && t["Mode"].is_number_integer())
        p.tmpfs_options.push_back("mode=" + octal(t["Mode"].get<int64_t>()));
    }
  } else {
    return fail(Errc::InvalidArgument, "mount type unknown: \"" + p.type + "\"");
  }
  return p;
}

}  // namespace

nlohmann::json MountPlan::to_json() const {
  return {{"Type", type},        {"Source", source},           {"Destination", destination},
          {"ReadOnly", read_only}, {"Anonymous", anonymous},   {"CreateSource", create_source},
          {"NoCopy", nocopy},    {"Propagation", propagation}, {"TmpfsOptions", tmpfs_options},
          {"VolumeOptions", volume_options}};
}

MountPlan MountPlan::from_json(const nlohmann::json& j) {
  MountPlan p;
  p.type = j.value("Type", "");
  p.source = j.value("Source", "");
  p.destination = j.value("Destination", "");
  p.read_only = j.value("ReadOnly", false);
  p.anonymous = j.value("Anonymous", false);
  p.create_source = j.value("CreateSource", false);
  p.nocopy = j.value("NoCopy", false);
  p.propagation = j.value("Propagation", "rprivate");
  p.tmpfs_options = j.value("TmpfsOptions", std::vector<std::string>{});
  p.volume_options = j.value("VolumeOptions", nlohmann::json::object());
  return p;
}

Result<std::vector<MountPlan>> plan_mounts(const nlohmann::json& hc, const nlohmann::json& config,
                                           const std::vector<std::pair<std::vector<MountPlan>, bool>>& volumes_from) {
  std::vector<MountPlan> out;
  auto add = [&](MountPlan p) -> Result<void> {
    for (const auto& q : out)
      if (q.destination == p.destination)
        return fail(Errc::InvalidArgument, "Duplicate mount point: " + p.destination);
    out.push_back(std::move(p));
    return {};
  };
  if (hc.contains("Binds") && hc["Binds"].is_array())
    for (const auto& v : hc["Binds"]) {
      if (!v.is_string()) return fail(Errc::InvalidArgument, "HostConfig.Binds: entries must be strings");
      TRYV(add(TRY(parse_bind(v.get<std::string>()))));
    }
  if (hc.contains("Mounts") && hc["Mounts"].is_array())
    for (const auto& m : hc["Mounts"]) TRYV(add(TRY(parse_mount(m))));
  // --volumes-from: the other container's mounts, read-only with ":ro".
  for (const auto& [plans, ro] : volumes_from)
    for (auto p : plans) {
      if (std::any_of(out.begin(), out.end(), [&](const MountPlan& q) { return q.destination == p.destination; }))
        continue;
      p.anonymous = false;  // not ours to remove
      if (ro) p.read_only = true;
      out.push_back(std::move(p));
    }
  // Config.Volumes (the image's VOLUME, `-v /path`): anonymous volumes
  // where nothing else is mounted.
  if (config.contains("Volumes") && config["Volumes"].is_object())
    for (auto& [dest, v] : config["Volumes"].items()) {
      if (std::any_of(out.begin(), out.end(), [&](const MountPlan& q) { return q.destination == dest; })) continue;
      MountPlan p;
      p.type = "volume";
      p.destination = dest;
      p.anonymous = true;
      out.push_back(std::move(p));
    }
  return out;
}

nlohmann::json mounts_json(const std::vector<MountPlan>& plans, const std::string& volumes_root) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : plans) {
    nlohmann::json m = {{"Type", p.type},
                        {"Source", p.type == "volume" ? volumes_root + "/" + p.source + "/_data" : p.source},
                        {"Destination", p.destination},
                        {"Mode", p.read_only ? "ro" : ""},
                        {"RW", !p.read_only},
                        {"Propagation", p.type == "bind" ? p.propagation : ""}};
    if (p.type == "volume") {
      m["Name"] = p.source;
      m["Driver"] = "local";
      m["Mode"] = p.read_only ? "ro" : "z";
    }
    if (p.type == "tmpfs") m["Source"] = "";
    out.push_back(m);
  }
  return out;
}

Result<specgen::ExtraMount> bind_or_tmpfs_mount(const MountPlan& p) {
  specgen::ExtraMount m;
  m.destination = p.destination;
  if (p.type == "tmpfs") {
    m.type = "tmpfs";
    m.source = "tmpfs";
    m.options = p.tmpfs_options;
    if (p.read_only) m.options.push_back("ro");
    return m;
  }
  struct stat st {};
  if (::stat(p.source.c_str(), &st) != 0) {
    if (!p.create_source)
      return fail(Errc::InvalidArgument,
                  "invalid mount config for type \"bind\": bind source path does not exist: " + p.source);
    std::error_code ec;
    std::filesystem::create_directories(p.source, ec);
    if (ec) return fail(Errc::Internal, "creating the bind source " + p.source + ": " + ec.message());
  }
  m.type = "bind";
  m.source = p.source;
  m.options = {"rbind", p.propagation};
  if (p.read_only) m.options.push_back("ro");
  return m;
}

specgen::ExtraMount volume_mount(const MountPlan& p, const std::string& host_path) {
  specgen::ExtraMount m;
  m.type = "bind";
  m.source = host_path;
  m.destination = p.destination;
  m.options = {"rbind", "rprivate"};
  if (p.read_only) m.options.push_back("ro");
  return m;
}

}  // namespace berth::engine
