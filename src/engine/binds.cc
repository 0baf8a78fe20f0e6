#include "engine/binds.h"

#include <sys/stat.h>

#include <filesystem>

#include "base/strings.h"

namespace berth::engine {

std::string fmt_octal(int64_t v);

namespace {

struct Bind {
  specgen::ExtraMount mount;
  bool create_source = false;  // -v creates a missing source; --mount refuses it
};

bool is_propagation(const std::string& o) {
  return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" || o == "rslave";
}

Result<Bind> parse_bind(const std::string& spec) {
  auto parts = split(spec, ':');
  if (parts.size() < 2 || parts.size() > 3)
    return fail(Errc::InvalidArgument, "invalid volume specification: '" + spec + "'");
  Bind b;
  b.create_source = true;
  b.mount.source = parts[0];
  b.mount.destination = parts[1];
  if (b.mount.source.empty() || b.mount.source[0] != '/')
    return fail(Errc::Unsupported, "named volumes are not supported yet (coming with the volumes release): '" + spec +
                                       "'; use an absolute host path");
  if (b.mount.destination.empty() || b.mount.destination[0] != '/')
    return fail(Errc::InvalidArgument, "invalid mount config: the destination of '" + spec + "' must be an absolute path");
  if (b.mount.destination == "/")
    return fail(Errc::InvalidArgument, "invalid specification: destination can't be '/' in '" + spec + "'");
  std::string propagation = "rprivate";
  bool ro = false;
  if (parts.size() == 3) {
    for (const auto& o : split(parts[2], ',', true)) {
      if (o == "ro") ro = true;
      else if (o == "rw") ro = false;
      else if (o == "z" || o == "Z" || o == "nocopy") continue;  // SELinux labels: no SELinux here
      else if (is_propagation(o)) propagation = o;
      else return fail(Errc::InvalidArgument, "invalid mode: " + o + " in '" + spec + "'");
    }
  }
  b.mount.type = "bind";
  b.mount.options = {"rbind", propagation};
  if (ro) b.mount.options.push_back("ro");
  return b;
}

Result<std::vector<Bind>> parse_all(const nlohmann::json& hc) {
  std::vector<Bind> out;
  if (hc.contains("Binds") && hc["Binds"].is_array())
    for (const auto& v : hc["Binds"]) {
      if (!v.is_string()) return fail(Errc::InvalidArgument, "HostConfig.Binds: entries must be strings");
      out.push_back(TRY(parse_bind(v.get<std::string>())));
    }
  if (hc.contains("Mounts") && hc["Mounts"].is_array()) {
    for (const auto& m : hc["Mounts"]) {
      std::string type = m.value("Type", "");
      std::string target = m.value("Target", "");
      if (target.empty() || target[0] != '/')
        return fail(Errc::InvalidArgument, "invalid mount config for type \"" + type + "\": invalid mount path: '" +
                                               target + "' mount path must be absolute");
      Bind b;
      b.mount.destination = target;
      if (type == "bind") {
        b.mount.source = m.value("Source", "");
        if (b.mount.source.empty() || b.mount.source[0] != '/')
          return fail(Errc::InvalidArgument, "invalid mount config for type \"bind\": invalid mount path: '" +
                                                 b.mount.source + "' mount path must be absolute");
        b.mount.type = "bind";
        std::string propagation = "rprivate";
        if (m.contains("BindOptions") && m["BindOptions"].is_object())
          if (auto p = m["BindOptions"].value("Propagation", ""); !p.empty()) propagation = p;
        b.mount.options = {"rbind", propagation};
        if (m.value("ReadOnly", false)) b.mount.options.push_back("ro");
      } else if (type == "tmpfs") {
        b.mount.type = "tmpfs";
        b.mount.source = "tmpfs";
        b.mount.options = {"nosuid", "nodev", "noexec"};
        if (m.contains("TmpfsOptions") && m["TmpfsOptions"].is_object()) {
          const auto& t = m["TmpfsOptions"];
          if (t.contains("SizeBytes") && t["SizeBytes"].is_number_integer() && t["SizeBytes"].get<int64_t>() > 0)
            b.mount.options.push_back("size=" + std::to_string(t["SizeBytes"].get<int64_t>()));
          if (t.contains("Mode") && t["Mode"].is_number_integer())
            b.mount.options.push_back("mode=" + fmt_octal(t["Mode"].get<int64_t>()));
        }
        if (m.value("ReadOnly", false)) b.mount.options.push_back("ro");
      } else if (type == "volume") {
        return fail(Errc::Unsupported, "volumes are not supported yet (coming with the volumes release): --mount type=volume");
      } else {
        return fail(Errc::InvalidArgument, "mount type unknown: \"" + type + "\"");
      }
      out.push_back(std::move(b));
    }
  }
  return out;
}

}  // namespace

Result<void> validate_binds(const nlohmann::json& hc) {
  for (const auto& b : TRY(parse_all(hc))) {
    struct stat st {};
    if (b.mount.type == "bind" && !b.create_source && ::stat(b.mount.source.c_str(), &st) != 0)
      return fail(Errc::InvalidArgument,
                  "invalid mount config for type \"bind\": bind source path does not exist: " + b.mount.source);
  }
  return {};
}

Result<std::vector<specgen::ExtraMount>> resolve_binds(const nlohmann::json& hc) {
  std::vector<specgen::ExtraMount> out;
  for (auto& b : TRY(parse_all(hc))) {
    if (b.mount.type == "bind") {
      struct stat st {};
      if (::stat(b.mount.source.c_str(), &st) != 0) {
        if (!b.create_source)
          return fail(Errc::InvalidArgument,
                      "invalid mount config for type \"bind\": bind source path does not exist: " + b.mount.source);
        std::error_code ec;
        std::filesystem::create_directories(b.mount.source, ec);
        if (ec) return fail(Errc::Internal, "creating the bind source " + b.mount.source + ": " + ec.message());
      }
    }
    out.push_back(std::move(b.mount));
  }
  return out;
}

std::string fmt_octal(int64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llo", static_cast<long long>(v));
  return buf;
}

}  // namespace berth::engine
