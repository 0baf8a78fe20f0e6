#include "registry/hosts_config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <tuple>

#include <toml++/toml.h>

#include "base/strings.h"

namespace berth::registry {
namespace {

// toml++ describes the document in its own words; berth names the file, the
// line and what is wrong in its own.
struct Context {
  std::string file;  // DIR/hosts.toml
  std::string where(const toml::node& n) const {
    const auto& b = n.source().begin;
    return file + (b.line ? " line " + std::to_string(b.line) : std::string()) + ": ";
  }
};

bool tchar(char c) {  // RFC 9110 token characters (header names)
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// HOST, HOST:PORT, [V6] or [V6]:PORT.
bool valid_authority(std::string_view a) {
  if (a.empty()) return false;
  std::string_view name = a, port;
  if (a.front() == '[') {
    auto end = a.find(']');
    if (end == std::string_view::npos || end == 1) return false;
    for (char c : a.substr(1, end - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    if (end + 1 == a.size()) return true;
    if (a[end + 1] != ':') return false;
    port = a.substr(end + 2);
    name = {};
  } else if (auto colon = a.rfind(':'); colon != std::string_view::npos) {
    name = a.substr(0, colon);
    port = a.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (a.front() != '[') {
    if (name.empty()) return false;
    for (char c : name)
      if (!host_char(c)) return false;
  }
  if (!port.empty() || a.back() == ':') {
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return false;
  }
  return true;
}

// path.Clean's meaning, for an absolute path: no empty, "." or ".." segments.
std::string clean_path(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (at <= p.size()) {
    size_t slash = p.find('/', at);
    auto seg = p.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  std::string out;
  for (auto s : parts) (out += "/") += s;
  return out;
}

struct Url {
  std::string scheme, host, path;
};

// http(s)://HOST[:PORT][/PATH]; a URL without a scheme is https, as containerd takes it.
Result<Url> parse_url(std::string_view raw) {
  std::string text(raw);
  if (text.find("://") == std::string::npos) text = "https://" + text;
  Url u;
  auto sep = text.find("://");
  u.scheme = ascii_lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https")
    return fail(Errc::InvalidArgument, "\"" + std::string(raw) + "\" has the scheme \"" + u.scheme + "\": only http and https");
  std::string_view rest = std::string_view(text).substr(sep + 3);
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f)
      return fail(Errc::InvalidArgument, "\"" + std::string(raw) + "\" has a space or a character that is not ASCII");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail(Errc::InvalidArgument, "\"" + std::string(raw) + "\" has a query or fragment");
  if (rest.find('@') != std::string_view::npos)
    return fail(Errc::InvalidArgument, "\"" + std::string(raw) + "\" has credentials in it");
  auto slash = rest.find('/');
  u.host = std::string(rest.substr(0, slash));
  if (!valid_authority(u.host))
    return fail(Errc::InvalidArgument, "\"" + std::string(raw) + "\" does not name a host (HOST or HOST:PORT)");
  if (slash != std::string_view::npos) u.path = clean_path(rest.substr(slash));
  return u;
}

// The API root: "/v2" is added unless the path ends in it or override_path says it is the root.
std::string api_root(std::string path, bool override_path) {
  if (override_path) return path;
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, "/v2") == 0) return path;
  return path + "/v2";
}

std::string absolute(const std::string& p, const std::string& dir) {
  return !p.empty() && p.front() == '/' ? p : dir + "/" + p;
}

Result<std::string> path_string(const toml::node& n, const Context& cx, const std::string& what) {
  auto s = n.value<std::string>();
  if (!s || s->empty() || s->find('\0') != std::string::npos)
    return fail(Errc::InvalidArgument, cx.where(n) + what + " must be a file path");
  return *s;
}

// "1s", "500ms", "1m30s": Go's durations (without a sign), to milliseconds.
Result<long> parse_duration(std::string_view s) {
  if (s.empty()) return fail(Errc::InvalidArgument, "an empty duration");
  if (s == "0") return 0L;
  double total_ms = 0;
  size_t at = 0;
  while (at < s.size()) {
    size_t start = at;
    while (at < s.size() && (std::isdigit(static_cast<unsigned char>(s[at])) || s[at] == '.')) ++at;
    std::string number(s.substr(start, at - start));
    if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1 || number.size() > 18)
      return fail(Errc::InvalidArgument, "\"" + std::string(s) + "\" is not a duration (e.g. \"1s\", \"500ms\")");
    size_t ustart = at;
    while (at < s.size() && !std::isdigit(static_cast<unsigned char>(s[at])) && s[at] != '.') ++at;
    std::string_view unit = s.substr(ustart, at - ustart);
    double scale = unit == "ns" ? 1e-6 : unit == "us" || unit == "\xc2\xb5s" ? 1e-3 : unit == "ms" ? 1 : unit == "s" ? 1e3
                 : unit == "m" ? 60e3 : unit == "h" ? 3600e3 : -1;
    if (scale < 0)
      return fail(Errc::InvalidArgument, "\"" + std::string(s) + "\" is not a duration (units: ns, us, ms, s, m, h)");
    total_ms += std::stod(number) * scale;
  }
  if (!(total_ms <= 24 * 3600e3)) return fail(Errc::InvalidArgument, "\"" + std::string(s) + "\" is longer than a day");
  return static_cast<long>(std::ceil(total_ms));
}

// The settings a [host."URL"] table and the root level share.
Result<void> read_settings(const toml::table& t, const Context& cx, const std::string& dir, HostEntry& e,
                           bool& override_path) {
  override_path = false;
  if (const auto* n = t.get("override_path")) {
    auto b = n->value<bool>();
    if (!n->is_boolean() || !b) return fail(Errc::InvalidArgument, cx.where(*n) + "override_path must be true or false");
    override_path = *b;
  }
  if (const auto* n = t.get("capabilities")) {
    const auto* a = n->as_array();
    if (!a) return fail(Errc::InvalidArgument, cx.where(*n) + "capabilities must be a list of \"pull\", \"resolve\", \"push\"");
    unsigned caps = 0;
    for (const auto& item : *a) {
      auto s = item.value<std::string>();
      if (!item.is_string() || !s)
        return fail(Errc::InvalidArgument, cx.where(item) + "capabilities must be a list of \"pull\", \"resolve\", \"push\"");
      std::string c = ascii_lower(*s);
      if (c == "pull") caps |= kCapPull;
      else if (c == "resolve") caps |= kCapResolve;
      else if (c == "push") caps |= kCapPush;
      else return fail(Errc::InvalidArgument, cx.where(item) + "unknown capability \"" + *s + "\" (pull, resolve, push)");
    }
    e.capabilities = caps ? caps : kCapAll;  // an empty list is containerd's "all"
  }
  if (const auto* n = t.get("skip_verify")) {
    if (!n->is_boolean()) return fail(Errc::InvalidArgument, cx.where(*n) + "skip_verify must be true or false");
    e.skip_verify = *n->value<bool>();
  }
  if (const auto* n = t.get("ca")) {
    if (const auto* a = n->as_array()) {
      for (const auto& item : *a) e.ca_files.push_back(absolute(TRY(path_string(item, cx, "each ca")), dir));
    } else {
      e.ca_files.push_back(absolute(TRY(path_string(*n, cx, "ca")), dir));
    }
  }
  if (const auto* n = t.get("client")) {
    const std::string what = "client (a path, a list of paths or of [cert, key] pairs)";
    if (const auto* a = n->as_array()) {
      for (const auto& item : *a) {
        if (const auto* pair = item.as_array()) {
          if (pair->size() != 2) return fail(Errc::InvalidArgument, cx.where(item) + "each pair of " + what + " must have 2 paths");
          std::string cert = absolute(TRY(path_string(*pair->get(0), cx, what)), dir);
          auto key = pair->get(1)->value<std::string>();
          if (!pair->get(1)->is_string() || !key || key->find('\0') != std::string::npos)
            return fail(Errc::InvalidArgument, cx.where(item) + what + ": the key must be a path (or \"\")");
          e.client_pairs.emplace_back(cert, key->empty() ? std::string() : absolute(*key, dir));
        } else {
          e.client_pairs.emplace_back(absolute(TRY(path_string(item, cx, what)), dir), "");
        }
      }
    } else {
      e.client_pairs.emplace_back(absolute(TRY(path_string(*n, cx, what)), dir), "");
    }
  }
  if (const auto* n = t.get("header")) {
    const auto* h = n->as_table();
    if (!h) return fail(Errc::InvalidArgument, cx.where(*n) + "header must be a table of names and values");
    for (const auto& [key, value] : *h) {
      std::string name(key.str());
      if (name.empty() || !std::all_of(name.begin(), name.end(), tchar))
        return fail(Errc::InvalidArgument, cx.where(value) + "\"" + name + "\" is not a header name");
      auto add = [&](const toml::node& v) -> Result<void> {
        auto s = v.value<std::string>();
        if (!v.is_string() || !s)
          return fail(Errc::InvalidArgument, cx.where(v) + "header " + name + " must be a string or a list of strings");
        for (char c : *s)
          if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f)
            return fail(Errc::InvalidArgument, cx.where(v) + "header " + name + " has a control character");
        e.headers.push_back(name + ": " + *s);
        return {};
      };
      if (const auto* a = value.as_array()) {
        for (const auto& item : *a) TRYV(add(item));
      } else {
        TRYV(add(value));
      }
    }
  }
  if (const auto* n = t.get("dial_timeout")) {
    auto s = n->value<std::string>();
    if (!n->is_string() || !s) return fail(Errc::InvalidArgument, cx.where(*n) + "dial_timeout must be a duration such as \"1s\"");
    auto ms = parse_duration(*s);
    if (!ms) return fail(Errc::InvalidArgument, cx.where(*n) + "dial_timeout: " + ms.error().message);
    e.dial_timeout_ms = *ms;
  }
  if (const auto* n = t.get("proxy"))
    return fail(Errc::Unsupported, cx.where(*n) + "proxy is not supported by berth (berthd honours HTTPS_PROXY and NO_PROXY)");
  return {};
}

Result<HostEntry> read_host(std::string_view url, const toml::table& t, const Context& cx, const std::string& dir) {
  HostEntry e;
  bool override_path = false;
  TRYV(read_settings(t, cx, dir, e, override_path));
  auto u = parse_url(url);
  if (!u) return fail(Errc::InvalidArgument, cx.where(t) + "host " + u.error().message);
  e.scheme = u->scheme;
  e.host = u->host;
  e.path = api_root(u->path, override_path);
  return e;
}

}  // namespace

Result<HostsFile> parse_hosts_toml(std::string_view text, const std::string& dir) {
  Context cx{dir + "/hosts.toml"};
  toml::table doc;
  try {
    doc = toml::parse(text, cx.file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return fail(Errc::InvalidArgument, cx.file + " line " + std::to_string(b.line) + ", column " + std::to_string(b.column) +
                                           ": not valid TOML");
  }
  HostsFile out;
  if (const auto* hosts = doc.get("host")) {
    const auto* table = hosts->as_table();
    if (!table) return fail(Errc::InvalidArgument, cx.where(*hosts) + "host must be tables: [host.\"https://mirror.example\"]");
    // The file's order is the order to try them in (a TOML table has none of its own).
    std::vector<std::pair<const toml::key*, const toml::node*>> listed;
    for (const auto& [key, node] : *table) listed.emplace_back(&key, &node);
    std::sort(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
      const auto &x = a.first->source().begin, &y = b.first->source().begin;
      return std::tie(x.line, x.column) < std::tie(y.line, y.column);
    });
    for (const auto& [key, node] : listed) {
      const auto* t = node->as_table();
      if (!t)
        return fail(Errc::InvalidArgument, cx.where(*node) + "host \"" + std::string(key->str()) +
                                               "\" must be a table of settings ([host.\"URL\"])");
      out.hosts.push_back(TRY(read_host(key->str(), *t, cx, dir)));
    }
  }
  bool override_path = false;
  TRYV(read_settings(doc, cx, dir, out.server, override_path));
  if (const auto* s = doc.get("server")) {
    auto url = s->value<std::string>();
    if (!s->is_string() || !url) return fail(Errc::InvalidArgument, cx.where(*s) + "server must be a URL string");
    if (!url->empty()) {
      auto u = parse_url(*url);
      if (!u) return fail(Errc::InvalidArgument, cx.where(*s) + "server " + u.error().message);
      out.server.scheme = u->scheme;
      out.server.host = u->host;
      out.server.path = api_root(u->path, override_path);
    }
  }
  if (out.server.host.empty()) {
    // No server: the registry's own endpoints, which may do everything (containerd's default).
    out.server.capabilities = kCapAll;
    out.server.path = "/v2";
  }
  return out;
}

Result<std::string> normalize_mirror(std::string_view url) {
  std::string text(url);
  auto sep = text.find("://");
  std::string scheme = sep == std::string::npos ? "" : ascii_lower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https")
    return fail(Errc::InvalidArgument, "invalid mirror: unsupported scheme \"" + scheme + "\" in \"" + text + "\"");
  std::string_view rest = std::string_view(text).substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return fail(Errc::InvalidArgument, "invalid mirror: query or fragment at end of the URI \"" + text + "\"");
  if (rest.substr(0, rest.find('/')).find('@') != std::string_view::npos)
    return fail(Errc::InvalidArgument, "invalid mirror: username/password not allowed in URI \"" + text + "\"");
  auto u = parse_url(text);
  if (!u) return fail(Errc::InvalidArgument, "invalid mirror: " + u.error().message);
  return u->scheme + "://" + u->host + u->path + "/";
}

Result<HostEntry> mirror_host(std::string_view url) {
  std::string normal = TRY(normalize_mirror(url));
  auto u = TRY(parse_url(normal));
  HostEntry e;
  e.scheme = u.scheme;
  e.host = u.host;
  e.path = api_root(u.path, false);
  e.capabilities = kCapPull | kCapResolve;
  return e;
}

std::vector<std::string> host_dir_names(const std::string& registry_host) {
  auto colon = registry_host.rfind(':');
  bool has_port = colon != std::string::npos && colon > 0 && registry_host.back() != ']';
  if (!has_port) return {registry_host};
  return {registry_host.substr(0, colon) + "_" + registry_host.substr(colon + 1) + "_", registry_host};
}

}  // namespace berth::registry
