// What `POST /build` may ask of the engine. The Dockerfile builder is not
// there yet: its implementation answers Unsupported (501) until it lands.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::backend {

struct BuildRequest {
  std::string dockerfile = "Dockerfile";
  std::vector<std::string> tags;
  std::map<std::string, std::string> build_args, labels;
  std::string target;
  bool no_cache = false, rm = true, force_rm = false, pull = false, quiet = false;
};

class BuildBackend {
 public:
  virtual ~BuildBackend() = default;
  // context: the build context (a tar) as it arrives; progress: Docker's JSON message lines.
  virtual Result<std::string> build(const BuildRequest& request,
                                    const std::function<Result<size_t>(char*, size_t)>& context,
                                    const std::function<bool(const std::string&)>& progress) = 0;
};

}  // namespace berth::backend
