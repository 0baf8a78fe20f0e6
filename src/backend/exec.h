// What the exec routes may ask of the engine: sessions created in a running
// container, started (streaming over the client's connection), inspected.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "model/exec.h"

namespace berth::backend {

class ExecBackend {
 public:
  virtual ~ExecBackend() = default;
  virtual Result<std::string> exec_create(const std::string& container, const model::ExecSpec& spec) = 0;
  // detach: runs in the background; else streams over client until the process ends.
  // tty overrides the session's Tty when set.
  virtual Result<void> exec_start(const std::string& exec_id, bool detach, std::optional<bool> tty, UniqueFd client,
                                  std::string buffered) = 0;
  virtual Result<model::ExecInfo> exec_inspect(const std::string& exec_id) = 0;
  virtual Result<void> exec_resize(const std::string& exec_id, unsigned rows, unsigned cols) = 0;
};

}  // namespace berth::backend
