#include "buildfs/users.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "buildfs/in_root.h"
#include "sys/syscalls.h"

namespace berth::buildfs {
namespace {

constexpr size_t kMaxDatabase = 16 << 20;
constexpr int64_t kMaxId = (int64_t{1} << 31) - 1;

// One /etc/passwd or /etc/group, opened inside the root; nullopt when it
// cannot be opened (ENOENT and the like: runc and Docker see no file).
struct Database {
  std::optional<std::string> text;
  int open_errno = 0;
};

Result<Database> read_database(int root, const char* path) {
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;  // a FIFO planted there does not block us
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(sys::openat2(root, path, &how));
  if (!fd) return Database{std::nullopt, errno};
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return fail_errno(std::string("stat /") + path);
  if (!S_ISREG(st.st_mode)) return fail(Errc::InvalidArgument, std::string("/") + path + " is not a regular file");
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(std::string("reading /") + path);
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxDatabase) return fail(Errc::InvalidArgument, std::string("/") + path + " is too large");
  }
  return Database{std::move(text), 0};
}

// Go's strconv.Atoi: optional sign, decimal digits.
std::optional<int64_t> atoi(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  if (s.starts_with('+')) return std::nullopt;
  return parse_int(s);
}

// libcontainer/user's line format: fields split on ':', surrounding space
// trimmed, empty lines skipped, a malformed number read as 0.
struct Entry {
  std::string name;
  int64_t id = 0;       // uid or gid
  int64_t gid = 0;      // passwd: the primary group
  std::vector<std::string> members;  // group: its user list
};

std::vector<Entry> parse(const std::string& text, bool passwd) {
  std::vector<Entry> out;
  for (const auto& raw : split(text, '\n')) {
    auto line = trim(raw);
    if (line.empty()) continue;
    auto f = split(line, ':');
    Entry e;
    e.name = f[0];
    if (f.size() > 2) e.id = atoi(f[2]).value_or(0);
    if (passwd && f.size() > 3) e.gid = atoi(f[3]).value_or(0);
    if (!passwd && f.size() > 3) e.members = split(f[3], ',', /*skip_empty=*/true);
    out.push_back(std::move(e));
  }
  return out;
}

// runc's GetExecUser, with Docker's defaults (uid 0, gid 0).
Result<Owner> exec_user(int root, const std::string& spec) {
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group;
  if (colon != std::string::npos) group = spec.substr(colon + 1, spec.find(':', colon + 1) - colon - 1);
  auto uid_arg = atoi(user);
  auto gid_arg = atoi(group);

  auto passwd = TRY(read_database(root, "etc/passwd"));
  std::optional<Entry> found;
  if (passwd.text) {
    for (auto& e : parse(*passwd.text, true)) {
      bool match = user.empty() ? e.id == 0 : uid_arg ? e.id == *uid_arg : e.name == user;
      if (match) {
        found = std::move(e);
        break;
      }
    }
  }
  int64_t uid = 0, gid = 0;
  if (found) {
    uid = found->id;
    gid = found->gid;
  } else if (!user.empty()) {
    if (!uid_arg) return fail(Errc::NotFound, "unable to find user " + user + ": no matching entries in passwd file");
    uid = *uid_arg;
    if (uid < 0 || uid > kMaxId) return fail(Errc::InvalidArgument, "uids and gids must be in range 0-2147483647");
  }
  if (!group.empty()) {
    auto groups = TRY(read_database(root, "etc/group"));
    std::optional<int64_t> matched;
    if (groups.text) {
      for (const auto& g : parse(*groups.text, false)) {
        if (gid_arg ? g.id == *gid_arg : g.name == group) {
          matched = g.id;
          break;
        }
      }
    }
    if (matched) {
      gid = *matched;
    } else {
      if (!gid_arg) return fail(Errc::NotFound, "unable to find group " + group + ": no matching entries in group file");
      gid = *gid_arg;
      if (gid < 0 || gid > kMaxId) return fail(Errc::InvalidArgument, "uids and gids must be in range 0-2147483647");
    }
  }
  return Owner{static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
}

// Docker's lookupUser / lookupGroup for --chown: a number is taken as it is,
// a name is looked up (a missing file is an error here).
Result<int64_t> chown_id(int root, const std::string& spec, const std::string& name, bool user) {
  if (auto n = atoi(name)) {
    if (*n < 0 || *n > 0xfffffffe) return fail(Errc::InvalidArgument, "invalid chown string format: " + spec);
    return *n;
  }
  const char* path = user ? "etc/passwd" : "etc/group";
  std::string what = user ? "can't find uid for user " + name : "can't find gid for group " + name;
  auto db = TRY(read_database(root, path));
  if (!db.text) {
    return fail(Errc::NotFound, what + ": open /" + path + ": " + go_strerror(db.open_errno));
  }
  for (const auto& e : parse(*db.text, user))
    if (e.name == name) return e.id;
  return fail(Errc::NotFound, what + (user ? ": no such user: " : ": no such group: ") + name);
}

Result<Owner> chown_owner(int root, const std::string& spec) {
  auto parts = split(spec, ':');
  if (parts.size() > 2) return fail(Errc::InvalidArgument, "invalid chown string format: " + spec);
  const std::string& user = parts[0];
  const std::string& group = parts.size() == 1 ? parts[0] : parts[1];  // no group: the user spec names it too
  auto uid = TRY(chown_id(root, spec, user, true));
  auto gid = TRY(chown_id(root, spec, group, false));
  return Owner{static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
}

}  // namespace

Result<Owner> resolve_owner(int root_fd, const std::string& spec, ResolveFor purpose) {
  if (purpose == ResolveFor::user) return exec_user(root_fd, spec);
  // Docker's performCopy wraps whatever parseChownFlag says.
  auto owner = chown_owner(root_fd, spec);
  if (!owner) return std::unexpected(std::move(owner).error().wrap("unable to convert uid/gid chown string to host mapping"));
  return owner;
}

}  // namespace berth::buildfs
