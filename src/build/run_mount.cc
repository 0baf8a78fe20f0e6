// RUN --mount's value, read as BuildKit's Dockerfile frontend reads it
// (fields, their aliases, the defaults per type), with berth's messages.
#include "build/run_mount.h"

#include <vector>

#include "base/strings.h"
#include "build/chmod.h"
#include "build/go_text.h"

namespace berth::build {
namespace {

// CSV fields: commas split, a double-quoted field may hold commas and "" for a quote.
Result<std::vector<std::string>> csv_fields(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') cur += c;
      else if (i + 1 < text.size() && text[i + 1] == '"') cur += '"', ++i;
      else quoted = false;
    } else if (c == '"' && cur.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur += c;
    }
  }
  if (quoted) return fail(Errc::InvalidArgument, "an unterminated quote in \"" + std::string(text) + "\"");
  out.push_back(std::move(cur));
  return out;
}

Result<bool> bool_value(const std::string& key, const std::optional<std::string>& value) {
  if (!value) return true;
  std::string v = ascii_lower(*value);
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return fail(Errc::InvalidArgument, "invalid value for " + key + ": " + *value);
}

Result<uint32_t> id_value(const std::string& key, const std::string& value) {
  auto n = parse_uint(value);
  if (!n || value.empty() || *n > 0xffffffffu) return fail(Errc::InvalidArgument, "invalid value for " + key + ": " + value);
  return static_cast<uint32_t>(*n);
}

// A size as RAMInBytes reads it: a number with an optional k, m, g, t suffix (binary).
Result<int64_t> size_value(const std::string& value) {
  std::string v = ascii_lower(value);
  for (const char* unit : {"ib", "b"})
    if (v.ends_with(unit) && v.size() > std::string_view(unit).size()) v.resize(v.size() - std::string_view(unit).size());
  int64_t mult = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 'k': mult = int64_t{1} << 10; break;
      case 'm': mult = int64_t{1} << 20; break;
      case 'g': mult = int64_t{1} << 30; break;
      case 't': mult = int64_t{1} << 40; break;
      default: mult = 0;
    }
    if (mult) v.pop_back();
    else mult = 1;
  }
  auto n = parse_uint(v);
  if (!n || v.empty() || *n > (uint64_t{1} << 50) / static_cast<uint64_t>(mult))
    return fail(Errc::InvalidArgument, "invalid value for size: " + value);
  return static_cast<int64_t>(*n) * mult;
}

std::string absolute(const std::string& path, const std::string& workdir) {
  return gotext::clean_path(path.starts_with("/") ? path : "/" + workdir + "/" + path);
}

}  // namespace

std::string_view to_string(MountType t) {
  switch (t) {
    case MountType::bind: return "bind";
    case MountType::cache: return "cache";
    case MountType::tmpfs: return "tmpfs";
    case MountType::secret: return "secret";
  }
  return "bind";
}

std::string_view to_string(CacheSharing s) {
  switch (s) {
    case CacheSharing::shared: return "shared";
    case CacheSharing::private_: return "private";
    case CacheSharing::locked: return "locked";
  }
  return "shared";
}

