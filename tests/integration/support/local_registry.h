// A private Docker Distribution v2 registry (Debian's docker-registry) on 127.0.0.1 for
// registry-client integration tests, with the test images pushed:
//   test/busybox:v2s2, test/busybox:oci, test/multi:latest (5 layers),
//   test/index:latest (OCI index: linux/amd64 + linux/arm64), test/zstd:latest (if made),
//   test/multitag:v1 (busybox), :v2 (multi), :v3 (busybox, OCI)
// It drives tests/fixtures/registry.sh and registry-images.sh (see them for details).
//
//   auto reg = LocalRegistry::start({.mode = "auth-tls"});
//   auto tok = LocalRegistry::start({.mode = "token", .token_expires_in = 2});  // + token_server.py
//   pull(reg->scheme() + "://" + reg->address() + "/test/busybox:v2s2", reg->ca_file(), ...);
//   EXPECT_EQ(digest, reg->digest_of("test/busybox:v2s2"));
#pragma once

#include <map>
#include <memory>
#include <string>

namespace berth::testing {

struct LocalRegistryOptions {
  std::string mode = "plain";                        // plain | auth | tls | auth-tls | token
  std::string user = "tester", password = "secret";  // used by the auth and token modes
  // token mode: the token server's --anonymous-pull and --no-oauth; token_expires_in (0: its
  // default) takes effect once the test images are pushed (skopeo would not refresh a token).
  bool anonymous_pull = false;
  int token_expires_in = 0;
  bool no_oauth = false;
};

class LocalRegistry {
 public:
  // Starts registry.sh in a fresh temp dir on a free loopback port (the registry binds
  // port 0 itself and reports the port it got: no race), pushes the test images with
  // registry-images.sh (the OCI layout they come from is built once per process);
  // throws std::runtime_error with the scripts' output on failure.
  static std::unique_ptr<LocalRegistry> start(const LocalRegistryOptions& options = {});
  ~LocalRegistry();  // registry.sh stop --clean
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  const std::string& scheme() const { return scheme_; }    // "http" / "https"
  const std::string& ca_file() const { return ca_file_; }  // empty unless TLS
  const LocalRegistryOptions& options() const { return options_; }
  const std::string& dir() const { return dir_; }  // config, data, registry.log, certs
  const std::string& token_realm() const { return token_realm_; }  // token mode: "http://127.0.0.1:P/token"
  const std::string& token_log() const { return token_log_; }      // token mode: its requests.log
  // Manifest digest ("sha256:...") of a pushed "repo:tag" (e.g. "test/busybox:v2s2"),
  // "" if it was not pushed.
  std::string digest_of(const std::string& ref) const;

 private:
  LocalRegistry() = default;

  LocalRegistryOptions options_;
  std::string dir_, address_, scheme_, ca_file_, token_realm_, token_log_;
  bool running_ = false;
  std::map<std::string, std::string> digests_;
};

}  // namespace berth::testing
