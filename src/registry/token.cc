#include "registry/token.h"

#include <nlohmann/json.hpp>

#include "base/base64.h"

namespace berth::registry {
namespace {

// dockerd's client id for both flows (registry.AuthClientID).
constexpr char kClientId[] = "docker";

std::string json_text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a token service says when it refuses: Docker Hub's {"details"}, OAuth2's
// {"error_description"}/{"error"}, or a registry's {"errors":[...]}; "" if none.
std::string refusal_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  for (const char* key : {"details", "error_description", "error"})
    if (auto t = json_text(j, key); !t.empty()) return t;
  if (j.contains("errors")) return registry_error_text(body);
  return "";
}

bool has_password(const AuthConfig& auth) { return !auth.username.empty() && !auth.password.empty(); }

Result<BearerToken> parse_answer(const HttpResponse& r, const std::string& realm) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  BearerToken t;
  if (j.is_object()) {
    // access_token is the OAuth2 name of `token`; Docker takes it when both are there.
    t.access_token = json_text(j, "access_token");
    if (t.access_token.empty()) t.access_token = json_text(j, "token");
    t.refresh_token = json_text(j, "refresh_token");
  }
  if (t.access_token.empty()) return fail(Errc::Unavailable, "the token service " + realm + " answered without a token");
  return t;
}

Result<HttpResponse> get_token(Http& http, const TokenRequest& q, const AuthConfig& auth) {
  HttpRequest r;
  r.url = q.realm + (q.realm.find('?') == std::string::npos ? "?" : "&");
  if (!q.service.empty()) r.url += "service=" + url_escape(q.service) + "&";
  for (const auto& s : q.scopes) r.url += "scope=" + url_escape(s) + "&";
  if (q.offline) r.url += "offline_token=true&client_id=" + std::string(kClientId) + "&";
  if (has_password(auth)) {
    r.url += "account=" + url_escape(auth.username) + "&";
    r.headers.push_back("Authorization: Basic " + base64::encode(auth.username + ":" + auth.password));
  }
  r.url.pop_back();  // the last '&' (or '?')
  r.tls = q.tls;
  r.follow_redirects = false;  // credentials go to the realm only
  return http.send(r);
}

Result<HttpResponse> post_refresh_token(Http& http, const TokenRequest& q, const std::string& refresh_token) {
  std::string scope;
  for (const auto& s : q.scopes) scope += (scope.empty() ? "" : " ") + s;
  HttpRequest r;
  r.method = "POST";
  r.url = q.realm;
  r.headers = {"Content-Type: application/x-www-form-urlencoded", "Expect:"};
  r.body = "grant_type=refresh_token&refresh_token=" + url_escape(refresh_token) + "&service=" + url_escape(q.service) +
           "&scope=" + url_escape(scope) + "&client_id=" + kClientId;
  r.tls = q.tls;
  r.follow_redirects = false;
  return http.send(r);
}

}  // namespace

Result<BearerToken> fetch_token(Http& http, const TokenRequest& q, const AuthConfig& auth) {
  bool oauth = !auth.identity_token.empty();
  HttpResponse r;
  if (oauth) {
    r = TRY(post_refresh_token(http, q, auth.identity_token));
  } else {
    r = TRY(get_token(http, q, auth));
  }
  if (oauth && r.status == 404) {  // no OAuth2 endpoint there: Docker's GET flow
    oauth = false;
    r = TRY(get_token(http, q, auth));
  }
  if (r.status == 200) return parse_answer(r, q.realm);
  std::string why = refusal_text(r.body);
  if (r.status == 401 || r.status == 403 || (oauth && r.status == 400)) {
    if (why.empty())
      why = oauth               ? "the identity token was refused (docker login again)"
            : has_password(auth) ? "incorrect username or password"
                                 : "authentication required";
    return fail(Errc::PermissionDenied, "unauthorized: " + why);
  }
  return fail(Errc::Unavailable, "getting a token from " + q.realm + ": HTTP " + std::to_string(r.status) +
                                     (why.empty() ? "" : ": " + why));
}

}  // namespace berth::registry
