#include "registry/client.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
#include "base/strings.h"
#include "image/media_types.h"
#include "net/ipam.h"
#include "registry/challenge.h"
#include "registry/token.h"

namespace berth::registry {
namespace {

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string host_without_port(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    auto end = host.find(']');
    return end == std::string::npos ? host : host.substr(1, end - 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

// The address in a CIDR (net/ipam's parsers: a host name is in none).
bool in_cidr(const std::string& ip, std::string_view cidr) {
  auto addr = net::parse_ipv4(ip);
  auto range = net::parse_cidr(cidr);
  return addr && range && range->contains(*addr);
}

// Docker's default: 127.0.0.0/8 (and the names for it) is insecure.
bool is_insecure(const std::string& host, const EndpointPolicy& policy) {
  std::string name = host_without_port(host);
  if (policy.loopback_insecure && (name == "localhost" || name == "::1" || in_cidr(name, "127.0.0.0/8"))) return true;
  for (const auto& entry : policy.insecure_registries) {
    if (entry == host || entry == name) return true;
    if (entry.find('/') != std::string::npos && in_cidr(name, entry)) return true;
  }
  return false;
}

// certs.d/HOST/: every *.crt is a CA (as Docker reads them), a client NAME.cert with NAME.key.
void read_certs_dir(const std::string& dir, TlsOptions& tls) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (n.size() > 4 && n.compare(n.size() - 4, 4, ".crt") == 0) tls.ca_files.push_back(dir + "/" + n);
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".cert") == 0 && tls.client_cert.empty()) {
      std::string key = dir + "/" + n.substr(0, n.size() - 5) + ".key";
      if (file_exists(key)) {
        tls.client_cert = dir + "/" + n;
        tls.client_key = key;
      }
    }
  }
}

std::string strip_params(const std::string& content_type) {
  auto semi = content_type.find(';');
  std::string t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Docker's words for a request refused even with a fresh token (or the
// credentials): the bearer challenge's error (RFC 6750: a token without the
// access asked, "denied"), else the registry's error body.
std::string refusal_text(const HttpResponse& r) {
  for (const auto& c : parse_challenges(r.headers_named("www-authenticate"))) {
    auto error = c.params.find("error");
    if (c.scheme != "bearer" || error == c.params.end()) continue;
    auto description = c.params.find("error_description");
    bool described = description != c.params.end() && !description->second.empty();
    if (error->second == "insufficient_scope")
      return "denied: " + (described ? description->second : std::string("requested access to the resource is denied"));
    if (error->second == "invalid_token")
      return "unauthorized: " + (described ? description->second : std::string("authentication required"));
  }
  std::string text = registry_error_text(r.body);
  return text.empty() ? "unauthorized: authentication required" : text;
}

// "host:5000/a/b" of "host:5000/a/b:tag" or "...@sha256:...", as Docker names a repository.
std::string repository_of(const std::string& display_ref) {
  std::string name = display_ref.substr(0, display_ref.find('@'));
  auto colon = name.rfind(':');
  if (colon != std::string::npos && name.find('/', colon) == std::string::npos) name.resize(colon);
  return name;
}

}  // namespace

Result<AuthConfig> decode_registry_auth(std::string_view header) {
  AuthConfig a;
  if (header.empty()) return a;
  auto text = base64::decode(header);
  if (!text) return fail(Errc::InvalidArgument, "X-Registry-Auth is not base64-encoded JSON");
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, "X-Registry-Auth is not a JSON object");
  a.username = json_string(j, "username");
  a.password = json_string(j, "password");
  a.identity_token = json_string(j, "identitytoken");
  a.registry_token = json_string(j, "registrytoken");
  if (a.username.empty() && a.password.empty()) {
    if (auto both = base64::decode(json_string(j, "auth")); both && !both->empty()) {
      auto colon = both->find(':');
      if (colon != std::string::npos) {
        a.username = both->substr(0, colon);
        a.password = both->substr(colon + 1);
      }
    }
  }
  return a;
}

std::string Endpoint::url(std::string_view api) const {
  std::string u = scheme + "://" + host + path + std::string(api);
  if (!ns.empty()) u += (api.find('?') == std::string_view::npos ? "?ns=" : "&ns=") + url_escape(ns);
  return u;
}

