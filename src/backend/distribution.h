// What the registry routes (pull, push, search, login) may ask of the engine.
// The registry client is not there yet: its implementation answers
// Unsupported (501) until it lands.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace berth::backend {

struct RegistryAuth {
  std::string username, password, server;
};

class DistributionBackend {
 public:
  virtual ~DistributionBackend() = default;
  using Progress = std::function<bool(const std::string& json_line)>;
  virtual Result<void> pull(const std::string& reference, const RegistryAuth& auth, const Progress& progress) = 0;
  virtual Result<void> push(const std::string& reference, const RegistryAuth& auth, const Progress& progress) = 0;
  virtual Result<std::string> login(const RegistryAuth& auth) = 0;  // the status text
  virtual Result<std::string> search(const std::string& term, int limit) = 0;  // results as JSON text
};

}  // namespace berth::backend
