// Where clone3 answers ENOSYS (Docker's default seccomp profile, many CI
// sandboxes, old kernels), berth-runtime makes its processes with clone():
// run, create/start and exec still work, exit with the container's status,
// and land in the container's cgroups (cgroup2 included, without
// CLONE_INTO_CGROUP). The shim calls the same library code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

namespace {

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

// Runs the runtime with argv in a child whose seccomp filter makes clone3,
// and only clone3, fail with ENOSYS. Output goes through files: a detached
// container keeps its stdio open after the runtime has exited.
CmdResult runtime_without_clone3(const Bundle& b, const std::vector<std::string>& args) {
  std::string out_path = b.dir() + "/no-clone3.out", err_path = b.dir() + "/no-clone3.err";
  std::vector<std::string> argv = {runtime_path(), "--root", b.state_root()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(90);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0 || seccomp_load(ctx) != 0)
      _exit(91);
    if (syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) _exit(92);  // the filter is in place
    std::vector<char*> v;
    for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    execv(v[0], v.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CmdResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  EXPECT_LT(r.status, 90) << "could not set up the clone3 filter (" << r.status << ")";
  return r;
}

// The lines of a /proc/PID/cgroup text for the cgroup2 ("0::") and memory hierarchies.
void expect_in_container_cgroup(const std::string& cgroup_text, const std::string& id) {
  bool saw_v2 = false, saw_memory = false;
  for (const auto& line : lines_of(cgroup_text)) {
    bool v2 = line.rfind("0::", 0) == 0;
    bool memory = line.find(":memory:") != std::string::npos;
    if (!v2 && !memory) continue;
    saw_v2 |= v2;
    saw_memory |= memory;
    EXPECT_TRUE(line.ends_with("/berth/" + id)) << "not in the container's cgroup: " << line;
  }
  EXPECT_TRUE(saw_v2 || saw_memory) << cgroup_text;
}

}  // namespace

TEST(Clone3Fallback, RunExitsWithTheContainersStatusInItsCgroup) {
  Bundle b;
  drop_namespace(b.config(), "cgroup");  // /proc/self/cgroup then shows the host's paths
  b.set_args({"sh", "-c", "cat /proc/self/cgroup; exit 7"});
  b.save();
  std::string id = b.unique_id("noclone3-run");
  auto r = runtime_without_clone3(b, {"run", "--bundle", b.dir(), id});
  EXPECT_EQ(r.status, 7) << r.err;
  expect_in_container_cgroup(r.out, id);
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id)) << "run deletes the container at exit";
}

TEST(Clone3Fallback, CreateStartExecAndDelete) {
  Bundle b;
  drop_namespace(b.config(), "cgroup");
  b.set_args({"sleep", "30"});
  b.save();
  std::string id = b.unique_id("noclone3");
  auto c = runtime_without_clone3(b, {"create", "--bundle", b.dir(), id});
  ASSERT_EQ(c.status, 0) << c.err;
  auto s = runtime_without_clone3(b, {"start", id});
  ASSERT_EQ(s.status, 0) << s.err;
  auto st = state_of(b, id);
  EXPECT_EQ(st.value("status", ""), "running") << st.dump();
  int pid = st.value("pid", 0);
  ASSERT_GT(pid, 0);
  expect_in_container_cgroup(slurp("/proc/" + std::to_string(pid) + "/cgroup"), id);

  auto e = runtime_without_clone3(b, {"exec", id, "sh", "-c", "cat /proc/self/cgroup; exit 5"});
  EXPECT_EQ(e.status, 5) << e.err;
  expect_in_container_cgroup(e.out, id);
  auto d = runtime_without_clone3(b, {"exec", "--detach", id, "sleep", "20"});
  EXPECT_EQ(d.status, 0) << d.err;

  auto del = runtime_without_clone3(b, {"delete", "--force", id});
  EXPECT_EQ(del.status, 0) << del.err;
  EXPECT_FALSE(std::filesystem::exists(b.state_root() + "/" + id));
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << "the container process outlived delete: " << stat;
}
