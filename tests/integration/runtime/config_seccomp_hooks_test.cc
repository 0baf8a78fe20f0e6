// linux.seccomp, hooks and annotations from config.json.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <chrono>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

TEST(ConfigSeccomp, ErrnoRuleBlocksOneSyscall) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  b.set_args({"sh", "-c", "mkdir /tmp/x 2>&1; echo mkdir=$?; touch /tmp/y; echo touch=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "mkdir: can't create directory '/tmp/x': Operation not permitted\nmkdir=1\ntouch=0\n");
  EXPECT_FALSE(std::filesystem::exists(b.rootfs() + "/tmp/x"));
  EXPECT_TRUE(std::filesystem::exists(b.rootfs() + "/tmp/y"));
}

TEST(ConfigSeccomp, ErrnoRetChoosesTheErrno) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 28}}}}};
  b.set_args({"sh", "-c", "mkdir /tmp/x 2>&1; true"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("No space left on device"), std::string::npos) << r.out;
}

TEST(ConfigSeccomp, ArgsFilterMatchesOnlyThatArgument) {
  // chmod with mode 0777 is refused; any other mode goes through.
  json rules = json::array();
  for (auto [name, index] : std::vector<std::pair<const char*, int>>{{"chmod", 1}, {"fchmod", 1}, {"fchmodat", 2}, {"fchmodat2", 2}})
    rules.push_back({{"names", {name}},
                     {"action", "SCMP_ACT_ERRNO"},
                     {"args", {{{"index", index}, {"value", 0777}, {"op", "SCMP_CMP_EQ"}}}}});
  Bundle b;
  b.config()["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", rules}};
  b.set_args({"sh", "-c",
              "touch /tmp/f; chmod 0777 /tmp/f 2>&1; echo c777=$?; chmod 0751 /tmp/f; echo c751=$?; stat -c %a /tmp/f"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c777=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("c751=0\n751\n"), std::string::npos) << r.out;
}

TEST(ConfigSeccomp, DefaultErrnoRet) {
  // Deny by default with errno 28 (ENOSPC), allowing every syscall this
  // libseccomp knows except mkdir/mkdirat: mkdir then fails with ENOSPC, not EPERM.
  json allowed = json::array();
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    std::string n(name);
    free(name);
    if (n != "mkdir" && n != "mkdirat") allowed.push_back(n);
  }
  ASSERT_GT(allowed.size(), 200u);
  Bundle b;
  b.config()["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                                    {"defaultErrnoRet", 28},
                                    {"syscalls", {{{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}}}}};
  b.set_args({"sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "mkdir: can't create directory '/tmp/x': No space left on device\nrc=1\n");
}

TEST(ConfigSeccomp, ProfileWithoutNoNewPrivileges) {
  // Loaded before the capabilities are dropped when no_new_privs is off.
  Bundle b;
  b.config()["process"]["noNewPrivileges"] = false;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  b.set_args({"sh", "-c", "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status; mkdir /tmp/x 2>/dev/null; echo rc=$?"});
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "NoNewPrivs:\t0\nSeccomp:\t2\nrc=1\n");
}

namespace {

// A hook that appends "<kind> <hostname> <stdin>" to a log file.
const char kHookScript[] =
    "#!/bin/sh\n"
    "kind=$1; log=$2\n"
    "input=$(cat)\n"
    "echo \"$kind $(hostname) $input\" >> \"$log\"\n";

json hook(const std::string& path, const std::string& kind, const std::string& log) {
  return {{"path", path}, {"args", {path, kind, log}}, {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}};
}

}  // namespace

TEST(ConfigHooks, AllSixKindsRunOnceInOrderWithState) {
  Bundle b;
  std::string host_hook = b.dir() + "/hook.sh";
  write_text(host_hook, kHookScript, 0755);
  // startContainer's path resolves in the container: a copy in the rootfs.
  write_text(b.rootfs() + "/hook.sh", kHookScript, 0755);
  std::string host_log = b.rootfs() + "/hooks.log";
  b.config()["hostname"] = "hooked";
  auto& h = b.config()["hooks"];
  h["prestart"] = {hook(host_hook, "prestart", host_log)};
  h["createRuntime"] = {hook(host_hook, "createRuntime", host_log)};
  h["createContainer"] = {hook(host_hook, "createContainer", host_log)};
  h["startContainer"] = {hook("/hook.sh", "startContainer", "/hooks.log")};
  h["poststart"] = {hook(host_hook, "poststart", host_log)};
  h["poststop"] = {hook(host_hook, "poststop", host_log)};
  b.set_args({"true"});
  std::string id = b.unique_id("hooks");
  auto r = b.run(id);
  ASSERT_EQ(r.status, 0) << r.err;

  std::string host_name = read_trimmed("/proc/sys/kernel/hostname");
  auto l = lines_of(slurp(host_log));
  const char* kinds[] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  // prestart keeps the old lifecycle's "created" (runtime-tools' hooks_stdin checks it).
  const char* statuses[] = {"created", "creating", "creating", "created", "running", "stopped"};
  ASSERT_EQ(l.size(), 6u) << slurp(host_log);
  int pid = 0;
  for (size_t i = 0; i < 6; ++i) {
    std::istringstream in(l[i]);
    std::string kind, hostname, rest;
    in >> kind >> hostname;
    std::getline(in, rest);
    EXPECT_EQ(kind, kinds[i]) << "hook " << i << " ran out of order: " << l[i];
    bool in_container = kind == "createContainer" || kind == "startContainer";
    EXPECT_EQ(hostname, in_container ? "hooked" : host_name) << l[i];
    json st = json::parse(rest, nullptr, false);
    ASSERT_FALSE(st.is_discarded()) << "state JSON on stdin: " << l[i];
    EXPECT_EQ(st["id"], id) << l[i];
    EXPECT_EQ(st["status"], statuses[i]) << l[i];
    EXPECT_EQ(st["bundle"], b.dir()) << l[i];
    EXPECT_EQ(st["ociVersion"].is_string(), true) << l[i];
    if (i < 5) {
      ASSERT_TRUE(st["pid"].is_number()) << l[i];
      EXPECT_GT(st["pid"].get<int>(), 0) << l[i];
      if (pid == 0) pid = st["pid"].get<int>();
      EXPECT_EQ(st["pid"].get<int>(), pid) << "same container process in every hook: " << l[i];
    }
  }
}

