// What the registry routes (pull, push, search, login) may ask of the engine.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace berth::backend {

struct RegistryAuth {
  std::string username, password, server;
  std::string identity_token;  // POST /auth's "identitytoken": a refresh token from an earlier login
  std::string header;  // X-Registry-Auth as the client sent it (base64url JSON), decoded by the engine
};

// POST /auth's answer: {"Status","IdentityToken"}.
struct LoginResult {
  std::string status;          // "Login Succeeded"
  std::string identity_token;  // the token service's refresh token, for the client to keep instead of the password
};

struct PullRequest {
  std::string reference;  // fromImage with its tag or digest; a repository alone is every tag (pull -a)
  std::string platform;   // "linux/amd64"...; empty: the daemon's
  RegistryAuth auth;
};

class DistributionBackend {
 public:
  virtual ~DistributionBackend() = default;
  using Progress = std::function<bool(const std::string& json_line)>;
  // Errors before anything was streamed are returned (the route answers with
  // their status); later ones end the stream as an error message, as dockerd's.
  virtual Result<void> pull(const PullRequest& request, const Progress& progress) = 0;
  // reference: NAME:TAG, or NAME alone for every local tag of it (push -a).
  virtual Result<void> push(const std::string& reference, const RegistryAuth& auth, const Progress& progress) = 0;
  virtual Result<LoginResult> login(const RegistryAuth& auth) = 0;
  virtual Result<std::string> search(const std::string& term, int limit) = 0;  // results as JSON text
};

}  // namespace berth::backend