namespace {

// The certs.d directory of a host (DIR/HOST:PORT), the first that has a file.
TlsOptions certs_for(const std::string& host, const EndpointPolicy& policy) {
  TlsOptions tls;
  for (const auto& dir : policy.certs_dirs) {
    read_certs_dir(dir + "/" + host, tls);
    if (!tls.ca_files.empty() || !tls.client_cert.empty()) break;
  }
  return tls;
}

// Docker's endpoints for a registry (no hosts.toml server).
std::vector<Endpoint> default_endpoints(const std::string& domain, const EndpointPolicy& policy) {
  Endpoint e;
  e.host = domain == "docker.io" ? "registry-1.docker.io" : domain;
  e.tls = certs_for(domain, policy);
  if (is_insecure(domain, policy)) {
    Endpoint lax = e, plain = e;
    lax.scheme = "https";
    lax.tls.verify = false;
    plain.scheme = "http";
    plain.tls = {};
    return {lax, plain};
  }
  e.scheme = "https";
  return {e};
}

// containerd sends ?ns= to any host but the registry's own.
std::string ns_for(const std::string& host, const std::string& domain) {
  if (host == domain || (domain == "docker.io" && host == "registry-1.docker.io")) return "";
  return domain;
}

// hosts.toml's TLS and headers over an endpoint; certs.d's files stay unless the file names its own.
void apply_settings(const HostEntry& h, Endpoint& e) {
  if (h.skip_verify) e.tls.verify = !*h.skip_verify;
  if (!h.ca_files.empty()) e.tls.ca_files = h.ca_files;
  if (!h.client_pairs.empty()) {
    // One client certificate per connection with libcurl: the first pair.
    e.tls.client_cert = h.client_pairs.front().first;
    e.tls.client_key = h.client_pairs.front().second.empty() ? e.tls.client_cert : h.client_pairs.front().second;
  }
  e.headers.insert(e.headers.end(), h.headers.begin(), h.headers.end());
  if (h.dial_timeout_ms > 0) e.connect_timeout_ms = h.dial_timeout_ms;
}

Endpoint from_entry(const HostEntry& h, const std::string& domain, const EndpointPolicy& policy, bool upstream) {
  Endpoint e;
  e.scheme = h.scheme;
  e.host = h.host;
  e.path = h.path;
  e.capabilities = h.capabilities;
  e.ns = ns_for(h.host, domain);
  e.upstream = upstream;
  if (h.scheme == "https") e.tls = certs_for(h.host, policy);
  apply_settings(h, e);
  return e;
}

bool is_directory(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The hosts.toml for a registry: DIR/HOST_PORT_ or DIR/HOST:PORT in the first
// DIR that has one (a HOST directory without hosts.toml holds only
// certificates, and stops the search as in containerd), else DIR/_default.
Result<std::optional<HostsFile>> hosts_file_for(const std::string& domain, const std::vector<std::string>& dirs) {
  auto load = [](const std::string& dir) -> Result<std::optional<HostsFile>> {
    std::string file = dir + "/hosts.toml";
    if (!file_exists(file)) return std::optional<HostsFile>();
    auto text = read_file(file);
    if (!text) return fail(text.error().code, "reading " + file + ": " + text.error().message);
    if (text->size() > (1 << 20)) return fail(Errc::InvalidArgument, file + " is larger than 1 MiB");
    return std::optional<HostsFile>(TRY(parse_hosts_toml(*text, dir)));
  };
  for (const auto& root : dirs)
    for (const auto& name : host_dir_names(domain))
      if (is_directory(root + "/" + name)) return load(root + "/" + name);
  for (const auto& root : dirs)
    if (file_exists(root + "/_default/hosts.toml")) return load(root + "/_default");
  return std::optional<HostsFile>();
}

}  // namespace

Result<std::vector<Endpoint>> endpoints_for(const std::string& domain, const EndpointPolicy& policy) {
  std::vector<Endpoint> out;
  if (domain == "docker.io") {
    for (const auto& m : policy.mirrors) {
      auto h = TRY(mirror_host(m));
      Endpoint e = from_entry(h, domain, policy, false);
      if (e.scheme == "https" && is_insecure(e.host, policy)) e.tls.verify = false;  // dockerd's rule for mirrors
      out.push_back(std::move(e));
    }
  }
  auto file = TRY(hosts_file_for(domain, policy.hosts_dirs));
  if (!file) {
    auto d = default_endpoints(domain, policy);
    out.insert(out.end(), d.begin(), d.end());
    return out;
  }
  for (const auto& h : file->hosts) out.push_back(from_entry(h, domain, policy, false));
  if (!file->server.host.empty()) {
    out.push_back(from_entry(file->server, domain, policy, true));
  } else {
    for (auto e : default_endpoints(domain, policy)) {
      apply_settings(file->server, e);
      if (e.scheme == "http") e.tls = {};
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::string registry_error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    std::string code = e.is_object() ? json_string(e, "code") : "";
    std::string message = e.is_object() ? json_string(e, "message") : "";
    std::string words = code;
    words = ascii_lower(words);
    std::replace(words.begin(), words.end(), '_', ' ');
    if (!words.empty() && !message.empty()) return words + ": " + message;
    if (!message.empty()) return message;
    if (!words.empty()) return words;
  }
  std::string t = body.substr(0, 200);
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

RepositoryClient::RepositoryClient(Http& http, std::vector<Endpoint> endpoints, std::string domain, std::string path,
                                   AuthConfig auth, std::string actions)
    : http_(http),
      endpoints_(std::move(endpoints)),
      domain_(std::move(domain)),
      path_(std::move(path)),
      actions_(std::move(actions)),
      auth_(std::move(auth)) {}

std::string RepositoryClient::auth_header(const Endpoint& e) {
  std::lock_guard lk(mu_);
  auto it = authorization_.find(e.scheme + "://" + e.host);
  if (it != authorization_.end()) return it->second;
  return auth_.registry_token.empty() ? std::string() : "Authorization: Bearer " + auth_.registry_token;
}

std::vector<std::string> RepositoryClient::scopes() {
  std::lock_guard lk(mu_);
  std::vector<std::string> all{"repository:" + path_ + ":" + actions_};
  all.insert(all.end(), extra_scopes_.begin(), extra_scopes_.end());
  return all;
}

namespace {

std::string capability_words(unsigned need) {
  if (need & kCapPush) return "push";
  if (need & kCapResolve) return "resolve tags";
  return "pull";
}

}  // namespace

Result<HttpResponse> RepositoryClient::call(unsigned need, std::string_view api, HttpRequest request,
                                            const BodySink* sink, bool next_on_not_found) {
  // The endpoints that may do this, those that answered before first.
  std::vector<size_t> order, later;
  {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < endpoints_.size(); ++i)
      if ((endpoints_[i].capabilities & need) == need) (unreachable_.count(i) ? later : order).push_back(i);
  }
  order.insert(order.end(), later.begin(), later.end());
  if (order.empty())
    return fail(Errc::Unsupported, "no host configured for " + domain_ + " may " + capability_words(need) +
                                       " (see the capabilities in its hosts.toml)");
  // Bytes given to the sink cannot be taken back: once some arrived, a failure is the caller's to retry.
  bool delivered = false;
  BodySink counting;
  if (sink) counting = [&](std::string_view chunk) {
    delivered = true;
    return (*sink)(chunk);
  };
  std::optional<Error> first;
  std::optional<HttpResponse> not_found;
  for (size_t k = 0; k < order.size(); ++k) {
    size_t i = order[k];
    auto r = call_on(endpoints_[i], api, request, sink ? &counting : nullptr);
    if (!r) {
      if (r.error().code != Errc::Unavailable || delivered) return r;
      {
        std::lock_guard lk(mu_);
        unreachable_.insert(i);
      }
      if (!first) first = r.error();
      continue;
    }
    {
      std::lock_guard lk(mu_);
      unreachable_.erase(i);
    }
    if (next_on_not_found && r->status == 404 && k + 1 < order.size()) {
      if (!not_found) not_found = std::move(*r);
      continue;  // a mirror without it: the next one, then the registry
    }
    return r;
  }
  if (not_found) return std::move(*not_found);  // what a registry said beats one that did not answer
  return std::unexpected(*first);
}

Result<HttpResponse> RepositoryClient::call_on(const Endpoint& e, std::string_view api, HttpRequest request,
                                               const BodySink* sink) {
  if (!api.empty()) {
    request.url = e.url(api);
  } else if (request.url.rfind("http://", 0) != 0 && request.url.rfind("https://", 0) != 0) {
    request.url = e.scheme + "://" + e.host + request.url;  // a Location relative to the host
  }
  request.tls = e.tls;
  if (e.connect_timeout_ms > 0) request.connect_timeout_ms = e.connect_timeout_ms;
  request.headers.insert(request.headers.end(), e.headers.begin(), e.headers.end());
  HttpRequest plain = request;
  std::string sent = auth_header(e);
  if (!sent.empty()) request.headers.push_back(sent);
  auto r = TRY(http_.send(request, sink));
  if (r.status != 401) return r;
  // Refused: no credentials yet, an expired token, or one without a scope asked
  // since. Unless another request got a new token meanwhile, get one (or give the
  // credentials), then send the request once more.
  if (auth_header(e) == sent) TRYV(authorize(r, e, plain));
  if (plain.body_source && (!plain.body_rewind || !plain.body_rewind()))
    return fail(Errc::PermissionDenied, go_method(plain.method) + " \"" + plain.url +
                                            "\": the registry refused the token while the body was sent");
  if (auto a = auth_header(e); !a.empty()) plain.headers.push_back(a);
  auto again = TRY(http_.send(plain, sink));
  if (again.status == 401) return fail(Errc::PermissionDenied, refusal_text(again));
  return again;
}

Result<void> RepositoryClient::authorize(const HttpResponse& unauthorized, const Endpoint& e, const HttpRequest& refused) {
  auto challenges = parse_challenges(unauthorized.headers_named("www-authenticate"));
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  if (bearer) {
    auto realm = bearer->params.find("realm");
    if (realm == bearer->params.end() || realm->second.empty())
      return fail(Errc::Unavailable, "the registry " + e.host + " asked for a bearer token but named no realm");
    TokenRequest t;
    t.realm = realm->second;
    if (auto s = bearer->params.find("service"); s != bearer->params.end()) t.service = s->second;
    t.scopes = scopes();
    t.tls = e.tls;
    AuthConfig auth;
    {
      std::lock_guard lk(mu_);
      auth = auth_;
    }
    auto token = fetch_token(http_, t, auth);
    if (!token) {
      // Docker's words: the refused request, then the token service's answer.
      if (token.error().code == Errc::PermissionDenied)
        return fail(Errc::PermissionDenied, go_method(refused.method) + " \"" + refused.url + "\": " + token.error().message);
      return std::unexpected(token.error());
    }
    std::lock_guard lk(mu_);
    authorization_[e.scheme + "://" + e.host] = "Authorization: Bearer " + token->access_token;
    // A service may rotate the refresh token: the next token comes with the new one.
    if (!auth_.identity_token.empty() && !token->refresh_token.empty()) auth_.identity_token = token->refresh_token;
    return {};
  }
  std::string basic_header;
  if (!auth_.username.empty() || !auth_.password.empty())
    basic_header = "Authorization: Basic " + base64::encode(auth_.username + ":" + auth_.password);
  if (basic || challenges.empty()) {
    if (basic_header.empty()) return fail(Errc::PermissionDenied, "no basic auth credentials");
    std::lock_guard lk(mu_);
    auto& held = authorization_[e.scheme + "://" + e.host];
    if (held == basic_header) return fail(Errc::PermissionDenied, "unauthorized: incorrect username or password");
    held = basic_header;
    return {};
  }
  return fail(Errc::Unsupported, "the registry " + e.host + " asks for an authentication scheme berth does not know: " +
                                     challenges.front().scheme);
}

Result<FetchedManifest> RepositoryClient::manifest(const std::string& tag_or_digest, const std::string& display_ref) {
  HttpRequest r;
  r.headers = {"Accept: " + std::string(image::media::kOciIndex) + ", " + std::string(image::media::kDockerManifestList) +
               ", " + std::string(image::media::kOciManifest) + ", " + std::string(image::media::kDockerManifest)};
  bool by_digest = tag_or_digest.rfind("sha256:", 0) == 0;
  auto called = call(by_digest ? kCapPull : kCapPull | kCapResolve, "/" + path_ + "/manifests/" + tag_or_digest,
                     std::move(r), nullptr, true);
  const std::string denied_prefix = "pull access denied for " + repository_of(display_ref) +
                                    ", repository does not exist or may require 'docker login': ";
  // A token without pull on the repository: Docker's "pull access denied".
  if (!called && called.error().code == Errc::PermissionDenied && called.error().message.starts_with("denied: "))
    return fail(Errc::PermissionDenied, denied_prefix + called.error().message);
  auto resp = TRY(std::move(called));
  if (resp.status == 404) {
    std::string text = registry_error_text(resp.body);
    if (text.rfind("name unknown", 0) == 0)
      return fail(Errc::NotFound, "repository " + repository_of(display_ref) + " not found: " + text);
    return fail(Errc::NotFound, "manifest for " + display_ref + " not found: " + (text.empty() ? "manifest unknown" : text));
  }
  if (resp.status == 403) return fail(Errc::PermissionDenied, denied_prefix + registry_error_text(resp.body));
  if (resp.status != 200)
    return fail(Errc::Unavailable, "fetching the manifest of " + display_ref + ": HTTP " + std::to_string(resp.status) +
                                       ": " + registry_error_text(resp.body));
  FetchedManifest m;
  m.bytes = std::move(resp.body);
  m.digest = content::sha256(m.bytes);
  if (tag_or_digest.rfind("sha256:", 0) == 0 && m.digest.str() != tag_or_digest)
    return fail(Errc::InvalidArgument, "manifest verification failed for digest " + tag_or_digest + ": the registry sent " +
                                           m.digest.str());
  m.media_type = strip_params(resp.header("content-type").value_or(""));
  if (!image::media::is_manifest(m.media_type) && !image::media::is_index(m.media_type)) {
    auto j = nlohmann::json::parse(m.bytes, nullptr, false);
    std::string own = j.is_object() ? json_string(j, "mediaType") : "";
    if (!own.empty()) {
      m.media_type = own;
    } else if (j.is_object() && j.contains("manifests")) {
      m.media_type = image::media::kOciIndex;
    } else if (j.is_object() && j.contains("layers")) {
      m.media_type = image::media::kOciManifest;
    }
  }
  return m;
}

Result<bool> RepositoryClient::has_blob(const content::Digest& digest) {
  HttpRequest r;
  r.method = "HEAD";
  auto resp = TRY(call(kCapPush, "/" + path_ + "/blobs/" + digest.str(), std::move(r), nullptr, false));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return fail(Errc::Unavailable, "checking blob " + digest.str() + " in " + path_ + ": HTTP " + std::to_string(resp.status));
}

Result<RepositoryClient::UploadStart> RepositoryClient::start_upload(const content::Digest& digest,
                                                                     const std::string& mount_from) {
  HttpRequest r;
  r.method = "POST";
  std::string api = "/" + path_ + "/blobs/uploads/";
  if (!mount_from.empty()) {
    api += "?mount=" + url_escape(digest.str()) + "&from=" + url_escape(mount_from);
    // The registry mounts only with pull access to the source in the token.
    std::string scope = "repository:" + mount_from + ":pull";
    std::lock_guard lk(mu_);
    if (mount_from != path_ && std::find(extra_scopes_.begin(), extra_scopes_.end(), scope) == extra_scopes_.end())
      extra_scopes_.push_back(scope);
  }
  r.headers = {"Content-Length: 0"};
  auto resp = TRY(call(kCapPush, api, std::move(r), nullptr, false));
  if (resp.status == 201 && !mount_from.empty()) return UploadStart{true, ""};
  if (resp.status != 202)
    return fail(resp.status == 401 || resp.status == 403 ? Errc::PermissionDenied : Errc::Unavailable,
                "starting an upload to " + path_ + ": HTTP " + std::to_string(resp.status) + ": " +
                    registry_error_text(resp.body));
  auto location = resp.header("location");
  if (!location || location->empty()) return fail(Errc::Unavailable, "the registry started an upload to " + path_ + " without a Location");
  return UploadStart{false, *location};
}

Result<void> RepositoryClient::finish_upload(const std::string& location, const content::Digest& digest, uint64_t size,
                                             const std::function<ssize_t(char*, size_t)>& source,
                                             const std::function<bool()>& rewind) {
  HttpRequest r;
  r.method = "PUT";
  r.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_escape(digest.str());
  r.headers = {"Content-Type: application/octet-stream", "Expect:"};
  r.body_source = source;
  r.body_rewind = rewind;
  r.body_size = size;
  r.low_speed_seconds = 120;
  auto resp = TRY(call(kCapPush, "", std::move(r), nullptr, false));
  if (resp.status != 201)
    return fail(resp.status == 400 ? Errc::InvalidArgument : Errc::Unavailable,
                "uploading blob " + digest.str() + " to " + path_ + ": HTTP " + std::to_string(resp.status) + ": " +
                    registry_error_text(resp.body));
  return {};
}

Result<std::string> RepositoryClient::put_manifest(const std::string& tag, const std::string& media_type,
                                                   const std::string& bytes) {
  HttpRequest r;
  r.method = "PUT";
  r.headers = {"Content-Type: " + media_type, "Expect:"};
  r.body = bytes;
  auto resp = TRY(call(kCapPush, "/" + path_ + "/manifests/" + tag, std::move(r), nullptr, false));
  if (resp.status != 201 && resp.status != 200)
    return fail(resp.status == 400 ? Errc::InvalidArgument : Errc::Unavailable,
                "putting the manifest of " + path_ + ":" + tag + ": HTTP " + std::to_string(resp.status) + ": " +
                    registry_error_text(resp.body));
  std::string digest = content::sha256(bytes).str();
  if (auto d = resp.header("docker-content-digest"); d && *d != digest)
    return fail(Errc::Unavailable, "the registry recorded the manifest of " + path_ + ":" + tag + " as " + *d +
                                       " but its digest is " + digest);
  return digest;
}

Result<void> RepositoryClient::blob(const content::Digest& digest, uint64_t offset, const BodySink& sink) {
  HttpRequest r;
  if (offset) r.range_from = offset;
  auto resp = TRY(call(kCapPull, "/" + path_ + "/blobs/" + digest.str(), std::move(r), &sink, true));
  if (resp.status != 200 && resp.status != 206)
    return fail(resp.status == 404 ? Errc::NotFound : Errc::Unavailable,
                "fetching blob " + digest.str() + ": HTTP " + std::to_string(resp.status) + ": " +
                    registry_error_text(resp.body));
  return {};
}

Result<std::string> RepositoryClient::upload_chunked(const std::string& location,
                                                    const std::function<ssize_t(char*, size_t)>& source) {
  HttpRequest r;
  r.method = "PATCH";
  r.url = location;
  r.headers = {"Content-Type: application/octet-stream", "Expect:"};
  r.body_source = source;
  r.body_chunked = true;
  r.low_speed_seconds = 120;
  auto resp = TRY(call(kCapPush, "", std::move(r), nullptr, false));
  if (resp.status != 202 && resp.status != 204)
    return fail(resp.status == 400 ? Errc::InvalidArgument : Errc::Unavailable,
                "uploading a blob to " + path_ + ": HTTP " + std::to_string(resp.status) + ": " +
                    registry_error_text(resp.body));
  auto next = resp.header("location");
  return next && !next->empty() ? *next : location;
}

namespace {

// The target of a Link header's rel="next" ("<URL>; rel=\"next\"", several
// links separated by commas), or "" when there is none.
std::string next_link(const std::vector<std::string>& links) {
  for (const auto& header : links) {
    size_t at = 0;
    while (at < header.size()) {
      size_t open = header.find('<', at);
      if (open == std::string::npos) break;
      size_t close = header.find('>', open);
      if (close == std::string::npos) break;
      size_t end = header.find('<', close);
      std::string params = ascii_lower(header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1));
      params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
      if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos)
        return header.substr(open + 1, close - open - 1);
      at = close + 1;
    }
  }
  return "";
}

}  // namespace

