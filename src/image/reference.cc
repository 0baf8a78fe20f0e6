#include "image/reference.h"

#include <algorithm>
#include <cctype>

namespace berth::image {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

std::unexpected<Error> invalid(std::string_view input, const std::string& why) {
  return fail(Errc::InvalidArgument,
              "invalid reference format '" + std::string(input) + "': " + why);
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  for (char ch : c)
    if (!is_alnum(ch) && ch != '-') return false;
  return true;
}

bool valid_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {  // IPv6 literal
    for (char c : host.substr(1, host.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return false;
    return true;
  }
  size_t start = 0;
  while (true) {  // IPv4 addresses match this grammar too
    size_t dot = host.find('.', start);
    if (!valid_domain_component(host.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Docker's splitDockerDomain: is the first component a registry host?
bool looks_like_domain(std::string_view first) {
  if (first == "localhost") return true;
  if (first.find_first_of(".:") != std::string_view::npos) return true;
  for (char c : first)
    if (c >= 'A' && c <= 'Z') return true;
  return false;
}

}  // namespace

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || !is_word(tag.front())) return false;
  for (char c : tag)
    if (!is_word(c) && c != '.' && c != '-') return false;
  return true;
}

bool valid_path_component(std::string_view c) {
  // Alternating runs: alnum, then one separator ("." "_" "__" or "-"+), then alnum...
  size_t i = 0, n = c.size();
  while (true) {
    size_t run = i;
    while (i < n && is_lower_alnum(c[i])) ++i;
    if (i == run) return false;  // empty, or starts/ends with a separator, or a bad byte
    if (i == n) return true;
    size_t sep = i;
    if (c[i] == '-') {
      while (i < n && c[i] == '-') ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < n && c[i] == '_') ++i;
    } else if (c[i] == '.') {
      ++i;
    } else {
      return false;
    }
    if (i == sep) return false;
  }
}

bool valid_domain(std::string_view domain) {
  // The port is after the last ':' unless that ':' is inside an IPv6 literal.
  size_t colon = domain.rfind(':');
  size_t bracket = domain.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port)
      if (!is_digit(c)) return false;
    domain = domain.substr(0, colon);
  }
  return valid_host(domain);
}

bool is_full_hex_id(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!is_lower_hex(c)) return false;
  return true;
}

namespace {

// Fills the parts (the members of a Reference) or says which rule `input` breaks.
Result<void> parse_impl(std::string_view input, bool default_tag, std::string& domain,
                        std::string& path, std::string& tag, std::string& digest) {
  if (input.empty()) return invalid(input, "empty reference");
  if (is_full_hex_id(input))
    return invalid(input, "a repository name cannot be a 64-character hexadecimal string (an image ID)");

  std::string_view rest = input;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    std::string_view d = rest.substr(at + 1);
    rest = rest.substr(0, at);
    size_t colon = d.find(':');
    std::string_view alg = colon == std::string_view::npos ? d : d.substr(0, colon);
    std::string_view hex = colon == std::string_view::npos ? "" : d.substr(colon + 1);
    if (alg != "sha256")
      return invalid(input, "digest '" + std::string(d) + "' must be sha256:<64 lowercase hex>");
    bool ok = hex.size() == 64;
    for (char c : hex) ok = ok && is_lower_hex(c);
    if (!ok) return invalid(input, "digest '" + std::string(d) + "' must be sha256:<64 lowercase hex>");
    digest = std::string(d);
  }
  // A ':' after the last '/' starts the tag; earlier ones belong to a registry port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view t = rest.substr(colon + 1);
    if (!valid_tag(t))
      return invalid(input, "tag '" + std::string(t) +
                                "' must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    tag = std::string(t);
    rest = rest.substr(0, colon);
  }

  std::string_view remainder = rest;
  size_t first = rest.find('/');
  if (first != std::string_view::npos && looks_like_domain(rest.substr(0, first))) {
    domain = std::string(rest.substr(0, first));
    remainder = rest.substr(first + 1);
    if (!valid_domain(domain))
      return invalid(input, "registry '" + domain + "' must be host[:port] (host: DNS name, IPv4 or [IPv6])");
  } else {
    domain = std::string(kDefaultDomain);
  }
  if (domain == "index.docker.io") domain = std::string(kDefaultDomain);
  if (remainder.empty()) return invalid(input, "repository name is empty");
  for (char c : remainder)
    if (c >= 'A' && c <= 'Z')
      return invalid(input, "repository name '" + std::string(remainder) + "' must be lowercase");

  size_t start = 0;
  while (true) {
    size_t s = remainder.find('/', start);
    std::string_view comp = remainder.substr(start, s - start);
    if (!valid_path_component(comp))
      return invalid(input, "path component '" + std::string(comp) +
                                "' must match [a-z0-9]+ joined by '.', '_', '__' or '-'");
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  path = std::string(remainder);
  if (domain == kDefaultDomain && path.find('/') == std::string::npos)
    path = std::string(kOfficialRepoPrefix) + path;

  if (domain.size() + 1 + path.size() > kNameTotalLengthMax)
    return invalid(input, "repository name must not be more than " +
                              std::to_string(kNameTotalLengthMax) + " characters");
  if (default_tag && tag.empty() && digest.empty()) tag = std::string(kDefaultTag);
  return {};
}

}  // namespace

Result<Reference> Reference::parse(std::string_view input) {
  Reference r;
  TRYV(parse_impl(input, true, r.domain_, r.path_, r.tag_, r.digest_));
  return r;
}

Result<Reference> Reference::parse_named(std::string_view input) {
  Reference r;
  TRYV(parse_impl(input, false, r.domain_, r.path_, r.tag_, r.digest_));
  return r;
}

std::string Reference::str() const {
  std::string s = name();
  if (has_tag()) s += ":" + tag_;
  if (has_digest()) s += "@" + digest_;
  return s;
}

std::string Reference::familiar_name() const {
  if (domain_ != kDefaultDomain) return name();
  std::string_view p = path_;
  // A first component that reads as a registry ("docker.io/a.b/c" -> "a.b/c")
  // keeps the domain: the short form must name the same repository.
  if (size_t slash = p.find('/'); slash != std::string_view::npos && looks_like_domain(p.substr(0, slash)))
    return name();
  // "library/busybox" is shown as "busybox", but "library/a/b" keeps its prefix,
  // and so does a name that alone would read as an image ID.
  std::string_view official = p.substr(std::min(p.size(), kOfficialRepoPrefix.size()));
  if (p.starts_with(kOfficialRepoPrefix) && official.find('/') == std::string_view::npos && !is_full_hex_id(official))
    p = official;
  return std::string(p);
}

std::string Reference::familiar() const {
  std::string s = familiar_name();
  if (has_tag()) s += ":" + tag_;
  if (has_digest()) s += "@" + digest_;
  return s;
}

Reference Reference::with_tag(std::string_view tag) const {
  Reference r = *this;
  r.tag_ = std::string(tag);
  return r;
}

Reference Reference::without_digest() const {
  Reference r = *this;
  r.digest_.clear();
  return r;
}

}  // namespace berth::image
