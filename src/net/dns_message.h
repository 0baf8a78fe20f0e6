// DNS messages of the embedded resolver (pure: no sockets), built and parsed
// with ldns. DnsServer feeds every query through answer_query(); the unit
// tests drive it directly.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace berth::net::dns {

// Addresses for a name (lower case, no trailing dot); nullopt: not one of
// ours, forward it. IPv4 entries answer A, IPv6 entries answer AAAA.
using NameLookup = std::function<std::optional<std::vector<std::string>>(const std::string& qname)>;

inline constexpr uint32_t kAnswerTtl = 600;  // Docker's respTTL
inline constexpr size_t kMaxUdpDefault = 512;

struct Decision {
  enum class Kind {
    Reply,    // send `reply` to the client
    Forward,  // relay the query to the upstream servers
    Drop,     // not a query (a response, or too short to answer)
  };
  Kind kind = Kind::Drop;
  std::vector<uint8_t> reply;
  std::string qname;  // normalized, for logs
};

// Lower case, trailing dot removed ("Web.Net." -> "web.net"; "." -> "").
std::string normalize_name(std::string_view name);

// Decides what to do with one query. `max_size` is the largest reply the
// transport takes (UDP: 512, or the query's EDNS size; TCP: 65535): local
// answers beyond it are truncated and flagged TC.
Decision answer_query(std::span<const uint8_t> query, const NameLookup& lookup, bool tcp);

// SERVFAIL (or another rcode) for a query, with its id and question.
std::vector<uint8_t> error_reply(std::span<const uint8_t> query, uint8_t rcode);

// Checks that `response` answers `query` (same id, QR set, same question,
// case-insensitive) before it is relayed.
bool response_matches(std::span<const uint8_t> query, std::span<const uint8_t> response);

}  // namespace berth::net::dns
