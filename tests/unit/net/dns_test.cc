// The embedded DNS server: packet decisions (pure), resolv.conf, and the
// server itself on 127.0.0.1 ephemeral ports with a fake upstream run by the
// test on loopback (nothing leaves the machine, no real resolver is asked).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "base/unique_fd.h"
#include "net/dns.h"
#include "net/dns_message.h"

namespace berth::net {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

std::vector<uint8_t> make_query(const char* name, ldns_rr_type type, uint16_t id = 0x1234, bool edns = false) {
  Pkt p(ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD));
  ldns_pkt_set_id(p.get(), id);
  if (edns) ldns_pkt_set_edns_udp_size(p.get(), 4096);
  uint8_t* buf = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&buf, p.get(), &size), LDNS_STATUS_OK);
  std::vector<uint8_t> out(buf, buf + size);
  std::free(buf);
  return out;
}

Pkt parse(const std::vector<uint8_t>& wire) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
  return Pkt(p);
}

std::vector<std::string> a_records(const ldns_pkt* p) {
  std::vector<std::string> out;
  ldns_rr_list* an = ldns_pkt_answer(p);
  for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(an, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_A) continue;
    char* s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
    out.emplace_back(s);
    std::free(s);
  }
  return out;
}

dns::NameLookup web_only() {
  return [](const std::string& name) -> std::optional<std::vector<std::string>> {
    if (name == "web" || name == "web.btdn-net") return std::vector<std::string>{"10.203.0.2"};
    return std::nullopt;
  };
}

// ---- decisions ----

TEST(DnsMessage, NormalizeName) {
  EXPECT_EQ(dns::normalize_name("Web."), "web");
  EXPECT_EQ(dns::normalize_name("web"), "web");
  EXPECT_EQ(dns::normalize_name("WEB.BTDN-Net."), "web.btdn-net");
  EXPECT_EQ(dns::normalize_name("."), "");
}

TEST(DnsMessage, KnownNameGetsARecordsCaseInsensitive) {
  for (const char* name : {"web", "web.", "WeB.", "web.btdn-net", "WEB.btdn-NET."}) {
    auto d = dns::answer_query(make_query(name, LDNS_RR_TYPE_A, 0xbeef), web_only(), false);
    ASSERT_EQ(d.kind, dns::Decision::Kind::Reply) << name;
    Pkt r = parse(d.reply);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(ldns_pkt_id(r.get()), 0xbeef);
    EXPECT_TRUE(ldns_pkt_qr(r.get()));
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_TRUE(ldns_pkt_ra(r.get()));
    EXPECT_TRUE(ldns_pkt_rd(r.get()));
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_qdcount(r.get()), 1);
    EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.0.2"});
    EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r.get()), 0)), 600u);
  }
}

TEST(DnsMessage, LookupSeesNormalizedName) {
  std::string seen;
  dns::NameLookup lookup = [&](const std::string& n) -> std::optional<std::vector<std::string>> {
    seen = n;
    return std::vector<std::string>{"10.203.0.3", "10.203.1.3"};
  };
  auto d = dns::answer_query(make_query("Db.Btdn-Net.", LDNS_RR_TYPE_A), lookup, false);
  EXPECT_EQ(seen, "db.btdn-net");
  Pkt r = parse(d.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(a_records(r.get()), (std::vector<std::string>{"10.203.0.3", "10.203.1.3"}));
}

TEST(DnsMessage, AaaaOfKnownNameIsEmptyNoerror) {
  auto d = dns::answer_query(make_query("web", LDNS_RR_TYPE_AAAA), web_only(), false);
  ASSERT_EQ(d.kind, dns::Decision::Kind::Reply);
  Pkt r = parse(d.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
  EXPECT_EQ(ldns_pkt_qdcount(r.get()), 1);
}

TEST(DnsMessage, UnknownNamesAndOtherTypesAreForwarded) {
  EXPECT_EQ(dns::answer_query(make_query("example.btdn", LDNS_RR_TYPE_A), web_only(), false).kind,
            dns::Decision::Kind::Forward);
  EXPECT_EQ(dns::answer_query(make_query("example.btdn", LDNS_RR_TYPE_AAAA), web_only(), false).kind,
            dns::Decision::Kind::Forward);
  EXPECT_EQ(dns::answer_query(make_query("web", LDNS_RR_TYPE_MX), web_only(), false).kind,
            dns::Decision::Kind::Forward);
  EXPECT_EQ(dns::answer_query(make_query("web", LDNS_RR_TYPE_A), nullptr, false).kind,
            dns::Decision::Kind::Forward);
}

TEST(DnsMessage, MalformedAndResponses) {
  // A response sent to us: dropped.
  auto q = make_query("web", LDNS_RR_TYPE_A);
  q[2] |= 0x80;
  EXPECT_EQ(dns::answer_query(q, web_only(), false).kind, dns::Decision::Kind::Drop);
  // Too short: dropped.
  EXPECT_EQ(dns::answer_query(std::vector<uint8_t>{1, 2, 3}, web_only(), false).kind, dns::Decision::Kind::Drop);
  // A header announcing a question that is not there: FORMERR with the id.
  std::vector<uint8_t> bad = {0x42, 0x42, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x05, 'a'};
  auto d = dns::answer_query(bad, web_only(), false);
  ASSERT_EQ(d.kind, dns::Decision::Kind::Reply);
  Pkt r = parse(d.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_id(r.get()), 0x4242);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_FORMERR);
  // Opcode STATUS: NOTIMP.
  q = make_query("web", LDNS_RR_TYPE_A);
  q[2] = static_cast<uint8_t>((q[2] & ~0x78) | (LDNS_PACKET_STATUS << 3));
  d = dns::answer_query(q, web_only(), false);
  r = parse(d.reply);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOTIMPL);
}