Result<RunMount> parse_run_mount(std::string_view spec, const std::string& workdir,
                                 const std::function<Result<std::string>(std::string_view)>& expand) {
  RunMount m;
  std::optional<bool> read_only;
  bool sharing_set = false;
  for (const auto& field : TRY(csv_fields(spec))) {
    if (trim(field).empty()) continue;
    auto eq = field.find('=');
    std::string key = ascii_lower(std::string(trim(field.substr(0, eq))));
    std::optional<std::string> value;
    if (eq != std::string::npos) value = TRY(expand(field.substr(eq + 1)));
    auto need = [&]() -> Result<std::string> {
      if (!value) return fail(Errc::InvalidArgument, "invalid field '" + field + "' must be a key=value pair");
      return *value;
    };
    if (key == "type") {
      std::string t = ascii_lower(TRY(need()));
      if (t == "bind") m.type = MountType::bind;
      else if (t == "cache") m.type = MountType::cache;
      else if (t == "tmpfs") m.type = MountType::tmpfs;
      else if (t == "secret") m.type = MountType::secret;
      else if (t == "ssh") return fail(Errc::Unsupported, "mount type ssh is not supported by berth's builder");
      else return fail(Errc::InvalidArgument, "unsupported mount type \"" + t + "\"");
    } else if (key == "from") {
      m.from = TRY(need());
    } else if (key == "source" || key == "src") {
      m.source = TRY(need());
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = TRY(need());
    } else if (key == "readonly" || key == "ro") {
      read_only = TRY(bool_value(key, value));
    } else if (key == "readwrite" || key == "rw") {
      read_only = !TRY(bool_value(key, value));
    } else if (key == "required") {
      m.required = TRY(bool_value(key, value));
    } else if (key == "id") {
      m.id = TRY(need());
    } else if (key == "sharing") {
      std::string s = ascii_lower(TRY(need()));
      if (s == "shared") m.sharing = CacheSharing::shared;
      else if (s == "private") m.sharing = CacheSharing::private_;
      else if (s == "locked") m.sharing = CacheSharing::locked;
      else return fail(Errc::InvalidArgument, "unsupported sharing value \"" + s + "\" (shared, private or locked)");
      sharing_set = true;
    } else if (key == "mode") {
      auto mode = parse_octal_mode(TRY(need()));
      if (!mode) return fail(Errc::InvalidArgument, "invalid value for mode: " + *value + " (an octal mode, e.g. 0644)");
      m.mode = *mode;
    } else if (key == "uid") {
      m.uid = TRY(id_value(key, TRY(need())));
    } else if (key == "gid") {
      m.gid = TRY(id_value(key, TRY(need())));
    } else if (key == "size") {
      m.size = TRY(size_value(TRY(need())));
    } else {
      return fail(Errc::InvalidArgument, "unexpected key '" + key + "' in '" + field + "'");
    }
  }
  const std::string type(to_string(m.type));
  auto refuse = [&](const std::string& what) {
    return fail(Errc::InvalidArgument, "--mount=type=" + type + ": " + what);
  };
  if (sharing_set && m.type != MountType::cache) return refuse("sharing is for cache mounts only");
  if (!m.from.empty() && (m.type == MountType::tmpfs || m.type == MountType::secret))
    return refuse("a " + type + " mount takes no from");
  if ((m.mode || m.uid || m.gid) && m.type != MountType::cache && m.type != MountType::secret)
    return refuse("mode, uid and gid are for cache and secret mounts only");
  if (m.size && m.type != MountType::tmpfs) return refuse("size is for tmpfs mounts only");
  if (m.required && m.type != MountType::secret) return refuse("required is for secret mounts only");
  if (m.type == MountType::secret) {
    if (!m.source.empty() && !m.id.empty()) return refuse("both source and id can't be set");
    if (m.id.empty()) m.id = m.source;
    m.source.clear();
    if (m.id.empty() && m.target.empty()) return refuse("an id or a target is required");
    if (read_only == false) return refuse("a secret is read-only");
    if (m.target.empty()) m.target = "/run/secrets/" + m.id;
    m.target = absolute(m.target, workdir);
    if (m.id.empty()) m.id = m.target.substr(m.target.rfind('/') + 1);
    m.read_only = true;
  } else {
    if (!m.id.empty() && m.type != MountType::cache) return refuse("id is for cache and secret mounts only");
    if (m.target.empty()) return refuse("a target is required (target=PATH)");
    m.target = absolute(m.target, workdir);
    m.read_only = read_only.value_or(m.type == MountType::bind);
    if (m.type == MountType::cache && m.id.empty()) m.id = m.target;
    if (!m.source.empty()) {
      m.source = gotext::clean_path("/" + m.source);
      if (m.source == "/") m.source.clear();
      else m.source.erase(0, 1);
    }
  }
  if (m.target == "/") return refuse("cannot mount over the root (target=/)");
  return m;
}

std::string mount_key_text(const RunMount& m) {
  auto opt = [](const auto& v) { return v ? std::to_string(*v) : std::string("-"); };
  return std::string("mount type=") + std::string(to_string(m.type)) + " target=" + gotext::quote(m.target) +
         " source=" + gotext::quote(m.source) + " from=" + gotext::quote(m.from_image) + " id=" + gotext::quote(m.id) +
         " sharing=" + std::string(to_string(m.sharing)) + " ro=" + (m.read_only ? "1" : "0") +
         " required=" + (m.required ? "1" : "0") + " mode=" + opt(m.mode) + " uid=" + opt(m.uid) +
         " gid=" + opt(m.gid) + " size=" + std::to_string(m.size) + "\n";
}

}  // namespace berth::build
