#include "support/local_registry.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "support/bundle.h"  // run_command
#include "support/paths.h"

namespace berth::testing {
namespace fs = std::filesystem;

namespace {

std::string make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp " + tmpl + " failed");
  return tmpl;
}

// registry-images.sh keeps its OCI layout in its work dir and reuses it: one per process,
// removed at exit (the string is never destroyed, so the exit handler can still read it).
const std::string& images_work_dir() {
  static const std::string* dir = [] {
    auto* d = new std::string(make_temp_dir("berth-registry-images"));
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(images_work_dir(), ec);
    });
    return d;
  }();
  return *dir;
}

CmdResult run_script(const std::string& script, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/bin/bash", fixture_path(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

[[noreturn]] void fail(const std::string& what, const CmdResult& r) {
  throw std::runtime_error(what + " failed (exit " + std::to_string(r.status) + ")\n--- stdout:\n" + r.out +
                           "--- stderr:\n" + r.err);
}

// The value of a KEY=VALUE line of `out`, "" if none.
std::string assignment(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
  }
  return "";
}

}  // namespace

std::unique_ptr<LocalRegistry> LocalRegistry::start(const LocalRegistryOptions& options) {
  std::unique_ptr<LocalRegistry> reg(new LocalRegistry());
  reg->options_ = options;
  reg->dir_ = make_temp_dir("berth-registry");
  const bool auth = options.mode.starts_with("auth") || options.mode == "token";

  std::vector<std::string> args{"start", "--dir", reg->dir_, "--port", "0", "--mode", options.mode};
  if (auth) args.insert(args.end(), {"--user", options.user, "--password", options.password});
  if (options.anonymous_pull) args.push_back("--anonymous-pull");
  if (options.no_oauth) args.push_back("--no-oauth");
  CmdResult r = run_script("registry.sh", args);
  reg->running_ = true;  // even on failure: stop is harmless and removes the dir
  if (r.status != 0) fail("registry.sh start --mode " + options.mode, r);
  reg->address_ = assignment(r.out, "REGISTRY");
  reg->scheme_ = assignment(r.out, "REGISTRY_SCHEME");
  reg->ca_file_ = assignment(r.out, "REGISTRY_CA");
  reg->token_realm_ = assignment(r.out, "REGISTRY_TOKEN_REALM");
  reg->token_log_ = assignment(r.out, "REGISTRY_TOKEN_LOG");
  if (reg->address_.empty() || reg->scheme_.empty()) fail("registry.sh start (no REGISTRY= line)", r);

  args = {"--registry", reg->address_, "--scheme", reg->scheme_, "--work", images_work_dir()};
  if (!reg->ca_file_.empty()) args.insert(args.end(), {"--ca", reg->ca_file_});
  if (auth) args.insert(args.end(), {"--user", options.user, "--password", options.password});
  r = run_script("registry-images.sh", args);
  if (r.status != 0) fail("registry-images.sh", r);
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string tag, ref, digest;
    if (words >> tag >> ref >> digest && tag == "PUSHED") reg->digests_[ref] = digest;
  }
  if (reg->digests_.empty()) fail("registry-images.sh (no PUSHED lines)", r);
  if (options.token_expires_in) {  // token_server.py reads it at each token
    std::ofstream(reg->dir_ + "/token/expires_in") << options.token_expires_in << "\n";
  }
  return reg;
}

LocalRegistry::~LocalRegistry() {
  if (running_) run_script("registry.sh", {"stop", "--dir", dir_, "--clean"});
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string LocalRegistry::digest_of(const std::string& ref) const {
  auto it = digests_.find(ref);
  return it == digests_.end() ? "" : it->second;
}

}  // namespace berth::testing