TEST(DnsMessage, TwoQuestionsAreFormerr) {
  Pkt p(ldns_pkt_query_new(ldns_dname_new_frm_str("web."), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RD));
  ldns_rr* q2 = ldns_rr_new();
  ldns_rr_set_owner(q2, ldns_dname_new_frm_str("db."));
  ldns_rr_set_type(q2, LDNS_RR_TYPE_A);
  ldns_rr_set_class(q2, LDNS_RR_CLASS_IN);
  ldns_rr_set_question(q2, true);
  ldns_pkt_push_rr(p.get(), LDNS_SECTION_QUESTION, q2);
  uint8_t* buf = nullptr;
  size_t size = 0;
  ASSERT_EQ(ldns_pkt2wire(&buf, p.get(), &size), LDNS_STATUS_OK);
  std::vector<uint8_t> wire(buf, buf + size);
  std::free(buf);
  auto d = dns::answer_query(wire, web_only(), false);
  ASSERT_EQ(d.kind, dns::Decision::Kind::Reply);
  EXPECT_EQ(ldns_pkt_get_rcode(parse(d.reply).get()), LDNS_RCODE_FORMERR);
}

TEST(DnsMessage, ManyAddressesTruncateOverUdpOnly) {
  std::vector<std::string> many;
  for (int i = 1; i <= 100; ++i) many.push_back("10.203.2." + std::to_string(i));
  dns::NameLookup lookup = [&](const std::string&) { return std::optional(many); };
  auto udp = dns::answer_query(make_query("svc", LDNS_RR_TYPE_A), lookup, false);
  EXPECT_LE(udp.reply.size(), 512u);
  Pkt r = parse(udp.reply);
  ASSERT_TRUE(r);
  EXPECT_TRUE(ldns_pkt_tc(r.get()));
  EXPECT_GT(ldns_pkt_ancount(r.get()), 10);
  EXPECT_LT(ldns_pkt_ancount(r.get()), 100);
  // EDNS raises the limit (to at most 1232).
  auto edns = dns::answer_query(make_query("svc", LDNS_RR_TYPE_A, 1, true), lookup, false);
  EXPECT_GT(edns.reply.size(), 512u);
  EXPECT_LE(edns.reply.size(), 1232u);
  EXPECT_TRUE(ldns_pkt_edns(parse(edns.reply).get()));
  auto tcp = dns::answer_query(make_query("svc", LDNS_RR_TYPE_A), lookup, true);
  r = parse(tcp.reply);
  ASSERT_TRUE(r);
  EXPECT_FALSE(ldns_pkt_tc(r.get()));
  EXPECT_EQ(ldns_pkt_ancount(r.get()), 100);
}

