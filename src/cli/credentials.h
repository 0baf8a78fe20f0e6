// Where the client keeps a registry's credentials, decided as the docker CLI
// decides it: the credential helper config.json names for the registry
// (credHelpers, else credsStore; see credential_helper.h), else config.json's
// own "auths". `login` stores, `logout` erases, pull/push/run/create read
// (X-Registry-Auth), and the docker CLI with the same config.json agrees.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace berth::cli {

// The client's config directory: $DOCKER_CONFIG, else ~/.docker (the docker CLI's).
std::string docker_config_dir();
// Its config.json; an empty object when there is none, an error when it is not a JSON object.
Result<nlohmann::json> read_docker_config();
Result<void> write_docker_config(const nlohmann::json& config);

// The key config.json "auths" keeps a registry under, as the docker CLI writes it:
// Docker Hub's URL, else host[:port] (without scheme or path). Helpers get it too.
inline constexpr char kDockerHubAuthKey[] = "https://index.docker.io/v1/";
std::string auth_key(const std::string& server);

// The helper NAME (docker-credential-NAME) for a registry key: its credHelpers
// entry, else credsStore; "" when config.json itself keeps the credentials.
std::string credential_helper_name(const nlohmann::json& config, const std::string& key);

// X-Registry-Auth for a registry: base64url of {"username","password"} or
// {"identitytoken"} and "serveraddress", from its helper or its "auths" entry;
// "{}" when there are none. An error when its helper fails.
Result<std::string> registry_auth_header(const std::string& domain);

// Keeps what `login` to key was accepted with. True when a helper took it (then
// config.json gets only an empty "auths" entry, as the docker CLI writes it);
// false when config.json holds it (base64, unencrypted).
Result<bool> store_credentials(const std::string& key, const std::string& username, const std::string& password,
                               const std::string& identity_token);
// Whether config.json has an "auths" entry for key: `logout` erases only then.
bool logged_in(const nlohmann::json& config, const std::string& key);
// Erases key's credentials from its helper, then its "auths" entry. When the
// helper fails, config.json is left as it was (the docker CLI does the same).
Result<void> erase_credentials(const std::string& key);

}  // namespace berth::cli
