// Root-only layer tests: ownership, capabilities, device nodes, overlay
// whiteouts read back by the kernel, diff of a real overlay upper dir, and
// the diff tar's round trip.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "../../unit/layer/tar_builder.h"
#include "base/unique_fd.h"
#include "content/digest.h"

using namespace berth;
using namespace layer_test;

namespace {

std::string sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}
bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}
std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string xattr(const std::string& p, const char* name) {
  char v[256];
  ssize_t n = ::lgetxattr(p.c_str(), name, v, sizeof(v));
  return n < 0 ? "" : std::string(v, static_cast<size_t>(n));
}
// Everything a layer must preserve, one line per entry; mtimes in seconds as
// layer tars carry them (dir mtimes excluded: applying children bumps them).
std::string manifest(const std::string& dir) {
  std::string out = sh("cd '" + dir + "' && find . -mindepth 1 ! -type d -printf '%p %y %m %U %G %s %l %T@\\n' | "
                       "sed -E 's/\\.[0-9]+$//' | sort; find . -mindepth 1 -type d -printf '%p %y %m %U %G\\n' | sort; "
                       "find . -type f -exec md5sum {} + | sort");
  std::istringstream paths(sh("cd '" + dir + "' && find . -mindepth 1 | sort"));
  for (std::string p; std::getline(paths, p);) {
    std::string full = dir + "/" + p;
    char names[4096];
    ssize_t n = ::llistxattr(full.c_str(), names, sizeof(names));
    for (ssize_t i = 0; i < n;) {
      std::string name = names + i;
      i += static_cast<ssize_t>(name.size()) + 1;
      if (!name.starts_with("trusted.overlay.")) out += p + " " + name + "=" + xattr(full, name.c_str()) + "\n";
    }
  }
  return out;
}

class LayerRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "needs root";
    base_ = temp_dir("integ");
    ASSERT_FALSE(base_.empty());
  }
  void TearDown() override {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    remove_all(base_);
  }
  std::string mkdir(const std::string& name) {
    std::string p = base_ + "/" + name;
    ::mkdir(p.c_str(), 0755);
    return p;
  }
  std::string overlay(const std::string& lower, const std::string& upper, const std::string& name) {
    std::string work = mkdir(name + "-work"), merged = mkdir(name);
    std::string opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
    EXPECT_EQ(::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()), 0) << strerror(errno);
    mounts_.push_back(merged);
    return merged;
  }
  void unmount(const std::string& m) {
    ASSERT_EQ(::umount2(m.c_str(), 0), 0);
    std::erase(mounts_, m);
  }
  std::string base_;
  std::vector<std::string> mounts_;
};

