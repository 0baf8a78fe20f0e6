// Network records and IP allocations on a temporary database.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "metadata/network_store.h"
#include "temp_db.h"

using namespace berth;
using namespace berth::metadata;
using namespace berth::metadata::testing;

namespace {

using NetworkStoreTest = TempDb;

std::string net_id(char c, unsigned n = 0) {
  std::string hex = std::to_string(n);
  return std::string(1, c) + std::string(63 - hex.size(), '0') + hex;
}

NetworkRow net(char c, std::string name, unsigned n = 0) {
  return {net_id(c, n), std::move(name), R"({"Driver":"bridge"})"};
}

}  // namespace

TEST_F(NetworkStoreTest, InsertGetFindList) {
  auto s = NetworkStore::open(path_);
  ASSERT_TRUE(s) << s.error().str();
  ASSERT_TRUE(s->insert(net('a', "front")));
  ASSERT_TRUE(s->insert(net('b', "back")));
  ASSERT_TRUE(s->insert(net('b', "other", 1)));

  auto dup = s->insert(net('c', "front"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::Conflict);
  EXPECT_EQ(dup.error().message, "network with name front already exists");
  auto dup_id = s->insert(net('a', "new"));
  ASSERT_FALSE(dup_id);
  EXPECT_EQ(dup_id.error().code, Errc::Conflict);

  EXPECT_EQ(s->get(net_id('a'))->name, "front");
  EXPECT_EQ(s->get_by_name("back")->id, net_id('b'));
  auto missing = s->get(net_id('z'));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::NotFound);

  // find: full id, name, unique prefix; ambiguous prefix; not found.
  EXPECT_EQ(s->find(net_id('a'))->name, "front");
  EXPECT_EQ(s->find("back")->id, net_id('b'));
  EXPECT_EQ(s->find("a00")->name, "front");
  auto amb = s->find("b00");
  ASSERT_FALSE(amb);
  EXPECT_EQ(amb.error().code, Errc::InvalidArgument);
  EXPECT_EQ(amb.error().message, "network b00 is ambiguous (2 matches found based on ID prefix)");
  auto nf = s->find("nope");
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code, Errc::NotFound);
  EXPECT_EQ(nf.error().message, "network nope not found");
  EXPECT_FALSE(s->find(""));
  // A name that looks like an id prefix of another network wins over the prefix.
  ASSERT_TRUE(s->insert(net('c', "a0")));
  EXPECT_EQ(s->find("a0")->id, net_id('c'));

  auto all = s->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].name, "a0");
  EXPECT_EQ((*all)[1].name, "back");
}

TEST_F(NetworkStoreTest, UpdateAndRemove) {
  auto s = NetworkStore::open(path_);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->insert(net('a', "front")));
  ASSERT_TRUE(s->update(net_id('a'), R"({"Driver":"bridge","Labels":{"x":"y"}})"));
  EXPECT_EQ(s->get(net_id('a'))->doc, R"({"Driver":"bridge","Labels":{"x":"y"}})");
  EXPECT_FALSE(s->update(net_id('a'), "not json"));  // CHECK json_valid
  auto upd = s->update(net_id('z'), "{}");
  ASSERT_FALSE(upd);
  EXPECT_EQ(upd.error().code, Errc::NotFound);

  ASSERT_TRUE(s->allocate(net_id('a'), "10.201.0.2", "c1"));
  ASSERT_TRUE(s->remove(net_id('a')));
  EXPECT_FALSE(s->get(net_id('a')));
  EXPECT_TRUE(s->allocations(net_id('a'))->empty());  // cascaded
  auto again = s->remove(net_id('a'));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::NotFound);
  // The name is free again.
  EXPECT_TRUE(s->insert(net('b', "front")));
}

