// Host-wide claims on bridges and nftables tables (flock()ed files): a second
// claimer is refused with the holder's pid and data root, a released or dead
// holder (kill -9) frees the claim. Each test uses its own temp directory.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "net/host_claim.h"

using namespace berth;
using namespace berth::net;

namespace {

class HostClaimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-claim-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/locks";  // made by take()
  }
  void TearDown() override { std::filesystem::remove_all(std::filesystem::path(dir_).parent_path()); }
  size_t files() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++n;
    return n;
  }
  std::string dir_;
};

}  // namespace

TEST(ClaimHolder, FormatAndParse) {
  ClaimHolder h{4242, "/var/lib/berth"};
  EXPECT_EQ(format_claim_holder(h), "pid=4242\ndata-root=/var/lib/berth\n");
  auto back = parse_claim_holder(format_claim_holder(h));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid, 4242);
  EXPECT_EQ(back->data_root, "/var/lib/berth");
  EXPECT_FALSE(parse_claim_holder(""));  // a holder that has not written yet
  EXPECT_FALSE(parse_claim_holder("data-root=/x\n"));
  EXPECT_FALSE(parse_claim_holder("pid=abc\n"));
  EXPECT_EQ(claim_object(ClaimKind::Bridge, "berth0"), "bridge berth0");
  EXPECT_EQ(claim_object(ClaimKind::NftTable, "berth"), "nftables table ip berth");
}

TEST_F(HostClaimTest, SecondClaimerIsRefusedWithTheHolder) {
  auto first = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/one");
  ASSERT_TRUE(first) << first.error().str();
  EXPECT_TRUE(first->held());
  // Another open file description, as another daemon would have.
  auto second = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/two");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::Conflict);
  EXPECT_EQ(second.error().message, "bridge bt-claim0 is in use by another berthd (pid " +
                                        std::to_string(::getpid()) + ", data root /data/one)");
  // Other names and kinds are other claims.
  auto table = HostClaim::take(dir_, ClaimKind::NftTable, "bt-claim0", "/data/two");
  ASSERT_TRUE(table) << table.error().str();
  auto other = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim1", "/data/two");
  ASSERT_TRUE(other) << other.error().str();
  auto table2 = HostClaim::take(dir_, ClaimKind::NftTable, "bt-claim0", "/data/three");
  ASSERT_FALSE(table2);
  EXPECT_NE(table2.error().message.find("nftables table ip bt-claim0 is in use by another berthd"),
            std::string::npos)
      << table2.error().message;
  EXPECT_EQ(files(), 3u);

  // Released: the file goes and the next claimer gets it.
  first->release();
  EXPECT_FALSE(first->held());
  EXPECT_EQ(files(), 2u);
  auto again = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/two");
  ASSERT_TRUE(again) << again.error().str();
  // Moving a claim keeps it; destroying it releases it.
  HostClaim moved = std::move(*again);
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/three"));
  moved = HostClaim();
  EXPECT_TRUE(HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/three"));
}

TEST_F(HostClaimTest, AKilledHolderFreesTheClaim) {
  int ready[2], hold[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(hold), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ::close(hold[1]);
    auto c = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/child/with/a/longer/root");
    char ok = c ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    char b;
    (void)!::read(hold[0], &b, 1);  // blocks until the parent kills us
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(hold[0]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  auto refused = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/parent");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("(pid " + std::to_string(child) + ", data root /data/child/with/a/longer/root)"),
            std::string::npos)
      << refused.error().message;
  // kill -9: no cleanup ran, the file stays, the lock does not.
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(files(), 1u);
  auto taken = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/data/parent");
  ASSERT_TRUE(taken) << taken.error().str();
  // The dead holder's longer text is gone, not left behind the new one.
  std::string text;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(e.path());
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(text, "pid=" + std::to_string(::getpid()) + "\ndata-root=/data/parent\n");
  ::close(ready[0]);
  ::close(hold[1]);
}

TEST_F(HostClaimTest, RefusesAnUnsafeDirectoryAndBadNames) {
  ASSERT_TRUE(HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim0", "/d"));
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);  // anyone could swap the files
  auto r = HostClaim::take(dir_, ClaimKind::Bridge, "bt-claim1", "/d");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::PermissionDenied);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  for (const char* bad : {"", "a/b", "0123456789012345678901234567890123456789012345678901234567890123456789"}) {
    auto b = HostClaim::take(dir_, ClaimKind::Bridge, bad, "/d");
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().code, Errc::InvalidArgument);
  }
}