TEST(DnsMessage, ErrorReplyAndResponseMatching) {
  auto q = make_query("example.btdn", LDNS_RR_TYPE_A, 7);
  Pkt r = parse(dns::error_reply(q, LDNS_RCODE_SERVFAIL));
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_id(r.get()), 7);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_pkt_qdcount(r.get()), 1);

  auto resp = dns::error_reply(q, LDNS_RCODE_NXDOMAIN);
  EXPECT_TRUE(dns::response_matches(q, resp));
  EXPECT_TRUE(dns::response_matches(make_query("EXAMPLE.btdn", LDNS_RR_TYPE_A, 7), resp));
  EXPECT_FALSE(dns::response_matches(make_query("example.btdn", LDNS_RR_TYPE_A, 8), resp));
  EXPECT_FALSE(dns::response_matches(make_query("example.btdn", LDNS_RR_TYPE_AAAA, 7), resp));
  EXPECT_FALSE(dns::response_matches(make_query("other.btdn", LDNS_RR_TYPE_A, 7), resp));
  EXPECT_FALSE(dns::response_matches(q, q));  // not a response
}

// ---- resolv.conf ----

TEST(DnsResolvConf, Upstreams) {
  const char* text =
      "# comment\n"
      "nameserver 127.0.0.53\n"
      "nameserver 192.0.2.1 # trailing comment\n"
      "nameserver ::1\n"
      "nameserver 2001:db8::53\n"
      "nameserver 127.1.2.3\n"
      "nameserver not-an-ip\n"
      "  nameserver   198.51.100.7  \n"
      "search example.com\n"
      "nameserver 203.0.113.9";
  EXPECT_EQ(upstreams_from_resolv_conf(text),
            (std::vector<std::string>{"192.0.2.1", "2001:db8::53", "198.51.100.7", "203.0.113.9"}));
  EXPECT_TRUE(upstreams_from_resolv_conf("nameserver 127.0.0.53\n").empty());
  EXPECT_TRUE(upstreams_from_resolv_conf("").empty());
}

TEST(DnsResolvConf, ContainerFile) {
  EXPECT_EQ(container_resolv_conf("nameserver 192.0.2.1\n"), "nameserver 127.0.0.11\noptions ndots:0\n");
  EXPECT_EQ(container_resolv_conf("nameserver 192.0.2.1\nsearch a.example b.example\noptions edns0 rotate\n"),
            "nameserver 127.0.0.11\nsearch a.example b.example\noptions edns0 rotate ndots:0\n");
  // The last search/domain line wins; a host ndots is kept.
  EXPECT_EQ(container_resolv_conf("domain x.example\nsearch y.example\noptions ndots:2\n"),
            "nameserver 127.0.0.11\nsearch y.example\noptions ndots:2\n");
  // --dns-search / --dns-option replace the host's.
  EXPECT_EQ(container_resolv_conf("search y.example\noptions edns0\n", {"z.example"}, {"timeout:1"}),
            "nameserver 127.0.0.11\nsearch z.example\noptions timeout:1 ndots:0\n");
  EXPECT_EQ(container_resolv_conf("search y.example\n", {"."}), "nameserver 127.0.0.11\noptions ndots:0\n");
}

// ---- the server on loopback ----

