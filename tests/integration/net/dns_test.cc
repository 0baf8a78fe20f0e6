// The embedded DNS server in real network namespaces (root): two test netns
// (btdn-a, btdn-b), the server bound at 127.0.0.11:53 in each, busybox
// nslookup as the client, and a fake upstream the test runs on 127.0.0.53:53
// inside btdn-a. Nothing is sent outside these namespaces.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "base/unique_fd.h"
#include "net/dns.h"
#include "net/dns_message.h"

namespace berth::net {
namespace {

const char* kNsA = "btdn-a";
const char* kNsB = "btdn-b";
std::string ns_path(const char* name) { return std::string("/run/netns/") + name; }

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  ::pclose(p);
  return out;
}

std::string nslookup(const char* ns, const std::string& name) {
  return run(std::string("timeout 20 ip netns exec ") + ns + " busybox nslookup " + name + " 127.0.0.11");
}

// Runs f on a thread inside the namespace (sockets made there stay there).
template <class F>
void in_netns(const char* ns, F f) {
  std::thread([&] {
    UniqueFd fd(::open(ns_path(ns).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::setns(fd.get(), CLONE_NEWNET), 0);
    f();
  }).join();
}

int count_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

// UDP-only fake upstream on 127.0.0.53:53 inside a namespace: "*.btdn" A ->
// 10.203.9.9, anything else NXDOMAIN.
class FakeUpstream {
 public:
  explicit FakeUpstream(const char* ns) {
    in_netns(ns, [&] {
      udp_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(53);
      ::inet_pton(AF_INET, "127.0.0.53", &a.sin_addr);
      ASSERT_EQ(::bind(udp_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    });
    stop_.reset(::eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeUpstream() {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof(one));
    thread_.join();
  }
  int queries() const { return queries_; }

 private:
  void serve() {
    for (;;) {
      pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {udp_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[0].revents) return;
      uint8_t buf[4096];
      sockaddr_storage from{};
      socklen_t len = sizeof(from);
      ssize_t n = ::recvfrom(udp_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      ++queries_;
      ldns_pkt* q = nullptr;
      if (ldns_wire2pkt(&q, buf, n) != LDNS_STATUS_OK) continue;
      ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(q), 0);
      char* s = ldns_rdf2str(ldns_rr_owner(question));
      std::string name = s;
      std::free(s);
      ldns_pkt* r = ldns_pkt_new();
      ldns_pkt_set_id(r, ldns_pkt_id(q));
      ldns_pkt_set_qr(r, true);
      ldns_pkt_set_rd(r, ldns_pkt_rd(q));
      ldns_pkt_set_ra(r, true);
      ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
      if (dns::normalize_name(name).ends_with(".btdn") && ldns_rr_get_type(question) == LDNS_RR_TYPE_A) {
        ldns_rr* rr = nullptr;
        ldns_rr_new_frm_str(&rr, (name + " 30 IN A 10.203.9.9").c_str(), 0, nullptr, nullptr);
        ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
      } else if (!dns::normalize_name(name).ends_with(".btdn")) {
        ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
      }
      uint8_t* wire = nullptr;
      size_t size = 0;
      ldns_pkt2wire(&wire, r, &size);
      ::sendto(udp_.get(), wire, size, 0, reinterpret_cast<sockaddr*>(&from), len);
      std::free(wire);
      ldns_pkt_free(r);
      ldns_pkt_free(q);
    }
  }

  UniqueFd udp_, stop_;
  std::thread thread_;
  std::atomic<int> queries_{0};
};

class DnsNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/usr/bin/busybox", X_OK) != 0 && ::access("/bin/busybox", X_OK) != 0)
      GTEST_SKIP() << "needs busybox";
    for (const char* ns : {kNsA, kNsB}) {
      run(std::string("ip netns del ") + ns);  // left over by a crashed run
      ASSERT_EQ(std::system((std::string("ip netns add ") + ns).c_str()), 0);
      ASSERT_EQ(std::system((std::string("ip -n ") + ns + " link set lo up").c_str()), 0);
    }
  }
  void TearDown() override {
    for (const char* ns : {kNsA, kNsB}) run(std::string("ip netns del ") + ns);
  }
};

DnsServer::Lookup web_lookup() {
  return [](const std::string& id, const std::string& name) -> std::optional<std::vector<std::string>> {
    if ((id == "btdn-ca" || id == "btdn-cb") && name == "web") return std::vector<std::string>{"10.203.0.2"};
    if (id == "btdn-cb" && name == "only-b") return std::vector<std::string>{"10.203.0.3"};
    return std::nullopt;
  };
}

TEST_F(DnsNetns, BusyboxResolvesContainerNamesAndForwards) {
  int fds_before = count_fds();
  {
    FakeUpstream upstream(kNsA);
    DnsOptions opt;
    opt.forward_timeout = std::chrono::milliseconds(1000);
    auto srv = DnsServer::create(web_lookup(), {"127.0.0.53"}, opt);
    ASSERT_TRUE(srv) << srv.error().str();

    auto t0 = std::chrono::steady_clock::now();
    auto ra = (*srv)->add_container("btdn-ca", ns_path(kNsA));
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(ra) << ra.error().str();
    ASSERT_TRUE((*srv)->add_container("btdn-cb", ns_path(kNsB)));
    std::printf("[ perf     ] add_container: %.0f us\n", std::chrono::duration<double, std::micro>(t1 - t0).count());

    std::string out = nslookup(kNsA, "web");
    EXPECT_NE(out.find("10.203.0.2"), std::string::npos) << out;
    out = nslookup(kNsB, "web");
    EXPECT_NE(out.find("10.203.0.2"), std::string::npos) << out;
    // Names are per container.
    out = nslookup(kNsB, "only-b");
    EXPECT_NE(out.find("10.203.0.3"), std::string::npos) << out;

    // Unknown: relayed from inside btdn-a to the fake upstream there.
    out = nslookup(kNsA, "example.btdn");
    EXPECT_NE(out.find("10.203.9.9"), std::string::npos) << out;
    EXPECT_GE(upstream.queries(), 1);
    out = nslookup(kNsA, "nothing.example");
    EXPECT_NE(out.find("NXDOMAIN"), std::string::npos) << out;
    // btdn-b has no 127.0.0.53: the forward (made in btdn-b) fails -> SERVFAIL.
    int before = upstream.queries();
    out = nslookup(kNsB, "example.btdn");
    EXPECT_EQ(out.find("10.203.9.9"), std::string::npos) << out;
    EXPECT_NE(out.find("SERVFAIL"), std::string::npos) << out;
    EXPECT_EQ(upstream.queries(), before);

    // remove_container closes the sockets in btdn-a; btdn-b still answers.
    (*srv)->remove_container("btdn-ca");
    in_netns(kNsA, [] {
      UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(53);
      ::inet_pton(AF_INET, "127.0.0.11", &a.sin_addr);
      EXPECT_NE(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
      EXPECT_EQ(errno, ECONNREFUSED);
      // The UDP port is free again: we can bind it.
      UniqueFd u(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      EXPECT_EQ(::bind(u.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    });
    out = nslookup(kNsB, "web");
    EXPECT_NE(out.find("10.203.0.2"), std::string::npos) << out;
  }
  EXPECT_EQ(count_fds(), fds_before);  // the server closed everything it opened
}

// add_container is on the container start path: time it.
TEST_F(DnsNetns, AddContainerTime) {
  auto srv = DnsServer::create(web_lookup(), {}, {});
  ASSERT_TRUE(srv);
  constexpr int kRounds = 200;
  double total_us = 0, worst_us = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = (*srv)->add_container("btdn-ca", ns_path(kNsA));
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(r) << r.error().str();
    total_us += us;
    worst_us = std::max(worst_us, us);
    (*srv)->remove_container("btdn-ca");
  }
  std::printf("[ perf     ] add_container: mean %.0f us, worst %.0f us over %d\n", total_us / kRounds, worst_us,
              kRounds);
}

// Forwarding cost: each forward makes its socket inside the container's
// namespace (setns there and back on the server thread).
TEST_F(DnsNetns, ForwardedQueriesPerSecond) {
  FakeUpstream upstream(kNsA);
  auto srv = DnsServer::create(web_lookup(), {"127.0.0.53"}, {});
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("btdn-ca", ns_path(kNsA)));
  in_netns(kNsA, [&] {
    UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    timeval tv{3, 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(53);
    ::inet_pton(AF_INET, "127.0.0.11", &a.sin_addr);
    ASSERT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    for (bool forward : {false, true}) {
      ldns_pkt* p = ldns_pkt_query_new(ldns_dname_new_frm_str(forward ? "x.btdn." : "web."), LDNS_RR_TYPE_A,
                                       LDNS_RR_CLASS_IN, LDNS_RD);
      uint8_t* wire = nullptr;
      size_t size = 0;
      ldns_pkt2wire(&wire, p, &size);
      ldns_pkt_free(p);
      constexpr int kQueries = 5000;
      uint8_t buf[512];
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < kQueries; ++i) {
        ASSERT_GT(::send(s.get(), wire, size, 0), 0);
        ASSERT_GT(::recv(s.get(), buf, sizeof(buf), 0), 0);
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("[ perf     ] %s: %.0f queries/s (one client, one in flight)\n",
                  forward ? "forwarded" : "local", kQueries / secs);
      std::free(wire);
    }
  });
  auto st = (*srv)->stats();
  EXPECT_EQ(st.forwarded, 5000u);
  EXPECT_EQ(st.local, 5000u);
}

}  // namespace
}  // namespace berth::net
