#include "net/dns_message.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace berth::net::dns {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Pkt = std::unique_ptr<ldns_pkt, PktFree>;

Pkt parse(std::span<const uint8_t> wire) {
  ldns_pkt* p = nullptr;
  if (ldns_wire2pkt(&p, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
  return Pkt(p);
}

std::vector<uint8_t> to_wire(const ldns_pkt* p) {
  uint8_t* buf = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&buf, p, &size) != LDNS_STATUS_OK) return {};
  std::vector<uint8_t> out(buf, buf + size);
  std::free(buf);  // LDNS_FREE
  return out;
}

const ldns_rr* only_question(const ldns_pkt* p) {
  if (ldns_pkt_qdcount(p) != 1) return nullptr;
  const ldns_rr_list* qs = ldns_pkt_question(p);
  if (!qs || ldns_rr_list_rr_count(qs) != 1) return nullptr;
  return ldns_rr_list_rr(qs, 0);
}

// A reply header for `query`: id, opcode, RD and CD copied; RA set (we recurse
// through the upstream servers); the question copied when there is one.
Pkt reply_to(const ldns_pkt* query, uint8_t rcode) {
  Pkt r(ldns_pkt_new());
  if (!r) return nullptr;
  ldns_pkt_set_id(r.get(), ldns_pkt_id(query));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_opcode(r.get(), ldns_pkt_get_opcode(query));
  ldns_pkt_set_rd(r.get(), ldns_pkt_rd(query));
  ldns_pkt_set_cd(r.get(), ldns_pkt_cd(query));
  ldns_pkt_set_ra(r.get(), true);
  ldns_pkt_set_rcode(r.get(), rcode);
  if (const ldns_rr* q = only_question(query))
    ldns_pkt_push_rr(r.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(q));
  // RFC 6891 6.1.1: a responder includes OPT when the request had one.
  if (ldns_pkt_edns(query)) ldns_pkt_set_edns_udp_size(r.get(), 1232);
  return r;
}

// Header-only reply for a query ldns could not parse.
std::vector<uint8_t> header_reply(std::span<const uint8_t> query, uint8_t rcode) {
  Pkt r(ldns_pkt_new());
  if (!r) return {};
  ldns_pkt_set_id(r.get(), LDNS_ID_WIRE(query.data()));
  ldns_pkt_set_qr(r.get(), true);
  ldns_pkt_set_opcode(r.get(), static_cast<ldns_pkt_opcode>(LDNS_OPCODE_WIRE(query.data())));
  ldns_pkt_set_rd(r.get(), LDNS_RD_WIRE(query.data()) != 0);
  ldns_pkt_set_ra(r.get(), true);
  ldns_pkt_set_rcode(r.get(), rcode);
  return to_wire(r.get());
}

std::string owner_name(const ldns_rr* q) {
  char* s = ldns_rdf2str(ldns_rr_owner(q));
  if (!s) return {};
  std::string name = normalize_name(s);
  std::free(s);
  return name;
}

// One A or AAAA record; nullptr when `addr` is not of that family.
ldns_rr* address_rr(const ldns_rr* question, ldns_rr_type type, const std::string& addr) {
  ldns_rdf* rdf = nullptr;
  ldns_status st = type == LDNS_RR_TYPE_A ? ldns_str2rdf_a(&rdf, addr.c_str())
                                          : ldns_str2rdf_aaaa(&rdf, addr.c_str());
  if (st != LDNS_STATUS_OK || !rdf) return nullptr;
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_rdf_clone(ldns_rr_owner(question)));
  ldns_rr_set_type(rr, type);
  ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
  ldns_rr_set_ttl(rr, kAnswerTtl);
  ldns_rr_push_rdf(rr, rdf);
  return rr;
}

}  // namespace

