// Path resolution inside a container root, the stat endpoint and its header,
// and user lookup in the container's own /etc/passwd.
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "base/go_json.h"
#include "base/go_time.h"
#include "base/strings.h"
#include "layer/container_archive.h"
#include "sys/syscalls.h"

namespace berth::layer {

uint32_t go_file_mode(mode_t m) {
  uint32_t out = m & 0777;
  switch (m & S_IFMT) {
    case S_IFBLK: out |= go_mode::kDevice; break;
    case S_IFCHR: out |= go_mode::kDevice | go_mode::kCharDevice; break;
    case S_IFDIR: out |= go_mode::kDir; break;
    case S_IFIFO: out |= go_mode::kNamedPipe; break;
    case S_IFLNK: out |= go_mode::kSymlink; break;
    case S_IFSOCK: out |= go_mode::kSocket; break;
    default: break;
  }
  if (m & S_ISUID) out |= go_mode::kSetuid;
  if (m & S_ISGID) out |= go_mode::kSetgid;
  if (m & S_ISVTX) out |= go_mode::kSticky;
  return out;
}

std::string path_stat_json(const PathStat& s) {
  nlohmann::ordered_json j;  // Go marshals fields in declaration order
  j["name"] = s.name;
  j["size"] = s.size;
  j["mode"] = s.mode;
  j["mtime"] = s.mtime;
  j["linkTarget"] = s.link_target;
  return go::marshal(j);  // names with < > & are escaped, as Go does
}

std::string path_stat_header(const PathStat& s) {
  std::string json = path_stat_json(s);
  std::string out(4 * ((json.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(json.data()), static_cast<int>(json.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<UniqueFd> open_container_root(const std::string& rootfs) {
  UniqueFd fd(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("opening container root " + rootfs);
  return fd;
}

namespace container_fs {
namespace {

constexpr int kMaxSymlinks = 40;  // the kernel's limit too

std::string show(const std::vector<std::string>& parts) { return "/" + join(parts, "/"); }

// Go's filepath.Base: "" -> ".", "///" -> "/", "a/b/" -> "b".
std::string_view go_base(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  if (p.empty()) return ".";
  if (p == "/") return "/";
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

struct Walk {
  int root;
  std::vector<UniqueFd> stack;  // open directories below the root
  std::vector<std::string> names;
  int cur() const { return stack.empty() ? root : stack.back().get(); }
  void up() {
    if (stack.empty()) return;  // ".." at the root stays at the root, as in a chroot
    stack.pop_back();
    names.pop_back();
  }
};

enum class Missing { Fail, Create, Lexical };

struct WalkResult {
  Resolved r;
  bool complete = true;  // false: Lexical mode met a missing component
};

Result<WalkResult> walk(int root, const std::vector<std::string>& parts, bool follow_last, Missing missing,
                        const std::optional<Owner>& owner) {
  Walk w{root, {}, {}};
  std::deque<std::string> todo(parts.begin(), parts.end());
  int hops = 0;
  WalkResult out;
  bool have_leaf = false;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      w.up();
      continue;
    }
    bool last = todo.empty();
    if (last && !follow_last) {
      out.r.leaf = c;
      have_leaf = true;
      // Whether it exists is the caller's business (lstat); note it for convenience.
      struct stat st;
      out.r.leaf_exists = ::fstatat(w.cur(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      break;
    }
    struct stat st;
    if (::fstatat(w.cur(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      int err = errno;
      if (err == ENOENT && missing == Missing::Lexical) {
        // Evaluate the rest by name only, as moby's FollowSymlinkInScope does.
        w.names.push_back(c);
        for (auto& rest : todo) {
          if (rest == "..") {
            if (!w.names.empty()) w.names.pop_back();
          } else if (!rest.empty() && rest != ".") {
            w.names.push_back(rest);
          }
        }
        out.complete = false;
        out.r.parts = std::move(w.names);
        return out;
      }
      if (err == ENOENT && last && missing != Missing::Create) {
        out.r.leaf = c;
        out.r.leaf_exists = false;
        have_leaf = true;
        break;
      }
      if (err != ENOENT || missing != Missing::Create)
        return fail_errno(show(parts) + ": looking up " + show(w.names) + (w.names.empty() ? "" : "/") + c, err);
      if (::mkdirat(w.cur(), c.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno(show(parts) + ": creating directory " + c);
      if (owner && ::fchownat(w.cur(), c.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno(show(parts) + ": setting the owner of " + c);
      if (::fstatat(w.cur(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return fail_errno(show(parts) + ": looking up " + c);
    }
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinks) return fail_errno(show(parts) + ": too many levels of symbolic links", ELOOP);
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(w.cur(), c.c_str(), target, sizeof target - 1);
      if (n < 0) return fail_errno(show(parts) + ": reading symlink " + c);
      std::string t(target, static_cast<size_t>(n));
      if (t.starts_with('/')) {  // absolute: from the container's root
        w.stack.clear();
        w.names.clear();
      }
      auto tp = split(t, '/', /*skip_empty=*/true);
      todo.insert(todo.begin(), tp.begin(), tp.end());
      continue;
    }
    if (last) {
      out.r.leaf = c;
      have_leaf = true;
      break;
    }
    if (!S_ISDIR(st.st_mode))
      return fail_errno(show(parts) + ": " + c + " is not a directory", ENOTDIR);
    UniqueFd next(::openat(w.cur(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return fail_errno(show(parts) + ": opening directory " + c);
    w.stack.push_back(std::move(next));
    w.names.push_back(c);
  }
  if (w.stack.empty()) {
    out.r.dir.reset(::openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out.r.dir) return fail_errno("opening the container root");
  } else {
    out.r.dir = std::move(w.stack.back());
  }
  out.r.parts = std::move(w.names);
  if (have_leaf) out.r.parts.push_back(out.r.leaf);
  return out;
}

}  // namespace

std::vector<std::string> clean_parts(std::string_view path) {
  std::vector<std::string> out;
  for (auto& c : split(path, '/', /*skip_empty=*/true)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool follows_last(std::string_view path) {
  return path.ends_with('/') || go_base(path) == ".";
}

Result<Resolved> resolve(int root, const std::vector<std::string>& parts, bool follow_last, bool create_dirs,
                         const std::optional<Owner>& owner) {
  auto w = TRY(walk(root, parts, follow_last, create_dirs ? Missing::Create : Missing::Fail, owner));
  return std::move(w.r);
}

Result<std::string> eval_in_scope(int root, const std::vector<std::string>& parts) {
  auto w = TRY(walk(root, parts, /*follow_last=*/true, Missing::Lexical, {}));
  return show(w.r.parts);
}

// The name Docker gives a requested path: filepath.Base of the path made
// absolute, trailing "/." kept ("." then).
std::string request_name(std::string_view path) {
  auto parts = clean_parts(path);
  if (parts.empty()) return "/";
  if (go_base(path) == ".") return ".";
  return parts.back();
}

}  // namespace container_fs

Result<PathStat> container_fs::stat_resolved(int root, const Resolved& r, std::string_view request) {
  std::string shown = "/" + join(r.parts, "/");
  if (!r.leaf_exists)
    return fail(Errc::NotFound, "/" + join(clean_parts(request), "/") + ": no such file or directory", ENOENT);
  struct stat st;
  int rc = r.leaf.empty() ? ::fstat(r.dir.get(), &st)
                          : ::fstatat(r.dir.get(), r.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("stat " + shown);
  PathStat s;
  s.name = request_name(request);
  s.size = st.st_size;
  s.mode = go_file_mode(st.st_mode);
  s.mtime = go::format_rfc3339_nano({st.st_mtim.tv_sec, static_cast<int32_t>(st.st_mtim.tv_nsec)});
  if (S_ISLNK(st.st_mode)) s.link_target = TRY(eval_in_scope(root, r.parts));
  return s;
}

Result<PathStat> stat_path(int root, const std::string& path) {
  using namespace container_fs;
  auto r = TRY(resolve(root, clean_parts(path), follows_last(path)));
  return stat_resolved(root, r, path);
}

namespace {

// "name:x:uid:gid:..." lines; returns the fields of the line whose
// field[key_index] equals key.
std::optional<std::vector<std::string>> find_entry(const std::string& text, size_t key_index,
                                                   const std::string& key) {
  for (const auto& line : split(text, '\n', /*skip_empty=*/true)) {
    auto f = split(line, ':');
    if (f.size() > std::max<size_t>(key_index, 3) && f[key_index] == key) return f;
  }
  return std::nullopt;
}

Result<std::string> read_in_root(int root, const char* path) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(sys::openat2(root, path, &how));
  if (!fd) {
    if (errno == ENOENT) return std::string();  // no such database: only numeric ids resolve
    return fail_errno(std::string("opening the container's ") + path);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(std::string("reading the container's ") + path);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

Result<Owner> lookup_user(int root, const std::string& spec) {
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  std::string passwd = TRY(read_in_root(root, "/etc/passwd"));
  Owner o;
  auto by_name = find_entry(passwd, 0, user);
  auto uid = parse_uint(user);
  auto entry = by_name ? by_name : (uid ? find_entry(passwd, 2, user) : std::nullopt);
  if (entry) {
    auto u = parse_uint((*entry)[2]);
    auto g = parse_uint((*entry)[3]);
    if (!u || !g) return fail(Errc::InvalidArgument, "the container's /etc/passwd has a malformed entry for " + user);
    o.uid = static_cast<uid_t>(*u);
    o.gid = static_cast<gid_t>(*g);
  } else if (uid) {
    o.uid = static_cast<uid_t>(*uid);
  } else {
    return fail(Errc::NotFound, "user " + user + " not found in the container's /etc/passwd");
  }
  if (!group.empty()) {
    if (auto gid = parse_uint(group)) {
      o.gid = static_cast<gid_t>(*gid);
    } else {
      std::string groups = TRY(read_in_root(root, "/etc/group"));
      auto g = find_entry(groups, 0, group);
      auto id = g ? parse_uint((*g)[2]) : std::nullopt;
      if (!id) return fail(Errc::NotFound, "group " + group + " not found in the container's /etc/group");
      o.gid = static_cast<gid_t>(*id);
    }
  }
  return o;
}

}  // namespace berth::layer
