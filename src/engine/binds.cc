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
    p.type = model::MountType::Volume;
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
  p.type = p.source[0] == '/' ? model::MountType::Bind : model::MountType::Volume;
  p.create_source = p.type == model::MountType::Bind;
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

Result<MountPlan> parse_mount(const model::MountSpec& m) {
  MountPlan p;
  p.type = m.type;
  std::string type(model::to_string(m.type));
  p.destination = m.target;
  if (p.destination.empty() || p.destination[0] != '/')
    return fail(Errc::InvalidArgument, "invalid mount config for type \"" + type + "\": invalid mount path: '" +
                                           p.destination + "' mount path must be absolute");
  p.read_only = m.read_only;
  switch (m.type) {
    case model::MountType::Bind: {
      p.source = m.source;
      if (p.source.empty() || p.source[0] != '/')
        return fail(Errc::InvalidArgument, "invalid mount config for type \"bind\": invalid mount path: '" +
                                               p.source + "' mount path must be absolute");
      struct stat st {};
      if (::stat(p.source.c_str(), &st) != 0)
        return fail(Errc::InvalidArgument,
                    "invalid mount config for type \"bind\": bind source path does not exist: " + p.source);
      if (m.bind_propagation != model::Propagation::Unset) p.propagation = std::string(model::to_string(m.bind_propagation));
      break;
    }
    case model::MountType::Volume:
      p.source = m.source;
      p.nocopy = m.volume_no_copy;
      p.volume_options = m.volume_driver_options;
      p.anonymous = p.source.empty();
      break;
    case model::MountType::Tmpfs:
      p.source = "tmpfs";
      p.tmpfs_options = {"nosuid", "nodev", "noexec"};
      if (m.tmpfs_size_bytes > 0) p.tmpfs_options.push_back("size=" + std::to_string(m.tmpfs_size_bytes));
      if (m.tmpfs_mode) p.tmpfs_options.push_back("mode=" + octal(*m.tmpfs_mode));
      break;
  }
  return p;
}

}  // namespace

Result<std::vector<MountPlan>> plan_mounts(const model::HostConfig& hc, const model::ContainerConfig& config,
                                           const std::vector<std::pair<std::vector<MountPlan>, bool>>& volumes_from) {
  std::vector<MountPlan> out;
  auto add = [&](MountPlan p) -> Result<void> {
    for (const auto& q : out)
      if (q.destination == p.destination)
        return fail(Errc::InvalidArgument, "Duplicate mount point: " + p.destination);
    out.push_back(std::move(p));
    return {};
  };
  for (const auto& b : hc.binds) TRYV(add(TRY(parse_bind(b))));
  for (const auto& m : hc.mounts) TRYV(add(TRY(parse_mount(m))));
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
  for (const auto& dest : config.volumes) {
    if (std::any_of(out.begin(), out.end(), [&](const MountPlan& q) { return q.destination == dest; })) continue;
    MountPlan p;
    p.type = model::MountType::Volume;
    p.destination = dest;
    p.anonymous = true;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<model::MountPoint> mount_points(const std::vector<MountPlan>& plans, const std::string& volumes_root) {
  std::vector<model::MountPoint> out;
  for (const auto& p : plans) {
    model::MountPoint m;
    m.type = p.type;
    m.destination = p.destination;
    m.rw = !p.read_only;
    m.mode = p.read_only ? "ro" : "";
    switch (p.type) {
      case model::MountType::Bind:
        m.source = p.source;
        m.propagation = model::parse_propagation(p.propagation).value_or(model::Propagation::RPrivate);
        break;
      case model::MountType::Volume:
        m.name = p.source;
        m.source = volumes_root + "/" + p.source + "/_data";
        m.driver = "local";
        m.mode = p.read_only ? "ro" : "z";
        break;
      case model::MountType::Tmpfs:
        break;
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<specgen::ExtraMount> bind_or_tmpfs_mount(const MountPlan& p) {
  specgen::ExtraMount m;
  m.destination = p.destination;
  if (p.type == model::MountType::Tmpfs) {
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