TEST_F(NetworkStoreTest, Allocations) {
  auto s = NetworkStore::open(path_);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->insert(net('a', "front")));
  ASSERT_TRUE(s->insert(net('b', "back")));
  ASSERT_TRUE(s->allocate(net_id('a'), "10.201.0.2", "c1"));
  ASSERT_TRUE(s->allocate(net_id('a'), "10.201.0.3", "c2"));
  ASSERT_TRUE(s->allocate(net_id('b'), "10.201.1.2", "c1"));
  // The same address on another network is fine; on the same one it is taken.
  ASSERT_TRUE(s->allocate(net_id('b'), "10.201.0.2", "c3"));
  auto taken = s->allocate(net_id('a'), "10.201.0.2", "c9");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Errc::Conflict);
  EXPECT_EQ(taken.error().message, "Address already in use");
  auto no_net = s->allocate(net_id('z'), "10.0.0.2", "c1");
  ASSERT_FALSE(no_net);
  EXPECT_EQ(no_net.error().code, Errc::NotFound);

  auto a = s->allocations(net_id('a'));
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].address, "10.201.0.2");
  EXPECT_EQ((*a)[0].owner, "c1");
  EXPECT_EQ(s->allocations_of("c1")->size(), 2u);

  EXPECT_TRUE(*s->release(net_id('a'), "10.201.0.3"));
  EXPECT_FALSE(*s->release(net_id('a'), "10.201.0.3"));  // missing is fine
  EXPECT_EQ(*s->release_owner(net_id('b'), "c3"), 1);
  EXPECT_EQ(*s->release_owner("c1"), 2);
  EXPECT_TRUE(s->allocations(net_id('a'))->empty());
  EXPECT_TRUE(s->allocations(net_id('b'))->empty());
  EXPECT_EQ(*s->release_owner("c1"), 0);
}

TEST_F(NetworkStoreTest, AllocateWithIsAtomicAcrossThreads) {
  auto s = NetworkStore::open(path_);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->insert(net('a', "front")));
  // Every thread picks "the lowest number not yet taken": without one
  // transaction around read + insert, two would pick the same.
  auto choose = [](const std::vector<IpAllocation>& current) -> Result<std::string> {
    std::set<int> used;
    for (const auto& a : current) used.insert(std::stoi(a.address.substr(a.address.rfind('.') + 1)));
    int n = 2;
    while (used.contains(n)) ++n;
    return "10.201.0." + std::to_string(n);
  };
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        if (!s->allocate_with(net_id('a'), "c" + std::to_string(t), choose)) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s->allocations(net_id('a'))->size(), 40u);

  // The chooser's error comes back as is, and nothing is recorded.
  auto err = s->allocate_with(net_id('a'), "c9", [](const auto&) -> Result<std::string> {
    return fail(Errc::Unavailable, "no available IPv4 addresses on this network's address pools");
  });
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code, Errc::Unavailable);
  EXPECT_TRUE(s->allocations_of("c9")->empty());
  // Two store objects on one file (e.g. two berthd threads' connections) see each other.
  auto s2 = NetworkStore::open(path_);
  ASSERT_TRUE(s2);
  auto dup = s2->allocate(net_id('a'), "10.201.0.2", "x");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::Conflict);
}

TEST_F(NetworkStoreTest, KillNineWhileAllocating) {
  {
    auto s = NetworkStore::open(path_);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->insert(net('a', "front")));
  }
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    auto s = NetworkStore::open(path_);
    if (!s) _exit(2);
    // Allocate and release in pairs forever: at most one address per owner.
    for (unsigned i = 0;; ++i) {
      std::string owner = "c" + std::to_string(i % 50);
      (void)s->release_owner(owner);
      if (!s->allocate(net_id('a'), "10.201." + std::to_string(i % 50) + "." + std::to_string(i % 200 + 2), owner))
        _exit(3);
      char c = 1;
      if (::write(pipefd[1], &c, 1) != 1) _exit(4);
    }
  }
  ::close(pipefd[1]);
  char buf[64];
  size_t seen = 0;
  while (seen < 300) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "writer died early";
    seen += n;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(pipefd[0]);

  auto s = NetworkStore::open(path_);
  ASSERT_TRUE(s) << s.error().str();
  auto all = s->allocations(net_id('a'));
  ASSERT_TRUE(all);
  std::map<std::string, int> per_owner;
  for (const auto& a : *all) ++per_owner[a.owner];
  for (const auto& [owner, n] : per_owner) EXPECT_EQ(n, 1) << owner;
  EXPECT_TRUE(s->allocate(net_id('a'), "10.201.99.99", "after"));
}
