#include "cli/credentials.h"

#include <sys/stat.h>

#include "base/base64.h"
#include "base/file.h"
#include "cli/credential_helper.h"

namespace berth::cli {

namespace {

std::string config_path() { return docker_config_dir() + "/config.json"; }

nlohmann::json& auths_of(nlohmann::json& config) {
  if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = nlohmann::json::object();
  return config["auths"];
}

// The X-Registry-Auth fields of config.json's own entry for key.
nlohmann::json file_auth(const nlohmann::json& config, const std::string& key) {
  nlohmann::json entry = nlohmann::json::object();
  if (!config.contains("auths") || !config["auths"].is_object()) return entry;
  for (const auto& [k, v] : config["auths"].items()) {
    if (auth_key(k) != key || !v.is_object()) continue;  // "http://host:5000/" is host:5000's too
    for (const char* f : {"auth", "username", "password", "identitytoken", "registrytoken"})
      if (v.contains(f) && v[f].is_string()) entry[f] = v[f];
    entry["serveraddress"] = k;
  }
  return entry;
}

// The X-Registry-Auth fields of what helper keeps for key (as the docker CLI's native store).
Result<nlohmann::json> helper_auth(const std::string& helper, const std::string& key) {
  nlohmann::json entry = nlohmann::json::object();
  auto c = TRY(CredentialHelper(helper).get(key));
  if (!c) return entry;
  if (c->username == kIdentityTokenUsername) {
    entry["identitytoken"] = c->secret;
  } else {
    entry["username"] = c->username;
    entry["password"] = c->secret;
  }
  entry["serveraddress"] = key;
  return entry;
}

}  // namespace

std::string docker_config_dir() {
  if (const char* d = ::getenv("DOCKER_CONFIG"); d && *d) return d;
  if (const char* h = ::getenv("HOME"); h && *h) return std::string(h) + "/.docker";
  return "/root/.docker";
}

Result<nlohmann::json> read_docker_config() {
  auto text = read_file(config_path());
  if (!text) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, config_path() + " is not a JSON object");
  return j;
}

Result<void> write_docker_config(const nlohmann::json& config) {
  std::string dir = docker_config_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
  return write_file_atomic(config_path(), config.dump(1, '\t') + "\n", 0600);
}

std::string auth_key(const std::string& server) {
  if (server.empty()) return kDockerHubAuthKey;
  std::string s = server;
  for (const char* scheme : {"https://", "http://"})
    if (s.rfind(scheme, 0) == 0) s = s.substr(std::string(scheme).size());
  s = s.substr(0, s.find('/'));
  if (s == "index.docker.io" || s == "docker.io" || s == "registry-1.docker.io") return kDockerHubAuthKey;
  return s;
}

std::string credential_helper_name(const nlohmann::json& config, const std::string& key) {
  if (config.contains("credHelpers") && config["credHelpers"].is_object()) {
    const auto& helpers = config["credHelpers"];
    if (helpers.contains(key) && helpers[key].is_string()) return helpers[key].get<std::string>();
    // "https://host:5000", or "docker.io" for Docker Hub, name the same registry.
    for (const auto& [k, v] : helpers.items())
      if (auth_key(k) == key && v.is_string()) return v.get<std::string>();
  }
  if (config.contains("credsStore") && config["credsStore"].is_string()) return config["credsStore"].get<std::string>();
  return "";
}

Result<std::string> registry_auth_header(const std::string& domain) {
  // A config.json that cannot be read is no credentials: the pull may need none.
  nlohmann::json config = read_docker_config().value_or(nlohmann::json::object());
  std::string key = auth_key(domain);
  std::string helper = credential_helper_name(config, key);
  nlohmann::json entry = helper.empty() ? file_auth(config, key) : TRY(helper_auth(helper, key));
  return base64::encode_url(entry.dump());
}

Result<bool> store_credentials(const std::string& key, const std::string& username, const std::string& password,
                               const std::string& identity_token) {
  auto config = TRY(read_docker_config());
  std::string helper = credential_helper_name(config, key);
  nlohmann::json entry = nlohmann::json::object();
  if (!helper.empty()) {
    // An identity token replaces the password, under the username "<token>" (the docker CLI's convention).
    HelperCredentials c = identity_token.empty() ? HelperCredentials{key, username, password}
                                                 : HelperCredentials{key, kIdentityTokenUsername, identity_token};
    TRYV_CTX(CredentialHelper(helper).store(c), "Error saving credentials");
  } else if (identity_token.empty()) {
    entry["auth"] = base64::encode(username + ":" + password);
  } else {
    entry["auth"] = base64::encode(username + ":");
    entry["identitytoken"] = identity_token;
  }
  auths_of(config)[key] = entry;
  TRYV(write_docker_config(config));
  return !helper.empty();
}

bool logged_in(const nlohmann::json& config, const std::string& key) {
  return config.contains("auths") && config["auths"].is_object() && config["auths"].contains(key);
}

Result<void> erase_credentials(const std::string& key) {
  auto config = TRY(read_docker_config());
  if (std::string helper = credential_helper_name(config, key); !helper.empty())
    TRYV(CredentialHelper(helper).erase(key));
  if (!logged_in(config, key)) return {};
  config["auths"].erase(key);
  return write_docker_config(config);
}

}  // namespace berth::cli