std::string normalize_name(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Decision answer_query(std::span<const uint8_t> query, const NameLookup& lookup, bool tcp) {
  Decision d;
  if (query.size() < LDNS_HEADER_SIZE || LDNS_QR_WIRE(query.data())) return d;  // Drop
  Pkt q = parse(query);
  if (!q) {
    d.kind = Decision::Kind::Reply;
    d.reply = header_reply(query, LDNS_RCODE_FORMERR);
    return d;
  }
  if (ldns_pkt_get_opcode(q.get()) != LDNS_PACKET_QUERY) {
    d.kind = Decision::Kind::Reply;
    d.reply = to_wire(reply_to(q.get(), LDNS_RCODE_NOTIMPL).get());
    return d;
  }
  const ldns_rr* question = only_question(q.get());
  if (!question) {
    d.kind = Decision::Kind::Reply;
    d.reply = to_wire(reply_to(q.get(), LDNS_RCODE_FORMERR).get());
    return d;
  }
  d.qname = owner_name(question);
  ldns_rr_type type = ldns_rr_get_type(question);
  d.kind = Decision::Kind::Forward;
  if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN) return d;
  if (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) return d;
  std::optional<std::vector<std::string>> addrs = lookup ? lookup(d.qname) : std::nullopt;
  if (!addrs) return d;

  // One of ours: answer it. AAAA of a name with IPv4 addresses only is an
  // empty NOERROR (the name exists), as Docker answers.
  Pkt r = reply_to(q.get(), LDNS_RCODE_NOERROR);
  ldns_pkt_set_aa(r.get(), true);
  for (const std::string& a : *addrs) {
    if (ldns_rr* rr = address_rr(question, type, a)) ldns_pkt_push_rr(r.get(), LDNS_SECTION_ANSWER, rr);
  }
  size_t max_size = 65535;
  if (!tcp) {
    max_size = kMaxUdpDefault;
    if (ldns_pkt_edns(q.get())) max_size = std::max<size_t>(max_size, std::min<uint16_t>(ldns_pkt_edns_udp_size(q.get()), 1232));
  }
  std::vector<uint8_t> wire = to_wire(r.get());
  while (wire.size() > max_size && ldns_pkt_ancount(r.get()) > 0) {
    // Too many addresses for the datagram: drop the tail, flag TC so the
    // client may retry over TCP.
    ldns_rr_free(ldns_rr_list_pop_rr(ldns_pkt_answer(r.get())));
    ldns_pkt_set_ancount(r.get(), ldns_pkt_ancount(r.get()) - 1);
    ldns_pkt_set_tc(r.get(), true);
    wire = to_wire(r.get());
  }
  d.kind = Decision::Kind::Reply;
  d.reply = std::move(wire);
  return d;
}

std::vector<uint8_t> error_reply(std::span<const uint8_t> query, uint8_t rcode) {
  if (query.size() < LDNS_HEADER_SIZE) return {};
  Pkt q = parse(query);
  if (!q) return header_reply(query, rcode);
  return to_wire(reply_to(q.get(), rcode).get());
}

bool response_matches(std::span<const uint8_t> query, std::span<const uint8_t> response) {
  if (query.size() < LDNS_HEADER_SIZE || response.size() < LDNS_HEADER_SIZE) return false;
  if (LDNS_ID_WIRE(query.data()) != LDNS_ID_WIRE(response.data())) return false;
  if (!LDNS_QR_WIRE(response.data())) return false;
  Pkt q = parse(query);
  Pkt r = parse(response);
  if (!q || !r) return false;
  const ldns_rr* qq = only_question(q.get());
  const ldns_rr* rq = only_question(r.get());
  if (!qq) return false;
  // An error answer may come without the question (e.g. FORMERR, NOTIMP).
  if (!rq) return ldns_pkt_qdcount(r.get()) == 0 && ldns_pkt_get_rcode(r.get()) != LDNS_RCODE_NOERROR;
  return ldns_rr_get_type(qq) == ldns_rr_get_type(rq) && ldns_rr_get_class(qq) == ldns_rr_get_class(rq) &&
         ldns_dname_compare(ldns_rr_owner(qq), ldns_rr_owner(rq)) == 0;
}

}  // namespace berth::net::dns