TEST_F(LayerRootTest, PreservesEveryProperty) {
  TarEntry f = file("bin/ping", "elf", 04750);
  f.uid = 1234;
  f.gid = 5678;
  f.mtime = 1234567890;
  f.mtime_ns = 500000000;
  std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  f.xattrs = {{"security.capability", cap}, {"user.note", "hi"}, {"trusted.overlay.redirect", "/etc"}};
  TarEntry chr;
  chr.name = "dev/null";
  chr.type = AE_IFCHR;
  chr.perm = 0666;
  chr.rdev_major = 1;
  chr.rdev_minor = 3;
  TarEntry blk = chr;
  blk.name = "dev/loop9";
  blk.type = AE_IFBLK;
  blk.rdev_major = 7;
  blk.rdev_minor = 9;
  TarEntry fifo;
  fifo.name = "dev/fifo";
  fifo.type = AE_IFIFO;
  TarEntry ln = slink("bin/sh", "busybox");
  ln.uid = 42;
  ln.gid = 43;
  TarEntry d = dir("home/u", 0700);
  d.uid = 1000;
  d.gid = 1000;
  d.xattrs = {{"user.dir", "x"}};
  std::string dest = mkdir("dest");
  auto r = apply_bytes(make_tar({dir("bin"), f, ln, hlink("bin/ping2", "bin/ping"), dir("dev"), chr, blk,
                                 fifo, dir("home"), d}),
                       dest);
  ASSERT_TRUE(r) << r.error().str();
  struct stat st, st2;
  ASSERT_EQ(::lstat((dest + "/bin/ping").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 04750u);  // setuid survives the chown
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500000000);
  EXPECT_EQ(xattr(dest + "/bin/ping", "security.capability"), cap);
  EXPECT_EQ(xattr(dest + "/bin/ping", "user.note"), "hi");
  EXPECT_EQ(xattr(dest + "/bin/ping", "trusted.overlay.redirect"), "");  // a layer cannot steer overlayfs
  ASSERT_EQ(::lstat((dest + "/bin/ping2").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  ASSERT_EQ(::lstat((dest + "/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_gid, 43u);
  ASSERT_EQ(::lstat((dest + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  ASSERT_EQ(::lstat((dest + "/dev/loop9").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 7u);
  EXPECT_EQ(minor(st.st_rdev), 9u);
  ASSERT_EQ(::lstat((dest + "/dev/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(::lstat((dest + "/home/u").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(xattr(dest + "/home/u", "user.dir"), "x");
}

TEST_F(LayerRootTest, OverlayWhiteoutsAreHonouredByTheKernel) {
  std::string lower = mkdir("lower"), upper = mkdir("upper");
  ASSERT_TRUE(apply_bytes(make_tar({dir("etc"), file("etc/keep", "k"), file("etc/gone", "g"), dir("opq"),
                                    file("opq/old", "o")}),
                          lower));
  auto r = apply_bytes(make_tar({dir("etc"), file("etc/.wh.gone", ""), dir("opq"),
                                 file("opq/.wh..wh..opq", ""), file("opq/new", "n")}),
                       upper);
  ASSERT_TRUE(r) << r.error().str();
  struct stat st;
  ASSERT_EQ(::lstat((upper + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(xattr(upper + "/opq", "trusted.overlay.opaque"), "y");
  std::string merged = overlay(lower, upper, "merged");
  EXPECT_TRUE(exists(merged + "/etc/keep"));
  EXPECT_FALSE(exists(merged + "/etc/gone"));
  EXPECT_FALSE(exists(merged + "/opq/old"));
  EXPECT_EQ(read_text(merged + "/opq/new"), "n");
}

TEST_F(LayerRootTest, DiffAndDiffTarRoundTrip) {
  std::string lower = mkdir("lower"), upper = mkdir("upper");
  TarEntry owned = file("etc/owned", "o", 0600);
  owned.uid = 7;
  ASSERT_TRUE(apply_bytes(make_tar({dir("etc"), file("etc/passwd", "root\n"), file("etc/hosts", "h"), owned,
                                    dir("var"), dir("var/cache"), file("var/cache/a", "a"),
                                    file("var/cache/b", "b"), dir("tmp")}),
                          lower));
  std::string merged = overlay(lower, upper, "merged");
  // What a container does.
  ASSERT_EQ(sh("cd " + merged + " && echo x >> etc/passwd && rm etc/hosts && mkdir -p usr/local/bin && "
               "echo tool > usr/local/bin/t && chmod 4755 usr/local/bin/t && ln usr/local/bin/t usr/local/bin/t2 && "
               "ln -s t usr/local/bin/t3 && mknod tmp/null c 1 3 && "
               "rm -rf var/cache && mkdir var/cache && echo c > var/cache/c && chown 9:9 var/cache/c && echo ok"),
            "ok\n");
  ASSERT_EQ(::lsetxattr((merged + "/etc/passwd").c_str(), "user.k", "v", 1, 0), 0);
  std::string expected = sh("cp -a " + merged + " " + base_ + "/expected && echo ok");
  ASSERT_EQ(expected, "ok\n");
  unmount(merged);

  auto changes = layer::diff(upper, {lower});
  ASSERT_TRUE(changes) << changes.error().str();
  std::string text;
  for (const auto& c : *changes) text += std::string(1, layer::change_letter(c.kind)) + " " + c.path + "\n";
  EXPECT_EQ(text,
            "C /etc\n"
            "D /etc/hosts\n"
            "C /etc/passwd\n"
            "C /tmp\n"
            "A /tmp/null\n"
            "A /usr\n"
            "A /usr/local\n"
            "A /usr/local/bin\n"
            "A /usr/local/bin/t\n"
            "A /usr/local/bin/t2\n"
            "A /usr/local/bin/t3\n"
            "C /var\n"
            "C /var/cache\n"
            "D /var/cache/a\n"
            "D /var/cache/b\n"
            "A /var/cache/c\n");

  std::string tar_path = base_ + "/diff.tar";
  UniqueFd out(::open(tar_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(out);
  auto w = layer::write_diff_tar(upper, out.get());
  ASSERT_TRUE(w) << w.error().str();
  out.reset();
  std::string bytes = read_text(tar_path);
  EXPECT_EQ(w->diff_id, content::sha256(bytes));
  EXPECT_EQ(w->size, bytes.size());
  std::string listing = sh("tar -tvf " + tar_path);
  EXPECT_NE(listing.find("etc/.wh.hosts"), std::string::npos) << listing;
  EXPECT_NE(listing.find("var/cache/.wh..wh..opq"), std::string::npos) << listing;

  // Plain: onto a copy of the parent.
  std::string copy = base_ + "/copy";
  ASSERT_EQ(sh("cp -a " + lower + " " + copy + " && echo ok"), "ok\n");
  UniqueFd in(::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
  auto a = layer::apply(in.get(), copy, {.format = layer::Format::Plain});
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(a->diff_id, w->diff_id);
  EXPECT_EQ(manifest(copy), manifest(base_ + "/expected"));
  struct stat s1, s2;
  ASSERT_EQ(::lstat((copy + "/usr/local/bin/t").c_str(), &s1), 0);
  ASSERT_EQ(::lstat((copy + "/usr/local/bin/t2").c_str(), &s2), 0);
  EXPECT_EQ(s1.st_ino, s2.st_ino);

  // Overlay: into a fresh upper dir, read back through the kernel.
  std::string upper2 = mkdir("upper2");
  UniqueFd in2(::open(tar_path.c_str(), O_RDONLY | O_CLOEXEC));
  auto b = layer::apply(in2.get(), upper2, {.format = layer::Format::Overlay});
  ASSERT_TRUE(b) << b.error().str();
  std::string merged2 = overlay(lower, upper2, "merged2");
  EXPECT_EQ(manifest(merged2), manifest(base_ + "/expected"));
}

}  // namespace
