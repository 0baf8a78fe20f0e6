// One repository on one registry, as the Distribution API v2 serves it:
// manifests by tag or digest, blobs (ranged), with the registry's auth flow.
//
// Endpoints, in the order tried: for docker.io the registry-mirrors (dockerd's);
// then the [host."URL"] mirrors of the registry's hosts.toml (containerd's
// layout, registry/hosts_config.h); then its `server`, or Docker's rules
// (registry/config.go): docker.io is reached at registry-1.docker.io; a host
// in insecure-registries or in 127.0.0.0/8 over https without verification
// first, then over plain http; any other host over https with the system CAs
// plus certs.d/HOST/*.crt (and a client NAME.cert/NAME.key there).
// A request goes only to endpoints that may do it (capabilities: resolve for
// a tag, pull for digests and blobs, push), and on to the next one when an
// endpoint cannot be reached or, when pulling, has not got what was asked (404).
//
// Auth: a 401 names challenges (WWW-Authenticate). Bearer: a token from the
// realm (registry/token.h) for "repository:PATH:pull" (or pull,push, plus
// pull on the repositories a push mounts from), kept until the registry
// refuses it (an expired token: 401), then fetched again and the request sent
// once more, transparently. Basic: the credentials.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "content/digest.h"
#include "registry/hosts_config.h"
#include "registry/http.h"

namespace berth::registry {

struct AuthConfig {
  std::string username, password;
  std::string identity_token;  // an OAuth refresh token (docker login to a token service)
  std::string registry_token;  // a bearer token given as is
  bool empty() const { return username.empty() && password.empty() && identity_token.empty() && registry_token.empty(); }
};

// X-Registry-Auth: base64url (or std base64) of {"username","password","serveraddress",
// "identitytoken","registrytoken"}. An empty header is no credentials; a bad one InvalidArgument.
Result<AuthConfig> decode_registry_auth(std::string_view header);

struct Endpoint {
  std::string scheme;         // "https" or "http"
  std::string host;           // "127.0.0.1:5000", "registry-1.docker.io"
  std::string path = "/v2";   // the API root on the host
  unsigned capabilities = kCapAll;
  std::string ns;             // a mirror's: the registry it stands for, sent as ?ns= (containerd's)
  std::vector<std::string> headers;  // "Name: value" from hosts.toml
  long connect_timeout_ms = 0;       // 0: Http's default
  bool upstream = true;              // the registry itself (or its hosts.toml server), not a mirror
  TlsOptions tls;

  // scheme://host + path + api (+ ?ns=): api is "/NAME/manifests/REF" and the like.
  std::string url(std::string_view api) const;
};

struct EndpointPolicy {
  std::vector<std::string> insecure_registries;  // "host:port" or CIDR, daemon.json's
  std::vector<std::string> certs_dirs = {"/etc/docker/certs.d"};  // DIR/HOST[:PORT]/{*.crt,*.cert,*.key}
  std::vector<std::string> mirrors;     // registry-mirrors for docker.io: "https://mirror.example/"
  std::vector<std::string> hosts_dirs;  // DIR/HOST/hosts.toml (containerd's layout), the first DIR first
  bool loopback_insecure = true;  // Docker's default; tests turn it off to see TLS verification work
};

// Where a reference's domain is reached, in the order to try. Reads the
// hosts.toml that applies each time (an edit needs no restart); a file berth
// cannot use is an InvalidArgument naming it.
Result<std::vector<Endpoint>> endpoints_for(const std::string& domain, const EndpointPolicy& policy);

struct FetchedManifest {
  std::string media_type;  // Content-Type, or the document's own mediaType
  std::string bytes;
  content::Digest digest = content::sha256({});
};

class RepositoryClient {
 public:
  // actions: the token scope asked for ("pull", or "pull,push" to push).
  RepositoryClient(Http& http, std::vector<Endpoint> endpoints, std::string domain, std::string path, AuthConfig auth,
                   std::string actions = "pull");

