#include "idmap/remap.h"

#include <charconv>

#include "base/file.h"
#include "sys/run_program.h"

namespace berth::idmap {
namespace {

struct DbEntry {
  std::string name;
  uint32_t id = 0;
  uint32_t gid = 0;  // passwd: the primary group
};

std::optional<uint32_t> number(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// /etc/passwd (name:pw:uid:gid:...) or /etc/group (name:pw:gid:members).
std::vector<DbEntry> parse_db(std::string_view text, bool passwd) {
  std::vector<DbEntry> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> f;
    size_t s = 0;
    for (size_t c; (c = line.find(':', s)) != std::string_view::npos; s = c + 1) f.push_back(line.substr(s, c - s));
    f.push_back(line.substr(s));
    if (f.size() < (passwd ? 4u : 3u) || f[0].empty()) continue;
    auto id = number(f[2]);
    if (!id) continue;
    DbEntry e{std::string(f[0]), *id, 0};
    if (passwd) e.gid = number(f[3]).value_or(0);
    out.push_back(std::move(e));
  }
  return out;
}

const DbEntry* by_name(const std::vector<DbEntry>& db, std::string_view name) {
  for (const auto& e : db)
    if (e.name == name) return &e;
  return nullptr;
}
const DbEntry* by_id(const std::vector<DbEntry>& db, uint32_t id) {
  for (const auto& e : db)
    if (e.id == id) return &e;
  return nullptr;
}

Result<std::string> read_or_empty(const RemapFiles& files, const std::string& path) {
  auto t = files.read(path);
  if (!t && t.error().code == Errc::NotFound) return std::string();
  if (!t) return fail(t.error().code, "reading " + path + ": " + t.error().message);
  return *t;
}

// A default user's missing range: the first free 65536 ids of that file.
Result<std::vector<IdRange>> ensure_ranges(const RemapFiles& files, const std::string& path, const std::string& owner,
                                           uint32_t id) {
  std::string text = TRY(read_or_empty(files, path));
  auto entries = parse_subids(text);
  auto have = ranges_for(entries, owner, id);
  if (!have.empty()) return have;
  auto start = find_free_range(entries, kDefaultRangeSize);
  if (!start) return fail(Errc::Unavailable, "no free range of " + std::to_string(kDefaultRangeSize) + " ids left in " + path);
  IdRange r{*start, kDefaultRangeSize};
  if (!text.empty() && text.back() != '\n') text += '\n';
  TRYV_CTX(files.write(path, text + subid_line(owner, r)), "adding " + owner + "'s subordinate ids to " + path);
  return std::vector<IdRange>{r};
}

}  // namespace

std::optional<uint32_t> Remap::to_host(const std::vector<IdMapping>& m, uint32_t id) {
  for (const auto& e : m)
    if (id >= e.container_id && uint64_t{id} < uint64_t{e.container_id} + e.size) return e.host_id + (id - e.container_id);
  return std::nullopt;
}

std::optional<uint32_t> Remap::to_container(const std::vector<IdMapping>& m, uint32_t id) {
  for (const auto& e : m)
    if (id >= e.host_id && uint64_t{id} < uint64_t{e.host_id} + e.size) return e.container_id + (id - e.host_id);
  return std::nullopt;
}

std::string Remap::map_text(const std::vector<IdMapping>& m) {
  std::string out;
  for (const auto& e : m)
    out += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) + "\n";
  return out;
}

std::vector<IdMapping> mappings_of(const std::vector<IdRange>& ranges) {
  std::vector<IdMapping> out;
  uint64_t next = 0;
  for (const auto& r : ranges) {
    if (next + r.count > (uint64_t{1} << 32)) break;
    out.push_back({static_cast<uint32_t>(next), r.start, r.count});
    next += r.count;
  }
  return out;
}

