#include "buildfs/in_root.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "base/strings.h"
#include "layer/container_archive.h"

namespace berth::buildfs {

std::string trim_source(std::string_view p) {
  if (p.starts_with('/')) p.remove_prefix(1);
  if (p.starts_with("./")) p.remove_prefix(2);
  return std::string(p);
}

std::optional<std::string> clean_relative(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& c : split(path, '/', /*skip_empty=*/true)) {
    if (c == ".") continue;
    if (c == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(c));
  }
  if (parts.empty()) return ".";
  return join(parts, "/");
}

std::string base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return ".";
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string go_strerror(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

Result<InRoot> resolve_in_root(int root, const std::string& rel) {
  using namespace layer::container_fs;
  auto parts = rel == "." ? std::vector<std::string>{} : clean_parts(rel);
  auto r = TRY(resolve(root, parts, /*follow_last=*/true));
  if (!r.leaf_exists) return fail(Errc::NotFound, rel + ": no such file or directory", ENOENT);
  InRoot out;
  int rc = r.leaf.empty() ? ::fstat(r.dir.get(), &out.st)
                          : ::fstatat(r.dir.get(), r.leaf.c_str(), &out.st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno("stat " + rel);
  out.dir = std::move(r.dir);
  out.leaf = std::move(r.leaf);
  out.path = join(r.parts, "/");
  return out;
}

Result<UniqueFd> open_resolved(const InRoot& at, int flags) {
  const char* name = at.leaf.empty() ? "." : at.leaf.c_str();
  UniqueFd fd(::openat(at.dir.get(), name, flags | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + (at.leaf.empty() ? std::string("the root") : at.leaf));
  return fd;
}

}  // namespace berth::buildfs
