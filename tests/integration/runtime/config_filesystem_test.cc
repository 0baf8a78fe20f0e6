// hostname, domainname, root, mounts, maskedPaths, readonlyPaths, devices,
// device cgroup rules, sysctl and rootfsPropagation from config.json.
#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

namespace {

json mount_entry(const std::string& dest, const std::string& type, const std::string& source,
                 const std::vector<std::string>& options) {
  json m = {{"destination", dest}, {"type", type}, {"source", source}};
  m["options"] = options;
  return m;
}

void add_mount(Bundle& b, json m) { b.config()["mounts"].push_back(std::move(m)); }

// The /proc/mounts line (inside output) whose mount point is `dest`.
std::string mount_line(const std::string& mounts, const std::string& dest) {
  std::string found;
  for (const auto& l : lines_of(mounts)) {
    std::istringstream in(l);
    std::string src, mp;
    in >> src >> mp;
    if (mp == dest) found = l;  // the last one: the top of the stack
  }
  return found;
}

// Mount options (4th field) of a /proc/mounts line, comma-split.
std::vector<std::string> options_of(const std::string& line) {
  std::istringstream in(line);
  std::string src, mp, type, opts;
  in >> src >> mp >> type >> opts;
  std::vector<std::string> out;
  std::istringstream o(opts);
  std::string s;
  while (std::getline(o, s, ',')) out.push_back(s);
  return out;
}

bool has_option(const std::string& line, const std::string& opt) {
  for (const auto& o : options_of(line))
    if (o == opt) return true;
  return false;
}

// The optional fields (shared:N, master:N, unbindable) of a mountinfo line
// for mount point `dest`.
std::string propagation_of(const std::string& mountinfo, const std::string& dest) {
  std::string found = "?";
  for (const auto& l : lines_of(mountinfo)) {
    std::istringstream in(l);
    std::string id, parent, devno, root, mp;
    in >> id >> parent >> devno >> root >> mp;
    if (mp != dest) continue;
    std::string opts, f;
    in >> opts;
    found.clear();
    while (in >> f && f != "-") found += (found.empty() ? "" : " ") + f;
  }
  return found;
}

}  // namespace