Result<Remap> resolve_remap(const std::string& setting, const RemapFiles& files) {
  auto invalid = [&](const std::string& why) {
    return fail(Errc::InvalidArgument, "userns-remap \"" + setting + "\": " + why);
  };
  if (setting.empty()) return invalid("give default, USER or USER:GROUP");
  auto colon = setting.find(':');
  if (colon != std::string::npos && setting.find(':', colon + 1) != std::string::npos)
    return fail(Errc::InvalidArgument, "Invalid user/group specification in --userns-remap: \"" + setting + "\"");
  std::string user_part = setting.substr(0, colon);
  std::string group_part = colon == std::string::npos ? "" : setting.substr(colon + 1);
  if (user_part.empty() || (colon != std::string::npos && group_part.empty()))
    return fail(Errc::InvalidArgument, "Invalid user/group specification in --userns-remap: \"" + setting + "\"");
  bool is_default = user_part == "default";
  if (is_default) user_part = kDefaultRemapUser;
  bool creatable = is_default || user_part == kDockerRemapUser;

  auto passwd = parse_db(TRY(read_or_empty(files, files.passwd)), true);
  const DbEntry* user = nullptr;
  if (auto uid = number(user_part)) {
    user = by_id(passwd, *uid);
    if (!user) return invalid("uid " + user_part + " has no entry in " + files.passwd);
  } else {
    user = by_name(passwd, user_part);
    if (!user && creatable) {
      TRYV_CTX(files.add_user(user_part), "creating the user " + user_part + " for userns-remap");
      passwd = parse_db(TRY(read_or_empty(files, files.passwd)), true);
      user = by_name(passwd, user_part);
      if (!user) return invalid("the user " + user_part + " was created but is not in " + files.passwd);
    }
    if (!user) return invalid("no user named " + user_part + " in " + files.passwd);
  }

  auto groups = parse_db(TRY(read_or_empty(files, files.group)), false);
  const DbEntry* group = nullptr;
  if (group_part.empty()) {
    // Docker's rule: a numeric user alone means the same gid, a name its
    // group of the same name; berth falls back to the user's primary group.
    group = number(user_part) ? by_id(groups, user->id) : by_name(groups, user->name);
    if (!group) group = by_id(groups, user->gid);
    if (!group) return invalid("no group for user " + user->name + " in " + files.group + "; give USER:GROUP");
  } else if (auto gid = number(group_part)) {
    group = by_id(groups, *gid);
    if (!group) return invalid("gid " + group_part + " has no entry in " + files.group);
  } else {
    group = by_name(groups, group_part);
    if (!group) return invalid("no group named " + group_part + " in " + files.group);
  }

  std::vector<IdRange> uids, gids;
  if (creatable) {
    uids = TRY(ensure_ranges(files, files.subuid, user->name, user->id));
    gids = TRY(ensure_ranges(files, files.subgid, group->name, group->id));
  } else {
    uids = ranges_for(parse_subids(TRY(read_or_empty(files, files.subuid))), user->name, user->id);
    gids = ranges_for(parse_subids(TRY(read_or_empty(files, files.subgid))), group->name, group->id);
    if (uids.empty())
      return invalid("no subordinate uid ranges found for user " + user->name + " in " + files.subuid +
                     " (add a line such as \"" + user->name + ":100000:65536\")");
    if (gids.empty())
      return invalid("no subordinate gid ranges found for group " + group->name + " in " + files.subgid +
                     " (add a line such as \"" + group->name + ":100000:65536\")");
  }
  Remap r;
  r.user = user->name;
  r.group = group->name;
  r.uids = mappings_of(uids);
  r.gids = mappings_of(gids);
  return r;
}

RemapFiles system_remap_files() {
  RemapFiles f;
  f.read = [](const std::string& path) { return read_file(path); };
  f.write = [](const std::string& path, const std::string& text) -> Result<void> {
    return write_file_atomic(path, text, 0644, true);
  };
  f.add_user = [](const std::string& name) -> Result<void> {
    auto r = sys::run_program({"useradd", "--system", "--user-group", "--no-create-home", "--shell", "/bin/false", name});
    if (!r) return fail(r.error().code, "running useradd: " + r.error().message);
    if (r->status != 0) return fail(Errc::Internal, "useradd " + name + " failed: " + r->err);
    return {};
  };
  return f;
}

}  // namespace berth::idmap
