// Config.User -> uid, gid and supplementary groups, from the image's own
// /etc/passwd and /etc/group (runc's GetExecUser rules, which Docker uses).
// The files are opened with RESOLVE_IN_ROOT: an image whose /etc/passwd is a
// symlink to /../../../etc/passwd reads its own file, never the host's.
#include <fcntl.h>
#include <unistd.h>

#include <optional>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "specgen/specgen.h"
#include "sys/syscalls.h"

namespace berth::specgen {
namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// The file's content, or nullopt when it does not exist in the root.
Result<std::optional<std::string>> read_in_root(const std::string& rootfs, const char* rel) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening rootfs " + rootfs);
  struct open_how how {};
  // Symlinks are followed, as inside a chroot: a symlinked /etc/passwd is legitimate
  // as long as it stays in the root.
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = sys::openat2(root.get(), rel, &how);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return fail_errno(std::string("opening ") + rel + " in " + rootfs);
  }
  UniqueFd file(fd);
  std::string text;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(std::string("reading ") + rel + " in " + rootfs);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (64u << 20)) return fail(Errc::InvalidArgument, std::string(rel) + " in " + rootfs + " is larger than 64 MiB");
  }
  return std::optional<std::string>(std::move(text));
}

std::optional<uint32_t> parse_id(std::string_view s) {
  auto v = parse_uint(s);
  if (!v || *v > 0xffffffffu) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
  std::vector<PasswdEntry> out;
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    auto uid = parse_id(f[2]), gid = parse_id(f[3]);
    if (!uid || !gid) continue;
    out.push_back(PasswdEntry{f[0], *uid, *gid, f.size() > 5 ? f[5] : ""});
  }
  return out;
}

std::vector<GroupEntry> parse_group(const std::string& text) {
  std::vector<GroupEntry> out;
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    auto gid = parse_id(f[2]);
    if (!gid) continue;
    out.push_back(GroupEntry{f[0], *gid, f.size() > 3 ? split(f[3], ',', true) : std::vector<std::string>{}});
  }
  return out;
}

// A group given by name or number; numbers need not be in the file.
Result<uint32_t> find_group(const std::vector<GroupEntry>& groups, const std::string& spec) {
  for (const auto& g : groups)
    if (g.name == spec) return g.gid;
  if (auto n = parse_id(spec)) return *n;
  return fail(Errc::NotFound, "unable to find group " + spec + ": no matching entries in group file");
}

}  // namespace

Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user,
                                  const std::vector<std::string>& group_add) {
  std::string user_spec(user), group_spec;
  if (auto colon = user_spec.find(':'); colon != std::string::npos) {
    group_spec = user_spec.substr(colon + 1);
    user_spec.resize(colon);
  }

  std::vector<PasswdEntry> passwd;
  std::vector<GroupEntry> groups;
  if (auto text = TRY(read_in_root(rootfs, "etc/passwd"))) passwd = parse_passwd(*text);
  if (auto text = TRY(read_in_root(rootfs, "etc/group"))) groups = parse_group(*text);

  ResolvedUser r;
  const PasswdEntry* entry = nullptr;
  if (user_spec.empty()) user_spec.push_back('0');  // Docker's default user is root
  auto uid_number = parse_id(user_spec);
  for (const auto& p : passwd) {
    if (uid_number ? p.uid == *uid_number : p.name == user_spec) {
      entry = &p;
      break;
    }
  }
  if (entry) {
    r.uid = entry->uid;
    r.gid = entry->gid;
    if (!entry->home.empty()) r.home = entry->home;
  } else if (uid_number) {
    r.uid = *uid_number;  // an id without a passwd entry runs as itself, gid 0
  } else {
    return fail(Errc::NotFound,
                "unable to find user " + user_spec + ": no matching entries in passwd file");
  }

  if (!group_spec.empty()) {
    r.gid = TRY(find_group(groups, group_spec));
  } else if (entry) {
    // Supplementary groups: those listing the user by name (only without an explicit group).
    for (const auto& g : groups)
      for (const auto& m : g.members)
        if (m == entry->name) {
          r.additional_gids.push_back(g.gid);
          break;
        }
  }
  for (const auto& g : group_add) {
    uint32_t gid = TRY(find_group(groups, g));
    r.additional_gids.push_back(gid);
  }
  return r;
}

}  // namespace berth::specgen
