#include "cli/mount_opt.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/go_compat.h"
#include "cli/units.h"

namespace berth::cli {

Result<Json> parse_mount(const std::string& spec, const RunEnvironment& env) {
  auto fields = TRY(csv_fields(spec));
  std::string type = "volume", source, target, consistency;
  bool read_only = false;
  std::optional<Json> bind, volume, tmpfs;
  std::map<std::string, std::string> labels, driver_opts;
  bool driver_opts_set = false;
  auto vol = [&]() -> Json& {
    if (!volume) volume = Json::object();
    return *volume;
  };
  auto bnd = [&]() -> Json& {
    if (!bind) bind = Json::object();
    return *bind;
  };
  auto tmp = [&]() -> Json& {
    if (!tmpfs) tmpfs = Json::object();
    return *tmpfs;
  };
  auto cut = [](const std::string& v, std::map<std::string, std::string>& into) {
    size_t eq = v.find('=');
    std::string k = v.substr(0, eq);
    if (!k.empty()) into[k] = eq == std::string::npos ? "" : v.substr(eq + 1);
  };
  std::string driver_name;
  for (const auto& field : fields) {
    size_t eq = field.find('=');
    std::string key = to_lower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro") {
        read_only = true;
      } else if (key == "volume-nocopy") {
        vol()["NoCopy"] = true;
      } else if (key == "bind-nonrecursive") {
        bnd()["NonRecursive"] = true;
      } else {
        return fail(Errc::InvalidArgument, fmt::format("invalid field '{}' must be a key=value pair", field));
      }
      continue;
    }
    std::string val = field.substr(eq + 1);
    auto bool_val = [&]() -> Result<bool> {
      auto b = go_parse_bool(val);
      if (!b) return fail(Errc::InvalidArgument, fmt::format("invalid value for {}: {}", key, val));
      return *b;
    };
    if (key == "type") {
      type = to_lower(val);
    } else if (key == "source" || key == "src") {
      source = val;
      if (!val.starts_with("/") && val.starts_with(".")) source = absolute_path(val, env.working_dir());
    } else if (key == "target" || key == "dst" || key == "destination") {
      target = val;
    } else if (key == "readonly" || key == "ro") {
      read_only = TRY(bool_val());
    } else if (key == "consistency") {
      consistency = to_lower(val);
    } else if (key == "bind-propagation") {
      bnd()["Propagation"] = to_lower(val);
    } else if (key == "bind-nonrecursive") {
      bool b = TRY(bool_val());
      bnd();
      if (b) (*bind)["NonRecursive"] = true;
    } else if (key == "bind-recursive") {
      bnd();
      if (val == "disabled") (*bind)["NonRecursive"] = true;
      else if (val == "writable") (*bind)["ReadOnlyNonRecursive"] = true;
      else if (val == "readonly") (*bind)["ReadOnlyForceRecursive"] = true;
      else if (val != "enabled") return fail(Errc::InvalidArgument, fmt::format("invalid value for {}: {} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")", key, val));
    } else if (key == "volume-subpath") {
      vol()["Subpath"] = val;
    } else if (key == "volume-nocopy") {
      bool b = TRY(bool_val());
      vol();
      if (b) (*volume)["NoCopy"] = true;
    } else if (key == "volume-label") {
      vol();
      cut(val, labels);
    } else if (key == "volume-driver") {
      vol();
      driver_name = val;
    } else if (key == "volume-opt") {
      vol();
      driver_opts_set = true;
      cut(val, driver_opts);
    } else if (key == "tmpfs-size") {
      auto size = parse_ram_bytes(val);
      if (!size) return fail(Errc::InvalidArgument, fmt::format("invalid value for {}: {}", key, val));
      tmp();
      if (*size) (*tmpfs)["SizeBytes"] = *size;
    } else if (key == "tmpfs-mode") {
      uint64_t mode = 0;
      bool ok = !val.empty();
      for (char c : val) {
        if (c < '0' || c > '7') ok = false;
        else mode = mode * 8 + static_cast<uint64_t>(c - '0');
      }
      if (!ok || mode > 0xffffffffu) return fail(Errc::InvalidArgument, fmt::format("invalid value for {}: {}", key, val));
      tmp();
      if (mode) (*tmpfs)["Mode"] = mode;
    } else {
      return fail(Errc::InvalidArgument, fmt::format("unexpected key '{}' in '{}'", key, field));
    }
  }
  if (type.empty()) return fail(Errc::InvalidArgument, "type is required");
  if (target.empty()) return fail(Errc::InvalidArgument, "target is required");
  if (volume && type != "volume") {
    return fail(Errc::InvalidArgument, fmt::format("cannot mix 'volume-*' options with mount type '{}'", type));
  }
  if (bind && type != "bind") {
    return fail(Errc::InvalidArgument, fmt::format("cannot mix 'bind-*' options with mount type '{}'", type));
  }
  for (const char* k : {"ReadOnlyNonRecursive", "ReadOnlyForceRecursive"}) {
    if (bind && bind->contains(k) && !read_only) {
      return fail(Errc::InvalidArgument,
                  fmt::format("option 'bind-recursive={}' requires 'readonly' to be specified in conjunction",
                              std::string_view(k) == "ReadOnlyNonRecursive" ? "writable" : "readonly"));
    }
  }
  if (tmpfs && type != "tmpfs") {
    return fail(Errc::InvalidArgument, fmt::format("cannot mix 'tmpfs-*' options with mount type '{}'", type));
  }
  // Go's struct order and omitempty: Type, Source, Target, ReadOnly, Consistency, *Options.
  Json m = Json::object();
  m["Type"] = type;
  if (!source.empty()) m["Source"] = source;
  m["Target"] = target;
  if (read_only) m["ReadOnly"] = true;
  if (!consistency.empty()) m["Consistency"] = consistency;
  if (bind) {
    Json b = Json::object();
    for (const char* k : {"Propagation", "NonRecursive", "CreateMountpoint", "ReadOnlyNonRecursive", "ReadOnlyForceRecursive"}) {
      if (bind->contains(k)) b[k] = (*bind)[k];
    }
    m["BindOptions"] = b;
  }
  if (volume) {
    Json v = Json::object();
    if (volume->contains("NoCopy")) v["NoCopy"] = true;
    if (!labels.empty()) {
      Json l = Json::object();
      for (const auto& [k, val] : labels) l[k] = val;
      v["Labels"] = l;
    }
    if (volume->contains("Subpath") && !(*volume)["Subpath"].get<std::string>().empty()) v["Subpath"] = (*volume)["Subpath"];
    Json d = Json::object();
    if (!driver_name.empty()) d["Name"] = driver_name;
    if (driver_opts_set && !driver_opts.empty()) {
      Json o = Json::object();
      for (const auto& [k, val] : driver_opts) o[k] = val;
      d["Options"] = o;
    }
    v["DriverConfig"] = d;
    m["VolumeOptions"] = v;
  }
  if (tmpfs) {
    Json t = Json::object();
    if (tmpfs->contains("SizeBytes")) t["SizeBytes"] = (*tmpfs)["SizeBytes"];
    if (tmpfs->contains("Mode")) t["Mode"] = (*tmpfs)["Mode"];
    m["TmpfsOptions"] = t;
  }
  return m;
}

}  // namespace berth::cli