  // The manifest (or index) for a tag or "sha256:..." digest; a digest is
  // verified against the bytes. NotFound in Docker's words.
  Result<FetchedManifest> manifest(const std::string& tag_or_digest, const std::string& display_ref);
  // The blob's bytes from `offset` to its end, to sink. The caller verifies.
  Result<void> blob(const content::Digest& digest, uint64_t offset, const BodySink& sink);

  // Push: whether the repository has the blob (HEAD).
  Result<bool> has_blob(const content::Digest& digest);
  // Starts a blob upload; with mount_from, asks the registry to mount the
  // blob from that repository of the same registry instead (mounted: done).
  struct UploadStart {
    bool mounted = false;
    std::string location;  // the upload session, when not mounted
  };
  // A mount asks the token service for pull on mount_from as well.
  Result<UploadStart> start_upload(const content::Digest& digest, const std::string& mount_from = {});
  // Sends the whole blob to the session in one PUT (read from source). rewind
  // (back to the first byte) lets the PUT be sent again after a refused token.
  Result<void> finish_upload(const std::string& location, const content::Digest& digest, uint64_t size,
                             const std::function<ssize_t(char*, size_t)>& source,
                             const std::function<bool()>& rewind = {});
  // PUT of a manifest under a tag; its digest as the registry says (or ours).
  Result<std::string> put_manifest(const std::string& tag, const std::string& media_type, const std::string& bytes);
  // Sends bytes of unknown length to the session as they are made (one PATCH,
  // chunked); returns where the upload continues (finish_upload there with
  // the digest and no body). The source cannot be replayed: a refusal midway
  // fails the upload.
  Result<std::string> upload_chunked(const std::string& location, const std::function<ssize_t(char*, size_t)>& source);
  // The repository's tags (GET /v2/NAME/tags/list), following the registry's
  // pages (Link: <...>; rel="next"); page_size asks for pages of that many
  // (?n=), 0 leaves it to the registry.
  Result<std::vector<std::string>> tags(size_t page_size = 0);

  const std::string& path() const { return path_; }

 private:
  // A request to the API (api: "/NAME/...") or, api empty, to request.url (an
  // upload's Location), on the endpoints that have the capabilities `need`.
  Result<HttpResponse> call(unsigned need, std::string_view api, HttpRequest request, const BodySink* sink,
                            bool next_on_not_found);
  Result<HttpResponse> call_on(const Endpoint& e, std::string_view api, HttpRequest request, const BodySink* sink);
  Result<void> authorize(const HttpResponse& unauthorized, const Endpoint& e, const HttpRequest& refused);
  std::string auth_header(const Endpoint& e);
  std::vector<std::string> scopes();

  Http& http_;
  std::vector<Endpoint> endpoints_;
  std::string domain_, path_, actions_;
  AuthConfig auth_;
  std::mutex mu_;
  std::set<size_t> unreachable_;                     // endpoints that did not answer: tried last
  std::map<std::string, std::string> authorization_;  // per scheme://host: "Authorization: ..." once known
  std::vector<std::string> extra_scopes_;  // "repository:FROM:pull" for mounts
};

// `docker login`: checks the credentials against the registry's /v2/ (and its
// token service when it has one: a token is fetched asking for a refresh token,
// then /v2/ must take it). server: "127.0.0.1:5000", "https://host/", Docker
// Hub's "https://index.docker.io/v1/". The identity token to keep instead of
// the password (the service's refresh token), "" when it gave none.
// PermissionDenied when refused, in Docker's words ("login attempt to URL failed
// with status: 401 Unauthorized"; with a token service `Get "URL/v2/":
// unauthorized: incorrect username or password`).
Result<std::string> login(Http& http, const std::string& server, const AuthConfig& auth, const EndpointPolicy& policy);
// The registry host of a server address as docker login takes it.
std::string registry_host_of(const std::string& server);

// The "errors" of a registry's error body: "manifest unknown: manifest unknown".
std::string registry_error_text(const std::string& body);

}  // namespace berth::registry
