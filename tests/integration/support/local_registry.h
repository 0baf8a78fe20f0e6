// A private Docker Distribution v2 registry (Debian's docker-registry) on 127.0.0.1 for
// registry-client integration tests, with the test images pushed:
//   test/busybox:v2s2, test/busybox:oci, test/multi:latest (5 layers),
//   test/index:latest (OCI index: linux/amd64 + linux/arm64), test/zstd:latest (if made),
//   test/multitag:v1 (busybox), :v2 (multi), :v3 (busybox, OCI)
// It drives tests/fixtures/registry.sh and registry-images.sh (see them for details).
//
//   auto reg = LocalRegistry::start({.mode = "auth-tls"});
//   pull(reg->scheme() + "://" + reg->address() + "/test/busybox:v2s2", reg->ca_file(), ...);
//   EXPECT_EQ(digest, reg->digest_of("test/busybox:v2s2"));
#pragma once

#include <map>
#include <memory>
#include <string>

namespace berth::testing {

struct LocalRegistryOptions {
  std::string mode = "plain";                        // plain | auth | tls | auth-tls
  std::string user = "tester", password = "secret";  // used by the auth modes
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
  // Manifest digest ("sha256:...") of a pushed "repo:tag" (e.g. "test/busybox:v2s2"),
  // "" if it was not pushed.
  std::string digest_of(const std::string& ref) const;

 private:
  LocalRegistry() = default;

  LocalRegistryOptions options_;
  std::string dir_, address_, scheme_, ca_file_;
  bool running_ = false;
  std::map<std::string, std::string> digests_;
};

}  // namespace berth::testing