TEST(ConfigHooks, SeveralHooksOfOneKindRunInListedOrder) {
  Bundle b;
  std::string host_hook = b.dir() + "/hook.sh";
  write_text(host_hook, kHookScript, 0755);
  std::string log = b.dir() + "/hooks.log";
  b.config()["hooks"]["prestart"] = {hook(host_hook, "first", log), hook(host_hook, "second", log),
                                     hook(host_hook, "third", log)};
  auto r = b.run();
  ASSERT_EQ(r.status, 0) << r.err;
  auto l = lines_of(slurp(log));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].rfind("first ", 0), 0u);
  EXPECT_EQ(l[1].rfind("second ", 0), 0u);
  EXPECT_EQ(l[2].rfind("third ", 0), 0u);
}

TEST(ConfigHooks, FailingPrestartFailsCreateAndCleansUp) {
  Bundle b;
  std::string bad = b.dir() + "/bad.sh";
  write_text(bad, "#!/bin/sh\necho prestart-broke-here\nexit 3\n", 0755);
  std::string host_hook = b.dir() + "/hook.sh";
  write_text(host_hook, kHookScript, 0755);
  std::string log = b.dir() + "/hooks.log";
  b.config()["hooks"]["prestart"] = {{{"path", bad}}};
  b.config()["hooks"]["createContainer"] = {hook(host_hook, "createContainer", log)};
  b.set_args({"sleep", "30"});
  b.save();
  std::string id = b.unique_id("badhook");
  auto r = b.runtime({"create", "--bundle", b.dir(), id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("prestart-broke-here"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exit status 3"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id)) << "state dir left behind";
  for (const char* c : {"memory", "cpu", "pids", "devices", "freezer"})
    EXPECT_FALSE(std::filesystem::exists(cgroup_dir(c, id))) << c << " cgroup left behind";
  EXPECT_TRUE(slurp(log).empty()) << "a later hook ran after the failure";
  auto list = b.runtime({"list", "--format", "json"});
  EXPECT_TRUE(list.out.find(id) == std::string::npos) << list.out;
}

TEST(ConfigHooks, HookTimeoutKillsIt) {
  Bundle b;
  std::string slow = b.dir() + "/slow.sh";
  write_text(slow, "#!/bin/sh\nexec sleep 23.456\n", 0755);
  b.config()["hooks"]["createRuntime"] = {{{"path", slow}, {"timeout", 1}}};
  std::string id = b.unique_id("slowhook");
  auto t0 = std::chrono::steady_clock::now();
  auto r = b.run(id);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("timed out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("createRuntime"), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(8));
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
  // The hook process itself was killed (waited for, 5 s at most: SIGKILL is not instant).
  auto hooks_left = [] {
    int left = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc"))
      if (slurp(e.path().string() + "/cmdline") == std::string("sleep\0" "23.456\0", 13)) ++left;
    return left;
  };
  int left = hooks_left();
  for (int i = 0; i < 500 && left > 0; ++i, left = hooks_left()) usleep(10000);
  EXPECT_EQ(left, 0) << "hook still running";
}

TEST(ConfigAnnotations, AppearInState) {
  Bundle b;
  b.config()["annotations"] = {{"org.example.key", "value-1"}, {"com.example/other", "x y z"}};
  b.set_args({"sleep", "30"});
  b.save();
  std::string id = b.unique_id("annot");
  ASSERT_EQ(b.runtime({"create", "--bundle", b.dir(), id}).status, 0);
  auto st = state_of(b, id);
  EXPECT_EQ(st["annotations"]["org.example.key"], "value-1") << st.dump();
  EXPECT_EQ(st["annotations"]["com.example/other"], "x y z") << st.dump();
  EXPECT_EQ(st["annotations"].size(), 2u) << st.dump();
  b.runtime({"delete", "--force", id});
}
