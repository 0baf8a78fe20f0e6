// A docker credential helper: the program docker-credential-NAME on PATH, run
// once per request and spoken to as the docker-credential-helpers protocol
// says (the action as the argument; the server URL or a JSON document on
// stdin; JSON or "credentials not found in native keychain" on stdout). The
// docker CLI runs the same programs, so both CLIs share what they store.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "base/error.h"

namespace berth::cli {

struct HelperCredentials {
  std::string server_url;
  std::string username;  // "<token>": secret is an identity token
  std::string secret;
};
inline constexpr char kIdentityTokenUsername[] = "<token>";

class CredentialHelper {
 public:
  // A helper that keeps the user waiting (a keyring asking for its passphrase)
  // is given a minute before it is killed.
  static constexpr std::chrono::milliseconds kTimeout{60'000};

  explicit CredentialHelper(const std::string& name, std::chrono::milliseconds timeout = kTimeout)
      : program_("docker-credential-" + name), timeout_(timeout) {}

  const std::string& program() const { return program_; }

  // nullopt when the helper has nothing for server_url.
  Result<std::optional<HelperCredentials>> get(const std::string& server_url) const;
  Result<void> store(const HelperCredentials& credentials) const;
  Result<void> erase(const std::string& server_url) const;
  // Server URL -> username of everything it keeps.
  Result<std::map<std::string, std::string>> list() const;

 private:
  struct Answer {
    int status;       // its exit status, 128+N for signal N
    std::string out;  // its stdout, trimmed
  };
  // Runs `program_ action` with input on stdin. Errors: it cannot be started, or
  // it outlived the timeout (then it is killed); worded as the docker CLI words a
  // helper's failure ("error <doing> credentials - err: ..., out: `...`").
  Result<Answer> run(const char* action, const std::string& input, const char* doing) const;
  // An answer with a non-zero status as that error.
  std::unexpected<Error> failed(const Answer& answer, const char* doing) const;

  std::string program_;
  std::chrono::milliseconds timeout_;
};

}  // namespace berth::cli
