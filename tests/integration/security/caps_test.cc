// Capabilities applied in forked children, checked through /proc and EPERM.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "runtime/linux/caps.h"
#include "security/child.h"

using namespace berth;
using testing_child::run_in_child;

namespace {

// "CapEff" -> mask from /proc/<self>/status text.
uint64_t cap_field(const std::string& status, const std::string& field) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field + ":", 0) == 0) return std::strtoull(line.c_str() + field.size() + 1, nullptr, 16);
  return ~0ull;
}

std::string read_status() {
  std::ifstream f("/proc/self/status");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

runtime::CapSets resolve(const spec::Capabilities& c) {
  auto s = runtime::resolve_caps(c);
  if (!s) ADD_FAILURE() << s.error().str();
  return s ? *s : runtime::CapSets{};
}

bool have_cap(int cap) {
  std::string status = read_status();
  return cap_field(status, "CapEff") & (1ull << cap);
}

}  // namespace

class CapsApply : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || !have_cap(CAP_SETPCAP) || !have_cap(CAP_CHOWN) || !have_cap(CAP_MKNOD))
      GTEST_SKIP() << "needs root with CAP_SETPCAP, CAP_CHOWN and CAP_MKNOD";
  }
};

TEST_F(CapsApply, SmallSetShowsInProcAndDroppedCapsFail) {
  spec::Capabilities c;
  c.bounding = {"CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE"};
  c.effective = c.bounding;
  c.permitted = c.bounding;
  auto sets = resolve(c);
  const uint64_t want = (1ull << 5) | (1ull << 6) | (1ull << 7) | (1ull << 10);
  ASSERT_EQ(sets.bounding, want);

  char tmpl[] = "/tmp/berth-caps-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl, file = dir + "/f", node = dir + "/null";
  ::close(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

  auto r = run_in_child([&] {
    CHILD_CHECK(runtime::drop_bounding(sets) == 0);
    CHILD_CHECK(runtime::apply_caps(sets) == 0);
    std::string status = read_status();
    CHILD_CHECK(cap_field(status, "CapEff") == want);
    CHILD_CHECK(cap_field(status, "CapPrm") == want);
    CHILD_CHECK(cap_field(status, "CapBnd") == want);
    CHILD_CHECK(cap_field(status, "CapInh") == 0);
    CHILD_CHECK(cap_field(status, "CapAmb") == 0);
    // Giving a file away needs CAP_CHOWN; a device node needs CAP_MKNOD.
    CHILD_CHECK(::chown(file.c_str(), 1000, 1000) < 0 && errno == EPERM);
    CHILD_CHECK(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) < 0 && errno == EPERM);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);

  // The same operations work with the caps kept (so the EPERMs above came from the drop).
  c.bounding.push_back("CAP_CHOWN");
  c.bounding.push_back("CAP_MKNOD");
  c.effective = c.permitted = c.bounding;
  auto wider = resolve(c);
  r = run_in_child([&] {
    CHILD_CHECK(runtime::drop_bounding(wider) == 0);
    CHILD_CHECK(runtime::apply_caps(wider) == 0);
    CHILD_CHECK(::chown(file.c_str(), 1000, 1000) == 0);
    CHILD_CHECK(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
  ::unlink(node.c_str());
  ::unlink(file.c_str());
  ::rmdir(dir.c_str());
}

TEST_F(CapsApply, AmbientSurvivesSetuidAndExec) {
  spec::Capabilities c;
  c.bounding = {"CAP_NET_BIND_SERVICE", "CAP_KILL"};
  c.permitted = c.inheritable = c.effective = c.bounding;
  c.ambient = {"CAP_NET_BIND_SERVICE"};
  auto sets = resolve(c);
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  auto r = run_in_child([&] {
    ::close(out[0]);
    CHILD_CHECK(runtime::drop_bounding(sets) == 0);
    CHILD_CHECK(runtime::set_keep_caps(true) == 0);
    CHILD_CHECK(::setresgid(1000, 1000, 1000) == 0);
    CHILD_CHECK(::setresuid(1000, 1000, 1000) == 0);
    CHILD_CHECK(runtime::apply_caps(sets) == 0);
    CHILD_CHECK(::dup2(out[1], 1) == 1);
    const char* argv[] = {"cat", "/proc/self/status", nullptr};
    ::execv("/bin/cat", const_cast<char**>(argv));
    CHILD_CHECK(!"execv /bin/cat");
    return std::string();
  });
  ::close(out[1]);
  std::string status;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) status.append(buf, n);
  ::close(out[0]);
  ASSERT_TRUE(r.ok()) << testing_child::describe(r);
  // A non-root exec keeps exactly the ambient set.
  EXPECT_EQ(cap_field(status, "CapAmb"), 1ull << 10) << status;
  EXPECT_EQ(cap_field(status, "CapEff"), 1ull << 10);
  EXPECT_EQ(cap_field(status, "CapPrm"), 1ull << 10);
  EXPECT_EQ(cap_field(status, "CapBnd"), (1ull << 10) | (1ull << 5));
}

TEST_F(CapsApply, AmbientNotPermittedIsSkippedAsRunc) {
  spec::Capabilities c;
  c.bounding = c.permitted = c.effective = {"CAP_KILL"};
  c.ambient = {"CAP_KILL"};  // not inheritable: the kernel would refuse it
  auto sets = resolve(c);
  auto r = run_in_child([&] {
    CHILD_CHECK(runtime::drop_bounding(sets) == 0);
    CHILD_CHECK(runtime::apply_caps(sets) == 0);
    CHILD_CHECK(cap_field(read_status(), "CapAmb") == 0);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST_F(CapsApply, FullBoundingIsANoOp) {
  spec::Capabilities c;
  c.bounding = runtime::all_cap_names();
  auto sets = resolve(c);
  uint64_t before = cap_field(read_status(), "CapBnd");
  auto r = run_in_child([&] {
    CHILD_CHECK(runtime::drop_bounding(sets) == 0);
    CHILD_CHECK(cap_field(read_status(), "CapBnd") == before);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}