Result<std::vector<std::string>> RepositoryClient::tags(size_t page_size) {
  std::vector<std::string> out;
  // The first page by API path (a mirror's own prefix applies), the next ones as the Link says.
  std::string api = "/" + path_ + "/tags/list" + (page_size ? "?n=" + std::to_string(page_size) : "");
  std::string url = "/v2" + api;
  std::set<std::string> seen;
  while (!url.empty()) {
    if (!seen.insert(url).second)
      return fail(Errc::Unavailable, "listing the tags of " + path_ + ": the registry's pages go round in circles");
    HttpRequest r;
    r.url = url;
    bool first_page = out.empty() && seen.size() == 1;
    auto resp = TRY(call(kCapPull | kCapResolve, first_page ? api : "", std::move(r), nullptr, first_page));
    if (resp.status == 404)
      return fail(Errc::NotFound, "repository " + domain_ + "/" + path_ + " not found: " +
                                      (registry_error_text(resp.body).empty() ? std::string("name unknown")
                                                                              : registry_error_text(resp.body)));
    if (resp.status == 403)
      return fail(Errc::PermissionDenied, "pull access denied for " + domain_ + "/" + path_ +
                                              ", repository does not exist or may require 'docker login': " +
                                              registry_error_text(resp.body));
    if (resp.status != 200)
      return fail(Errc::Unavailable, "listing the tags of " + path_ + ": HTTP " + std::to_string(resp.status) + ": " +
                                         registry_error_text(resp.body));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (!j.is_object()) return fail(Errc::Unavailable, "listing the tags of " + path_ + ": the registry's answer is not JSON");
    if (auto t = j.find("tags"); t != j.end() && t->is_array())
      for (const auto& tag : *t)
        if (tag.is_string()) out.push_back(tag.get<std::string>());
    url = next_link(resp.headers_named("link"));
    bool absolute = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!url.empty() && !absolute && url[0] != '/')
      return fail(Errc::Unavailable, "listing the tags of " + path_ + ": the registry's next page is at \"" + url +
                                         "\", which berth cannot follow");
  }
  return out;
}

}  // namespace berth::registry

