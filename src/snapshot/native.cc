#include "snapshot/native.h"

#include <sys/stat.h>

#include "snapshot/fs_tree.h"

namespace berth::snapshot {

Result<std::unique_ptr<NativeSnapshotter>> NativeSnapshotter::open(const std::string& root) {
  std::unique_ptr<NativeSnapshotter> s(new NativeSnapshotter());
  TRYV(s->open_root(root, "native"));
  return s;
}

Result<void> NativeSnapshotter::populate(const std::string& dir, const Info&,
                                         const std::vector<Info>& parents) {
  if (parents.empty()) {
    if (::mkdir((dir + "/fs").c_str(), 0755) != 0) return fail_errno("creating " + dir + "/fs");
    return {};
  }
  return copy_tree(dir_of(parents[0].id) + "/fs", dir + "/fs");
}

std::vector<Mount> NativeSnapshotter::describe(const Info& info, const std::vector<Info>&) {
  return {Mount{"bind", dir_of(info.id) + "/fs",
                {info.kind == Kind::Active ? "rw" : "ro", "rbind"}, ""}};
}

}  // namespace berth::snapshot
