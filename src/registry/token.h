// Bearer tokens from a registry's token service: the realm of the "Bearer"
// challenge a registry answers a 401 with (Docker's token authentication).
//
// With an identity token (the refresh token `docker login` stored): the
// OAuth2 POST form, grant_type=refresh_token with client_id=docker, as dockerd
// sends it; a service without that endpoint (404) gets the GET flow instead.
// Otherwise Docker's GET flow: realm?service=S&scope=A&scope=B, with Basic
// credentials and account=USER when there are a username and a password, and
// for a login offline_token=true&client_id=docker, which asks the service for a
// refresh token (the identity token `docker login` keeps).
//
// Secrets (passwords, tokens) go in headers and bodies, never in a URL or a message.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "registry/client.h"
#include "registry/http.h"

namespace berth::registry {

struct TokenRequest {
  std::string realm;                // the challenge's realm URL
  std::string service;              // the challenge's service (may be empty)
  std::vector<std::string> scopes;  // "repository:a/b:pull,push"...; none for a login
  TlsOptions tls;
  bool offline = false;             // a login: ask for a refresh token too
};

struct BearerToken {
  std::string access_token;
  std::string refresh_token;  // when the service gave one: the identity token to keep
};

// PermissionDenied when the service refuses the credentials, in Docker's words
// ("unauthorized: incorrect username or password", or the service's own "details");
// Unavailable when it cannot be reached, answers another status, or sends no token.
Result<BearerToken> fetch_token(Http& http, const TokenRequest& request, const AuthConfig& auth);

}  // namespace berth::registry