namespace berth::registry {

std::string registry_host_of(const std::string& server) {
  std::string s = server;
  for (const char* scheme : {"https://", "http://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::string(scheme).size());
  s = s.substr(0, s.find('/'));
  if (s.empty() || s == "index.docker.io" || s == "registry-1.docker.io") return "docker.io";
  return s;
}

Result<std::string> login(Http& http, const std::string& server, const AuthConfig& auth, const EndpointPolicy& policy) {
  std::string host = registry_host_of(server);
  std::optional<Error> first;
  auto endpoints = TRY(endpoints_for(host, policy));
  for (const auto& e : endpoints) {
    if (!e.upstream) continue;  // credentials are checked by the registry, not by its mirrors
    std::string url = e.scheme + "://" + e.host + e.path + "/";
    HttpRequest r;
    r.url = url;
    r.tls = e.tls;
    r.headers = e.headers;
    if (e.connect_timeout_ms > 0) r.connect_timeout_ms = e.connect_timeout_ms;
    auto resp = http.send(r);
    if (!resp) {
      if (!first) first = resp.error();
      continue;  // the next endpoint (http after https for an insecure one)
    }
    if (resp->status == 200) return std::string();
    if (resp->status != 401)
      return fail(Errc::Unavailable, "login attempt to " + url + " failed with status: " + std::to_string(resp->status));
    auto challenges = parse_challenges(resp->headers_named("www-authenticate"));
    const Challenge* bearer = nullptr;
    for (const auto& c : challenges)
      if (c.scheme == "bearer" && c.params.count("realm")) bearer = &c;
    HttpRequest check;
    check.url = url;
    check.tls = e.tls;
    std::string identity_token;
    if (bearer) {
      // dockerd's login: a token with no scope, asking for a refresh token, which /v2/ must take.
      TokenRequest t;
      t.realm = bearer->params.at("realm");
      if (auto s = bearer->params.find("service"); s != bearer->params.end()) t.service = s->second;
      t.tls = e.tls;
      t.offline = true;
      auto token = fetch_token(http, t, auth);
      if (!token) {
        if (token.error().code == Errc::PermissionDenied)
          return fail(Errc::PermissionDenied, "Get \"" + url + "\": " + token.error().message);
        return std::unexpected(token.error());
      }
      check.headers = {"Authorization: Bearer " + token->access_token};
      identity_token = token->refresh_token.empty() ? auth.identity_token : token->refresh_token;
    } else {
      check.headers = {"Authorization: Basic " + base64::encode(auth.username + ":" + auth.password)};
    }
    auto answer = TRY(http.send(check));
    if (answer.status == 200) return identity_token;
    if (answer.status == 401)
      return fail(Errc::PermissionDenied, "login attempt to " + url + " failed with status: 401 Unauthorized");
    return fail(Errc::Unavailable, "login attempt to " + url + " failed with status: " + std::to_string(answer.status));
  }
  if (first) return std::unexpected(*first);
  return fail(Errc::Unavailable, "no endpoint for registry " + host);
}

}  // namespace berth::registry