// A tiny authoritative responder for the test's forwarded names, on
// 127.0.0.1 (UDP and TCP, same ephemeral port). Answers "*.btdn" A with
// 10.203.9.9, and everything else NXDOMAIN. silent: never answers.
class FakeUpstream {
 public:
  explicit FakeUpstream(bool silent = false) : silent_(silent) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int attempt = 0; attempt < 10; ++attempt) {
      udp_.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      a.sin_port = 0;
      EXPECT_EQ(::bind(udp_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
      socklen_t len = sizeof(a);
      ::getsockname(udp_.get(), reinterpret_cast<sockaddr*>(&a), &len);
      tcp_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (::bind(tcp_.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) break;
    }
    ::listen(tcp_.get(), 16);
    port_ = ntohs(a.sin_port);
    stop_.reset(::eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { run(); });
  }
  ~FakeUpstream() {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof(one));
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }
  std::string last_qname() {
    std::lock_guard l(mu_);
    return last_;
  }

 private:
  std::vector<uint8_t> answer(const std::vector<uint8_t>& q) {
    Pkt p = parse(q);
    if (!p) return {};
    ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(p.get()), 0);
    char* s = ldns_rdf2str(ldns_rr_owner(question));
    std::string name = s;
    std::free(s);
    {
      std::lock_guard l(mu_);
      last_ = name;
    }
    Pkt r(ldns_pkt_new());
    ldns_pkt_set_id(r.get(), ldns_pkt_id(p.get()));
    ldns_pkt_set_qr(r.get(), true);
    ldns_pkt_set_rd(r.get(), ldns_pkt_rd(p.get()));
    ldns_pkt_set_ra(r.get(), true);
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
    if (dns::normalize_name(name).ends_with(".btdn") && ldns_rr_get_type(question) == LDNS_RR_TYPE_A) {
      ldns_rr* rr = nullptr;
      ldns_rr_new_frm_str(&rr, (name + " 30 IN A 10.203.9.9").c_str(), 0, nullptr, nullptr);
      ldns_pkt_push_rr(r.get(), LDNS_SECTION_ANSWER, rr);
    } else {
      ldns_pkt_set_rcode(r.get(), LDNS_RCODE_NXDOMAIN);
    }
    uint8_t* buf = nullptr;
    size_t size = 0;
    ldns_pkt2wire(&buf, r.get(), &size);
    std::vector<uint8_t> out(buf, buf + size);
    std::free(buf);
    return out;
  }

  void run() {
    for (;;) {
      pollfd fds[3] = {{stop_.get(), POLLIN, 0}, {udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (::poll(fds, 3, -1) < 0) continue;
      if (fds[0].revents) return;
      if (fds[1].revents) {
        uint8_t buf[4096];
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        ssize_t n = ::recvfrom(udp_.get(), buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          ++udp_queries_;
          auto resp = answer(std::vector<uint8_t>(buf, buf + n));
          if (!silent_) ::sendto(udp_.get(), resp.data(), resp.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (fds[2].revents) {
        UniqueFd c(::accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        timeval tv{2, 0};
        ::setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        uint8_t lenb[2];
        if (::recv(c.get(), lenb, 2, MSG_WAITALL) != 2) continue;
        std::vector<uint8_t> q((lenb[0] << 8) | lenb[1]);
        if (::recv(c.get(), q.data(), q.size(), MSG_WAITALL) != static_cast<ssize_t>(q.size())) continue;
        ++tcp_queries_;
        if (silent_) continue;
        auto resp = answer(q);
        std::vector<uint8_t> out = {static_cast<uint8_t>(resp.size() >> 8), static_cast<uint8_t>(resp.size())};
        out.insert(out.end(), resp.begin(), resp.end());
        (void)!::send(c.get(), out.data(), out.size(), MSG_NOSIGNAL);
      }
    }
  }

  bool silent_;
  UniqueFd udp_, tcp_, stop_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> udp_queries_{0}, tcp_queries_{0};
  std::mutex mu_;
  std::string last_;
};

// One query over UDP or TCP to 127.0.0.1:port; nullptr on timeout/error.
Pkt ask(uint16_t port, const std::vector<uint8_t>& q, bool tcp, int timeout_ms = 3000) {
  UniqueFd s(::socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return nullptr;
  std::vector<uint8_t> resp(65536);
  if (!tcp) {
    if (::send(s.get(), q.data(), q.size(), 0) < 0) return nullptr;
    ssize_t n = ::recv(s.get(), resp.data(), resp.size(), 0);
    if (n <= 0) return nullptr;
    resp.resize(n);
  } else {
    std::vector<uint8_t> out = {static_cast<uint8_t>(q.size() >> 8), static_cast<uint8_t>(q.size())};
    out.insert(out.end(), q.begin(), q.end());
    if (::send(s.get(), out.data(), out.size(), MSG_NOSIGNAL) < 0) return nullptr;
    uint8_t lenb[2];
    if (::recv(s.get(), lenb, 2, MSG_WAITALL) != 2) return nullptr;
    resp.resize((lenb[0] << 8) | lenb[1]);
    if (::recv(s.get(), resp.data(), resp.size(), MSG_WAITALL) != static_cast<ssize_t>(resp.size())) return nullptr;
  }
  return parse(resp);
}

DnsOptions test_options() {
  DnsOptions o;
  o.listen_address = "127.0.0.1";
  o.port = 0;
  o.forward_timeout = std::chrono::milliseconds(300);
  return o;
}

DnsServer::Lookup web_for(const std::string& container) {
  return [container](const std::string& id, const std::string& name) -> std::optional<std::vector<std::string>> {
    if (id == container && name == "web") return std::vector<std::string>{"10.203.0.2"};
    return std::nullopt;
  };
}

TEST(DnsServer, AnswersKnownNamesOverUdpAndTcp) {
  auto srv = DnsServer::create(web_for("c1"), {}, test_options());
  ASSERT_TRUE(srv) << srv.error().str();
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  auto port = (*srv)->port("c1");
  ASSERT_TRUE(port);
  for (bool tcp : {false, true}) {
    Pkt r = ask(*port, make_query("WEB.", LDNS_RR_TYPE_A, 99), tcp);
    ASSERT_TRUE(r) << "tcp=" << tcp;
    EXPECT_EQ(ldns_pkt_id(r.get()), 99);
    EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.0.2"});
    r = ask(*port, make_query("web", LDNS_RR_TYPE_AAAA), tcp);
    ASSERT_TRUE(r);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
  }
  // No upstream: unknown names fail at once.
  Pkt r = ask(*port, make_query("example.btdn", LDNS_RR_TYPE_A), false);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
  EXPECT_GE((*srv)->stats().local, 4u);
  EXPECT_EQ((*srv)->add_container("c1", "").error().code, Errc::AlreadyExists);
}

TEST(DnsServer, NamesAreScopedToTheAskingContainer) {
  auto srv = DnsServer::create(web_for("c1"), {}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  ASSERT_TRUE((*srv)->add_container("c2", ""));
  Pkt r1 = ask(*(*srv)->port("c1"), make_query("web", LDNS_RR_TYPE_A), false);
  Pkt r2 = ask(*(*srv)->port("c2"), make_query("web", LDNS_RR_TYPE_A), false);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(a_records(r1.get()), std::vector<std::string>{"10.203.0.2"});
  EXPECT_EQ(ldns_pkt_get_rcode(r2.get()), LDNS_RCODE_SERVFAIL);  // not c2's name, no upstream
}

TEST(DnsServer, ForwardsUnknownNamesOverUdpAndTcp) {
  FakeUpstream up;
  auto srv = DnsServer::create(web_for("c1"), {up.address()}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  uint16_t port = *(*srv)->port("c1");
  Pkt r = ask(port, make_query("Example.btdn", LDNS_RR_TYPE_A, 0x5151), false);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_id(r.get()), 0x5151);  // the client's id, not ours
  EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.9.9"});
  EXPECT_EQ(up.udp_queries(), 1);
  EXPECT_EQ(up.last_qname(), "Example.btdn.");
  r = ask(port, make_query("nothing.example", LDNS_RR_TYPE_A), false);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NXDOMAIN);
  r = ask(port, make_query("tcp.btdn", LDNS_RR_TYPE_A, 0x6262), true);
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_id(r.get()), 0x6262);
  EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.9.9"});
  EXPECT_EQ(up.tcp_queries(), 1);
  EXPECT_EQ((*srv)->stats().forwarded, 3u);
}

TEST(DnsServer, TcpConnectionCarriesSeveralQueries) {
  FakeUpstream up;
  auto srv = DnsServer::create(web_for("c1"), {up.address()}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{3, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(*(*srv)->port("c1"));
  ASSERT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  // Pipelined in one write: local, forwarded, local.
  std::vector<uint8_t> out;
  uint16_t ids[] = {1, 2, 3};
  const char* names[] = {"web", "far.btdn", "web"};
  for (int i = 0; i < 3; ++i) {
    auto q = make_query(names[i], LDNS_RR_TYPE_A, ids[i]);
    out.push_back(static_cast<uint8_t>(q.size() >> 8));
    out.push_back(static_cast<uint8_t>(q.size()));
    out.insert(out.end(), q.begin(), q.end());
  }
  ASSERT_EQ(::send(s.get(), out.data(), out.size(), MSG_NOSIGNAL), static_cast<ssize_t>(out.size()));
  for (int i = 0; i < 3; ++i) {
    uint8_t lenb[2];
    ASSERT_EQ(::recv(s.get(), lenb, 2, MSG_WAITALL), 2);
    std::vector<uint8_t> resp((lenb[0] << 8) | lenb[1]);
    ASSERT_EQ(::recv(s.get(), resp.data(), resp.size(), MSG_WAITALL), static_cast<ssize_t>(resp.size()));
    Pkt r = parse(resp);
    ASSERT_TRUE(r);
    EXPECT_EQ(ldns_pkt_id(r.get()), ids[i]);  // in order
    EXPECT_EQ(a_records(r.get()), std::vector<std::string>{i == 1 ? "10.203.9.9" : "10.203.0.2"});
  }
}

TEST(DnsServer, SilentOrClosedUpstreamFallsThroughToTheNextThenServfail) {
  FakeUpstream silent(true);
  FakeUpstream good;
  // A port nobody listens on: UDP gets ECONNREFUSED at once.
  UniqueFd closed(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(closed.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  ::getsockname(closed.get(), reinterpret_cast<sockaddr*>(&a), &len);
  std::string closed_addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  closed.reset();

  auto srv = DnsServer::create(nullptr, {closed_addr, silent.address(), good.address()}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  uint16_t port = *(*srv)->port("c1");
  auto t0 = std::chrono::steady_clock::now();
  Pkt r = ask(port, make_query("x.btdn", LDNS_RR_TYPE_A), false);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.9.9"});
  EXPECT_EQ(silent.udp_queries(), 1);
  EXPECT_GE(took, std::chrono::milliseconds(250));  // waited for the silent one
  // TCP too.
  r = ask(port, make_query("y.btdn", LDNS_RR_TYPE_A), true);
  ASSERT_TRUE(r);
  EXPECT_EQ(a_records(r.get()), std::vector<std::string>{"10.203.9.9"});

  // Only silent servers: SERVFAIL after each timed out.
  ASSERT_TRUE((*srv)->add_container("c2", "", {silent.address(), silent.address()}));
  t0 = std::chrono::steady_clock::now();
  r = ask(*(*srv)->port("c2"), make_query("z.btdn", LDNS_RR_TYPE_A, 0x7777), false);
  took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(ldns_pkt_id(r.get()), 0x7777);
  EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
  EXPECT_GE(took, std::chrono::milliseconds(550));
  EXPECT_GE((*srv)->stats().servfail, 1u);
}

TEST(DnsServer, RemoveContainerClosesItsSockets) {
  auto srv = DnsServer::create(web_for("c1"), {}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  uint16_t port = *(*srv)->port("c1");
  ASSERT_TRUE(ask(port, make_query("web", LDNS_RR_TYPE_A), false));
  (*srv)->remove_container("c1");
  EXPECT_FALSE((*srv)->port("c1"));
  // TCP: refused. UDP: no answer (ECONNREFUSED from the ICMP).
  EXPECT_FALSE(ask(port, make_query("web", LDNS_RR_TYPE_A), true));
  EXPECT_FALSE(ask(port, make_query("web", LDNS_RR_TYPE_A), false, 300));
  (*srv)->remove_container("c1");        // again: ignored
  (*srv)->remove_container("unknown");   // ignored
  ASSERT_TRUE((*srv)->add_container("c1", ""));  // and back
  EXPECT_TRUE(ask(*(*srv)->port("c1"), make_query("web", LDNS_RR_TYPE_A), false));
}

TEST(DnsServer, BadArguments) {
  EXPECT_FALSE(DnsServer::create(nullptr, {"not-an-address"}, test_options()));
  EXPECT_FALSE(DnsServer::create(nullptr, {"1.2.3.4:99999"}, test_options()));
  EXPECT_TRUE(DnsServer::create(nullptr, {"192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "2001:db8::2"},
                                test_options()));
  auto srv = DnsServer::create(nullptr, {}, test_options());
  ASSERT_TRUE(srv);
  EXPECT_FALSE((*srv)->add_container("", ""));
  EXPECT_EQ((*srv)->add_container("c", "/nonexistent/btdn-netns").error().code, Errc::NotFound);
}

// Throughput of local answers over UDP, one client, one query in flight.
TEST(DnsServer, QueriesPerSecond) {
  auto srv = DnsServer::create(web_for("c1"), {}, test_options());
  ASSERT_TRUE(srv);
  ASSERT_TRUE((*srv)->add_container("c1", ""));
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  timeval tv{3, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(*(*srv)->port("c1"));
  ASSERT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  auto q = make_query("web", LDNS_RR_TYPE_A);
  constexpr int kQueries = 20000;
  uint8_t buf[512];
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kQueries; ++i) {
    ASSERT_GT(::send(s.get(), q.data(), q.size(), 0), 0);
    ASSERT_GT(::recv(s.get(), buf, sizeof(buf), 0), 0);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ perf     ] %d local UDP queries in %.3f s: %.0f queries/s\n", kQueries, secs, kQueries / secs);
}

}  // namespace
}  // namespace berth::net
