#include "volume/rules.h"

#include <sys/mount.h>

#include "base/strings.h"

namespace berth::volume {

namespace {
bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

bool valid_name(std::string_view name) {
  if (name.size() < 2 || !alnum(name[0])) return false;
  for (char c : name.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

Result<void> check_name(std::string_view name) {
  if (valid_name(name)) return {};
  return fail(Errc::InvalidArgument,
              "\"" + std::string(name) +
                  "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
                  "allowed. If you intended to pass a host directory, use absolute path");
}

Result<void> check_options(const std::map<std::string, std::string>& opts) {
  for (const auto& [k, v] : opts) {
    if (k == "size") return fail(Errc::InvalidArgument, "quota size requested but no quota support");
    if (k != "type" && k != "o" && k != "device") return fail(Errc::InvalidArgument, "invalid option: \"" + k + "\"");
  }
  // dockerd's mandatoryOpts, checked in a fixed order.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> mandatory = {
      {"device", {"type"}}, {"o", {"device", "type"}}, {"type", {"device"}}};
  for (const auto& [opt, required] : mandatory) {
    if (!opts.contains(opt)) continue;
    for (const auto& r : required)
      if (!opts.contains(r)) return fail(Errc::InvalidArgument, "missing required option: \"" + r + "\"");
  }
  return {};
}

bool needs_mount(const std::map<std::string, std::string>& opts) {
  auto t = opts.find("type");
  auto d = opts.find("device");
  return (t != opts.end() && !t->second.empty()) || (d != opts.end() && !d->second.empty());
}

MountOptions parse_mount_options(std::string_view o) {
  struct Flag {
    const char* name;
    bool clear;
    unsigned long flag;
  };
  static const Flag flags[] = {
      {"defaults", false, 0},          {"ro", false, MS_RDONLY},         {"rw", true, MS_RDONLY},
      {"suid", true, MS_NOSUID},       {"nosuid", false, MS_NOSUID},     {"dev", true, MS_NODEV},
      {"nodev", false, MS_NODEV},      {"exec", true, MS_NOEXEC},        {"noexec", false, MS_NOEXEC},
      {"sync", false, MS_SYNCHRONOUS}, {"async", true, MS_SYNCHRONOUS},  {"dirsync", false, MS_DIRSYNC},
      {"remount", false, MS_REMOUNT},  {"mand", false, MS_MANDLOCK},     {"nomand", true, MS_MANDLOCK},
      {"atime", true, MS_NOATIME},     {"noatime", false, MS_NOATIME},   {"diratime", true, MS_NODIRATIME},
      {"nodiratime", false, MS_NODIRATIME}, {"bind", false, MS_BIND},    {"rbind", false, MS_BIND | MS_REC},
      {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
      {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
  };
  static const Flag propagation[] = {
      {"private", false, MS_PRIVATE},         {"rprivate", false, MS_PRIVATE | MS_REC},
      {"shared", false, MS_SHARED},           {"rshared", false, MS_SHARED | MS_REC},
      {"slave", false, MS_SLAVE},             {"rslave", false, MS_SLAVE | MS_REC},
      {"unbindable", false, MS_UNBINDABLE},   {"runbindable", false, MS_UNBINDABLE | MS_REC},
  };
  MountOptions out;
  std::vector<std::string> data;
  for (auto& opt : split(o, ',', /*skip_empty=*/true)) {
    bool known = false;
    for (const auto& f : flags) {
      if (opt != f.name) continue;
      known = true;
      if (f.clear)
        out.flags &= ~f.flag;
      else
        out.flags |= f.flag;
    }
    for (const auto& f : propagation) {
      if (opt != f.name) continue;
      known = true;
      out.propagation |= f.flag;
    }
    if (!known) data.push_back(opt);
  }
  out.data = join(data, ",");
  return out;
}

Result<bool> filter_bool(const Filters& f, const std::string& key, bool dflt) {
  if (f.get(key).empty()) return dflt;
  for (const auto& v : f.get(key)) {
    std::string lower;
    for (char c : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || v == "1") return true;
    if (lower != "false" && v != "0") return fail(Errc::InvalidArgument, "invalid filter '" + key + "=" + v + "'");
  }
  return false;
}

}  // namespace berth::volume