TEST(ConfigFilesystem, HostnameAndDomainname) {
  std::string host_name = read_trimmed("/proc/sys/kernel/hostname");
  std::string host_domain = read_trimmed("/proc/sys/kernel/domainname");
  Bundle b;
  b.config()["hostname"] = "cfg-host";
  b.config()["domainname"] = "cfg.example";
  b.set_args({"sh", "-c", "hostname; cat /proc/sys/kernel/domainname"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "cfg-host\ncfg.example\n");
  EXPECT_EQ(read_trimmed("/proc/sys/kernel/hostname"), host_name);
  EXPECT_EQ(read_trimmed("/proc/sys/kernel/domainname"), host_domain);
}

TEST(ConfigFilesystem, RootReadonlyRefusesWrites) {
  Bundle b;
  b.config()["root"]["readonly"] = true;
  b.set_args({"sh", "-c", "touch /new-file 2>&1; echo rc=$?; grep ' / ' /proc/mounts"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  EXPECT_TRUE(has_option(mount_line(r.out, "/"), "ro")) << r.out;
  EXPECT_NE(::access((b.rootfs() + "/new-file").c_str(), F_OK), 0);

  // And with readonly false the same write works.
  b.config()["root"]["readonly"] = false;
  r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
  EXPECT_TRUE(has_option(mount_line(r.out, "/"), "rw")) << r.out;
}

TEST(ConfigFilesystem, TmpfsWithSizeModeAndFlagsAtMissingDestination) {
  Bundle b;
  add_mount(b, mount_entry("/mnt/not/yet/there", "tmpfs", "tmpfs",
                           {"nosuid", "nodev", "noexec", "size=1m", "mode=0710"}));
  b.set_args({"sh", "-c",
              "stat -c %a /mnt/not/yet/there; grep ' /mnt/not/yet/there ' /proc/mounts; "
              "dd if=/dev/zero of=/mnt/not/yet/there/big bs=1k count=2048 2>&1 | grep -o 'No space left on device'; "
              "cp /bin/busybox /mnt/not/yet/there/bb 2>/dev/null; /mnt/not/yet/there/bb true 2>&1; echo exec-rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(r.out);
  ASSERT_GE(l.size(), 3u) << r.out;
  EXPECT_EQ(l[0], "710");
  std::string line = mount_line(r.out, "/mnt/not/yet/there");
  EXPECT_EQ(line.rfind("tmpfs /mnt/not/yet/there tmpfs ", 0), 0u) << r.out;
  for (const char* opt : {"nosuid", "nodev", "noexec", "size=1024k", "mode=710"})
    EXPECT_TRUE(has_option(line, opt)) << opt << " missing in " << line;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out;
  // busybox may not even fit in 1m; either way nothing can be executed there.
  EXPECT_EQ(r.out.find("exec-rc=0"), std::string::npos) << r.out;
  struct stat st{};
  EXPECT_EQ(::stat((b.rootfs() + "/mnt/not/yet/there").c_str(), &st), 0) << "mount point not created";
}

TEST(ConfigFilesystem, BindMountsReadOnlyReadWriteAndFile) {
  Bundle b;
  std::string ro = b.dir() + "/host-ro", rw = b.dir() + "/host-rw", file = b.dir() + "/host-file";
  std::filesystem::create_directories(ro);
  std::filesystem::create_directories(rw);
  write_text(ro + "/hello", "from-ro\n");
  write_text(file, "single-file\n");
  add_mount(b, mount_entry("/data/ro", "bind", ro, {"rbind", "ro"}));
  add_mount(b, mount_entry("/data/rw", "bind", rw, {"rbind", "rw"}));
  add_mount(b, mount_entry("/etc/bound-file", "bind", file, {"bind", "ro"}));
  b.set_args({"sh", "-c",
              "cat /data/ro/hello; touch /data/ro/x 2>&1; echo ro-rc=$?; "
              "echo written > /data/rw/out; echo rw-rc=$?; "
              "cat /etc/bound-file; [ -f /etc/bound-file ] && echo is-file; "
              "echo no > /etc/bound-file 2>&1; echo file-rc=$?; "
              "grep -E ' /data/r[ow] | /etc/bound-file ' /proc/mounts"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("from-ro\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ro-rc=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rw-rc=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("single-file\nis-file\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("file-rc=1"), std::string::npos) << r.out;
  EXPECT_TRUE(has_option(mount_line(r.out, "/data/ro"), "ro")) << r.out;
  EXPECT_TRUE(has_option(mount_line(r.out, "/data/rw"), "rw")) << r.out;
  EXPECT_TRUE(has_option(mount_line(r.out, "/etc/bound-file"), "ro")) << r.out;
  EXPECT_EQ(slurp(rw + "/out"), "written\n");
  EXPECT_FALSE(std::filesystem::exists(ro + "/x"));
  EXPECT_EQ(slurp(file), "single-file\n");
  // The file mount point was created as a file, not a directory.
  EXPECT_TRUE(std::filesystem::is_regular_file(b.rootfs() + "/etc/bound-file"));
}

TEST(ConfigFilesystem, BindFlagsNosuidNoexecNodevAreApplied) {
  Bundle b;
  std::string src = b.dir() + "/flags";
  std::filesystem::create_directories(src);
  // Named busybox, so that it runs as itself.
  std::filesystem::copy_file(b.rootfs() + "/bin/busybox", src + "/busybox");
  ::chmod((src + "/busybox").c_str(), 0755);
  add_mount(b, mount_entry("/flags", "bind", src, {"bind", "nosuid", "noexec", "nodev"}));
  add_mount(b, mount_entry("/plain", "bind", src, {"bind"}));
  b.set_args({"sh", "-c",
              "grep -E ' /(flags|plain) ' /proc/mounts; /flags/busybox true 2>&1; echo flags-rc=$?; "
              "/plain/busybox true; echo plain-rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  std::string flags = mount_line(r.out, "/flags"), plain = mount_line(r.out, "/plain");
  for (const char* opt : {"nosuid", "noexec", "nodev"}) {
    EXPECT_TRUE(has_option(flags, opt)) << opt << " missing in " << flags;
    EXPECT_FALSE(has_option(plain, opt)) << opt << " unexpected in " << plain;
  }
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flags-rc=126"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("plain-rc=0"), std::string::npos) << r.out;
}

TEST(ConfigFilesystem, MountPropagationOptions) {
  Bundle b;
  std::string src = b.dir() + "/prop";
  std::filesystem::create_directories(src);
  add_mount(b, mount_entry("/p/shared", "bind", src, {"rbind", "rshared"}));
  add_mount(b, mount_entry("/p/slave", "bind", src, {"rbind", "rslave"}));
  add_mount(b, mount_entry("/p/private", "bind", src, {"rbind", "rprivate"}));
  add_mount(b, mount_entry("/p/unbindable", "bind", src, {"rbind", "runbindable"}));
  b.set_args({"cat", "/proc/self/mountinfo"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(propagation_of(r.out, "/p/shared").rfind("shared:", 0), 0u) << r.out;
  // The host's mounts here are private: a slave of nothing is private.
  EXPECT_EQ(propagation_of(r.out, "/p/slave").find("shared:"), std::string::npos) << r.out;
  EXPECT_EQ(propagation_of(r.out, "/p/private"), "") << r.out;
  EXPECT_EQ(propagation_of(r.out, "/p/unbindable"), "unbindable") << r.out;
}

TEST(ConfigFilesystem, RecursiveReadOnlyRro) {
  // rro needs mount_setattr(2): probe it.
  if (::syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0) < 0 && errno == ENOSYS)
    GTEST_SKIP() << "mount_setattr is not supported by this kernel";
  Bundle b;
  std::string src = b.dir() + "/rro";
  std::filesystem::create_directories(src + "/sub");
  ASSERT_EQ(::mount("tmpfs", (src + "/sub").c_str(), "tmpfs", 0, "size=64k"), 0) << strerror(errno);
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{src + "/sub"};
  add_mount(b, mount_entry("/rro", "bind", src, {"rbind", "rro"}));
  add_mount(b, mount_entry("/ro-only-top", "bind", src, {"rbind", "ro"}));
  b.set_args({"sh", "-c",
              "touch /rro/a 2>/dev/null; echo top=$?; touch /rro/sub/a 2>/dev/null; echo sub=$?; "
              "touch /ro-only-top/sub/b 2>/dev/null; echo plain-ro-sub=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("top=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sub=1\n"), std::string::npos) << r.out;
  // Plain "ro" on an rbind leaves the submount writable: rro is what makes it read-only.
  EXPECT_NE(r.out.find("plain-ro-sub=0\n"), std::string::npos) << r.out;
}

TEST(ConfigFilesystem, MqueueAndDevptsMounts) {
  Bundle b;
  add_mount(b, mount_entry("/mnt/mq", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  b.set_args({"sh", "-c", "grep -E ' /mnt/mq | /dev/pts | /dev/mqueue ' /proc/mounts"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  std::string mq = mount_line(r.out, "/mnt/mq");
  EXPECT_EQ(mq.rfind("mqueue /mnt/mq mqueue ", 0), 0u) << r.out;
  EXPECT_TRUE(has_option(mq, "nosuid") && has_option(mq, "noexec") && has_option(mq, "nodev")) << mq;
  EXPECT_EQ(mount_line(r.out, "/dev/mqueue").rfind("mqueue /dev/mqueue mqueue ", 0), 0u) << r.out;
  // The default spec's devpts: a new instance with its options.
  std::string pts = mount_line(r.out, "/dev/pts");
  EXPECT_EQ(pts.rfind("devpts /dev/pts devpts ", 0), 0u) << r.out;
  for (const char* opt : {"nosuid", "noexec", "gid=5", "mode=620", "ptmxmode=666"})
    EXPECT_TRUE(has_option(pts, opt)) << opt << " missing in " << pts;
}

TEST(ConfigFilesystem, MaskedPaths) {
  Bundle b;
  std::filesystem::create_directories(b.rootfs() + "/secret/dir");
  write_text(b.rootfs() + "/secret/file", "top-secret\n");
  write_text(b.rootfs() + "/secret/dir/inner", "inner-secret\n");
  b.config()["linux"]["maskedPaths"] = {"/secret/file", "/secret/dir", "/proc/timer_list", "/does/not/exist"};
  b.set_args({"sh", "-c",
              "echo \"[$(cat /secret/file)]\"; echo \"[$(ls -A /secret/dir)]\"; wc -c < /proc/timer_list; "
              "touch /secret/dir/new 2>/dev/null; echo dir-write=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[]\n[]\n0\ndir-write=1\n");
  EXPECT_EQ(slurp(b.rootfs() + "/secret/file"), "top-secret\n");
  EXPECT_FALSE(slurp("/proc/timer_list").empty()) << "the host's is not empty: the mask did it";
}

TEST(ConfigFilesystem, ReadonlyPaths) {
  Bundle b;
  std::filesystem::create_directories(b.rootfs() + "/rodir");
  write_text(b.rootfs() + "/rodir/keep", "kept\n");
  b.config()["linux"]["readonlyPaths"] = {"/rodir", "/proc/sys", "/does/not/exist"};
  b.set_args({"sh", "-c",
              "cat /rodir/keep; touch /rodir/new 2>&1; echo rodir=$?; "
              "echo 1 > /proc/sys/kernel/shm_rmid_forced 2>/dev/null; echo procsys=$?; "
              "touch /writable-elsewhere; echo other=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("kept\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rodir=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("procsys=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("other=0"), std::string::npos) << r.out;
}

TEST(ConfigFilesystem, LinuxDevicesWithModeOwner) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config()["linux"]["devices"] = {
      {{"path", "/dev/mynull"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 0640}, {"uid", 1000},
       {"gid", 1000}},
      {{"path", "/dev/sub/myzero"}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"fileMode", 0444}},
      {{"path", "/dev/myfifo"}, {"type", "p"}, {"fileMode", 0600}, {"uid", 1000}, {"gid", 1000}}};
  b.set_args({"sh", "-c",
              "stat -c '%t:%T %a %u:%g %F' /dev/mynull /dev/sub/myzero; stat -c '%a %u %F' /dev/myfifo; "
              "echo hi > /dev/mynull; echo w=$?; cat /dev/mynull; echo r=$?; "
              "head -c 3 /dev/sub/myzero | wc -c"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "1:3 640 1000:1000 character special file\n"
            "1:5 444 0:0 character special file\n"
            "600 1000 fifo\n"
            "w=0\nr=0\n3\n");
}

TEST(ConfigFilesystem, DeviceCgroupRuleDeniesOneDevice) {
  Bundle b;
  b.config()["linux"]["resources"]["devices"] = {
      {{"allow", false}, {"access", "rwm"}},
      {{"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "rwm"}}};
  b.set_args({"sh", "-c",
              "head -c 1 /dev/zero > /dev/null; echo zero=$?; head -c 1 /dev/null; echo null=$?; "
              "cat /sys/fs/cgroup/devices/devices.list 2>/dev/null; sleep 30"});
  std::string id = b.unique_id("devcg");
  int pid = run_detached(b, id);
  ASSERT_GT(pid, 0);
  std::string list = slurp(cgroup_dir("devices", id) + "/devices.list");
  EXPECT_NE(list.find("c 1:3 rwm"), std::string::npos) << list;
  EXPECT_EQ(list.find("c 1:5 "), std::string::npos) << list;
  EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
  b.runtime({"kill", id, "KILL"});
  wait_stopped(b, id);
  b.runtime({"delete", "--force", id});

  b.set_args({"sh", "-c", "head -c 1 /dev/zero > /dev/null; echo zero=$?; head -c 1 /dev/null; echo null=$?"});
  auto r = b.run();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "zero=1\nnull=0\n");
  EXPECT_NE(r.err.find("/dev/zero: Operation not permitted"), std::string::npos) << r.err;
}

TEST(ConfigFilesystem, DefaultDeviceRulesAllowTheDefaultDevices) {
  Bundle b;  // default: deny all, then the runtime's allow list
  b.set_args({"sh", "-c", "head -c 1 /dev/zero | wc -c; head -c 1 /dev/urandom | wc -c"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1\n");
}

TEST(ConfigFilesystem, NamespacedSysctls) {
  std::string host_fwd = read_trimmed("/proc/sys/net/ipv4/ip_forward");
  std::string host_shm = read_trimmed("/proc/sys/kernel/shm_rmid_forced");
  std::string fwd = host_fwd == "1" ? "0" : "1", shm = host_shm == "1" ? "0" : "1";
  Bundle b;
  b.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", fwd}, {"kernel.shm_rmid_forced", shm}};
  b.set_args({"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, fwd + "\n" + shm + "\n");
  EXPECT_EQ(read_trimmed("/proc/sys/net/ipv4/ip_forward"), host_fwd);
  EXPECT_EQ(read_trimmed("/proc/sys/kernel/shm_rmid_forced"), host_shm);
}

TEST(ConfigFilesystem, NonNamespacedSysctlIsRefused) {
  std::string host_panic = read_trimmed("/proc/sys/kernel/panic");
  Bundle b;
  b.config()["linux"]["sysctl"] = {{"kernel.panic", host_panic == "7" ? "8" : "7"}};
  std::string id = b.unique_id("sysctl");
  auto r = b.run(id);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("kernel.panic"), std::string::npos) << r.err;
  EXPECT_EQ(read_trimmed("/proc/sys/kernel/panic"), host_panic);
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
  EXPECT_FALSE(std::filesystem::exists(cgroup_dir("memory", id)));

  // A net.* key without a network namespace of its own would change the host's.
  Bundle b2;
  drop_namespace(b2.config(), "network");
  b2.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  r = b2.run();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("net.ipv4.ip_forward"), std::string::npos) << r.err;
}

TEST(ConfigFilesystem, RootfsPropagation) {
  Bundle b;
  b.set_args({"cat", "/proc/self/mountinfo"});
  b.config()["linux"]["rootfsPropagation"] = "shared";
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(propagation_of(r.out, "/").rfind("shared:", 0), 0u) << r.out;

  b.config()["linux"]["rootfsPropagation"] = "private";
  r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(propagation_of(r.out, "/"), "") << r.out;

  b.config()["linux"]["rootfsPropagation"] = "unbindable";
  r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(propagation_of(r.out, "/"), "unbindable") << r.out;
}

TEST(ConfigFilesystem, NothingLeaksFromASharedHostMount) {
  // The rootfs on a shared mount: whatever rootfsPropagation says, the
  // container's mounts must not propagate back to the host.
  Bundle b;
  std::string shared = b.dir() + "/shared";
  std::filesystem::create_directories(shared);
  ASSERT_EQ(::mount("tmpfs", shared.c_str(), "tmpfs", 0, "size=64m"), 0) << strerror(errno);
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{shared};
  ASSERT_EQ(::mount(nullptr, shared.c_str(), nullptr, MS_SHARED, nullptr), 0) << strerror(errno);
  ASSERT_EQ(run_command({"/bin/cp", "-a", b.rootfs(), shared + "/rootfs"}).status, 0);
  b.config()["root"]["path"] = shared + "/rootfs";
  std::string src = b.dir() + "/leak";
  std::filesystem::create_directories(src);
  add_mount(b, mount_entry("/leak", "bind", src, {"rbind", "rshared"}));
  b.set_args({"sleep", "30"});
  for (const char* prop : {"", "private", "shared", "slave", "rprivate"}) {
    if (*prop) b.config()["linux"]["rootfsPropagation"] = prop;
    std::string id = b.unique_id("leak");
    ASSERT_GT(run_detached(b, id), 0) << prop;
    // While it runs, none of its mounts shows in the host's mount table.
    auto seen = mounts_containing(shared);
    EXPECT_EQ(seen.size(), 1u) << "rootfsPropagation '" << prop << "': " << seen.back();
    b.runtime({"delete", "--force", id});
  }
  EXPECT_EQ(mounts_containing(shared).size(), 1u);
}
