// `docker export`: the merged view of a container's snapshot as one flat tar,
// checked with GNU tar (a reader nobody here wrote).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/unique_fd.h"
#include "image/container_export.h"
#include "image/service.h"
#include "support/bundle.h"

using namespace berth;
using namespace berth::image;
using berth::testing::run_command;
namespace fs = std::filesystem;

namespace {

std::string option(const snapshot::Mount& m, const std::string& key) {
  for (const auto& o : m.options)
    if (o.rfind(key + "=", 0) == 0) return o.substr(key.size() + 1);
  return {};
}

std::set<std::string> tar_names(const std::string& tar) {
  auto r = run_command({"/bin/tar", "-tf", tar});
  EXPECT_EQ(r.status, 0) << r.err;
  std::set<std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && line.back() == '/') line.pop_back();
    out.insert(line);
  }
  return out;
}

}  // namespace

TEST(ContainerExport, FlatTarIsTheMergedViewWithoutWhiteouts) {
  ASSERT_EQ(::geteuid(), 0u) << "needs root: layers carry owners and device nodes";
  char tmpl[] = "/tmp/berth-export-it-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string tmp = tmpl;
  berth::testing::make_rootfs(tmp + "/rootfs");
  ASSERT_EQ(run_command({"/bin/tar", "-C", tmp + "/rootfs", "--numeric-owner", "-cf", tmp + "/rootfs.tar", "."}).status, 0);
  {
    auto svc = ImageService::open(tmp + "/root");
    ASSERT_TRUE(svc) << svc.error().str();
    UniqueFd in(::open((tmp + "/rootfs.tar").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE((*svc)->import_rootfs(in.get(), "berth-test/busybox:v1"));
    auto mounts = (*svc)->prepare_rootfs("berth-test/busybox:v1", "ctr1");
    ASSERT_TRUE(mounts) << mounts.error().str();
    ASSERT_EQ(mounts->size(), 1u);
    const auto& m = (*mounts)[0];
    std::string upper = option(m, "upperdir");
    ASSERT_FALSE(upper.empty()) << "expected an overlay snapshot on this host";
    if (!m.chdir.empty() && upper[0] != '/') upper = m.chdir + "/" + upper;
    // What a container would do: add a file, delete /etc/motd (a whiteout), replace /etc/passwd.
    std::ofstream(upper + "/added.txt") << "written in the container\n";
    fs::create_directories(upper + "/etc");
    ASSERT_EQ(::mknod((upper + "/etc/motd").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
    std::ofstream(upper + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";

    std::string out = tmp + "/export.tar";
    UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto r = export_container_fs(**svc, "ctr1", fd.get());
    ASSERT_TRUE(r) << r.error().str();
    fd.reset();
    auto names = tar_names(out);
    EXPECT_TRUE(names.count("added.txt"));
    EXPECT_TRUE(names.count("bin/busybox"));
    EXPECT_TRUE(names.count("etc/group"));
    EXPECT_FALSE(names.count("etc/motd")) << "a deleted file must not be exported";
    for (const auto& n : names) EXPECT_EQ(n.find(".wh."), std::string::npos) << n;
    fs::create_directories(tmp + "/x");
    ASSERT_EQ(run_command({"/bin/tar", "-C", tmp + "/x", "-xf", out}).status, 0);
    std::ifstream passwd(tmp + "/x/etc/passwd");
    std::stringstream ss;
    ss << passwd.rdbuf();
    EXPECT_EQ(ss.str(), "root:x:0:0:root:/root:/bin/sh\n") << "the container's copy must win";
    EXPECT_TRUE(fs::is_symlink(tmp + "/x/bin/sh"));
    EXPECT_EQ(fs::file_size(tmp + "/x/bin/busybox"), fs::file_size(tmp + "/rootfs/bin/busybox"));
  }
  fs::remove_all(tmp);
}
