#include "specgen/devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/strings.h"

namespace berth::specgen::detail {

using nlohmann::json;

namespace {

// The node and rule of a device whose stat is `st`, or nullopt when it is not
// a device node.
std::optional<MappedDevice> device_at(const struct stat& st, const std::string& inside, const std::string& perms) {
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return std::nullopt;
  std::string type = S_ISCHR(st.st_mode) ? "c" : "b";
  int64_t ma = major(st.st_rdev), mi = minor(st.st_rdev);
  return MappedDevice{json{{"path", inside}, {"type", type}, {"major", ma}, {"minor", mi},
                           {"fileMode", st.st_mode & 07777}, {"uid", st.st_uid}, {"gid", st.st_gid}},
                      json{{"allow", true}, {"type", type}, {"major", ma}, {"minor", mi}, {"access", perms}}};
}

bool valid_access(std::string_view a) {
  return !a.empty() && a.size() <= 3 && a.find_first_not_of("rwm") == std::string_view::npos;
}

// A major or minor of a rule: a number, or * for any (nullopt).
std::optional<std::optional<int64_t>> rule_number(std::string_view s) {
  if (s == "*") return std::optional<int64_t>();
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  return std::optional<int64_t>(std::stoll(std::string(s)));
}

}  // namespace

Result<std::vector<MappedDevice>> mapped_devices(const std::vector<model::DeviceMapping>& devices) {
  std::vector<MappedDevice> out;
  for (const auto& d : devices) {
    std::string where = "adding custom device \"" + d.path_on_host + "\"";
    if (d.path_on_host.empty() || d.path_on_host[0] != '/')
      return fail(Errc::InvalidArgument, where + ": the host path must be absolute");
    std::string inside = d.path_in_container.empty() ? d.path_on_host : d.path_in_container;
    if (inside[0] != '/') return fail(Errc::InvalidArgument, where + ": the container path " + inside + " must be absolute");
    std::string perms = d.cgroup_permissions.empty() ? "rwm" : d.cgroup_permissions;
    if (!valid_access(perms))
      return fail(Errc::InvalidArgument, where + ": invalid permissions \"" + perms + "\" (any of r, w, m)");
    struct stat st {};
    if (::stat(d.path_on_host.c_str(), &st) != 0)
      return fail(Errc::InvalidArgument,
                  "error gathering device information while " + where + ": " + std::strerror(errno));
    if (auto dev = device_at(st, inside, perms)) {
      out.push_back(std::move(*dev));
      continue;
    }
    if (!S_ISDIR(st.st_mode))
      return fail(Errc::InvalidArgument, "error gathering device information while " + where + ": not a device node");
    // A directory: its device nodes at the same places under the container path.
    namespace fs = std::filesystem;
    fs::path root = fs::canonical(d.path_on_host);
    size_t before = out.size();
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      // lstat, as dockerd's walk: a symlink in the directory (/dev/disk/by-id/*)
      // does not add the device it points to.
      struct stat cst {};
      if (::lstat(it->path().c_str(), &cst) != 0) continue;  // gone meanwhile
      auto rel = it->path().lexically_relative(root).string();
      if (auto dev = device_at(cst, (fs::path(inside) / rel).lexically_normal().string(), perms))
        out.push_back(std::move(*dev));
    }
    if (out.size() == before)
      return fail(Errc::InvalidArgument,
                  "error gathering device information while " + where + ": no device nodes in the directory");
  }
  return out;
}

Result<std::vector<json>> device_cgroup_rules(const std::vector<std::string>& rules) {
  std::vector<json> out;
  for (const auto& text : rules) {
    auto bad = [&](const std::string& why) {
      return fail(Errc::InvalidArgument, "invalid device cgroup rule format: '" + text + "' (" + why +
                                             "; want TYPE MAJOR:MINOR ACCESS, e.g. 'c 1:3 rwm')");
    };
    auto parts = split(text, ' ');
    if (parts.size() != 3) return bad("three fields separated by single spaces");
    const std::string& type = parts[0];
    if (type != "a" && type != "b" && type != "c") return bad("type is a, b or c");
    auto colon = parts[1].find(':');
    if (colon == std::string::npos) return bad("MAJOR:MINOR");
    auto ma = rule_number(std::string_view(parts[1]).substr(0, colon));
    auto mi = rule_number(std::string_view(parts[1]).substr(colon + 1));
    if (!ma || !mi) return bad("major and minor are numbers or *");
    if (!valid_access(parts[2])) return bad("access is any of r, w, m");
    json r = {{"allow", true}, {"type", type}, {"access", parts[2]}};
    if (*ma) r["major"] = **ma;
    if (*mi) r["minor"] = **mi;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace berth::specgen::detail
