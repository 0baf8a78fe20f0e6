// Where a container's output is logged: one writer per container, behind an
// interface so that the monitor (src/shim) does not know the format.
//   json-file  Docker's default: {"log","stream","time"} lines, rotated by size
//   cri        the kubelet's format ("<time> stdout F <line>"); the kubelet rotates
//   none       nothing is kept (`docker logs` says so)
// `local` (Docker's protobuf files) is not implemented yet.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::logs {

enum class Stream : uint8_t { Stdout, Stderr };
inline const char* stream_name(Stream s) { return s == Stream::Stderr ? "stderr" : "stdout"; }

inline constexpr std::string_view kJsonFile = "json-file";
inline constexpr std::string_view kCri = "cri";
inline constexpr std::string_view kNone = "none";
inline constexpr std::string_view kLocal = "local";

// --log-opt KEY=VALUE pairs (HostConfig.LogConfig.Config).
using LogOptions = std::map<std::string, std::string>;

class LogWriter {
 public:
  virtual ~LogWriter() = default;
  // Output of a stream in whatever pieces it was read; lines are made here.
  virtual Result<void> write(Stream stream, std::string_view bytes) = 0;
  // Writes out what waits for the end of its line (at the process's exit).
  virtual Result<void> flush() = 0;
};

// The writer for driver (options checked by validate_log_config first):
// json-file and cri append to path (created 0640), none ignores it.
Result<std::unique_ptr<LogWriter>> open_log_writer(std::string_view driver, const std::string& path,
                                                   const LogOptions& options);

// Docker's checks of a log configuration, with Docker's messages: the
// logging mode, an unknown driver ("logger: no log driver named 'x' is
// registered"), json-file's options and their values. What berth does not
// implement is refused naming it (Unsupported): the local driver, mode
// non-blocking, json-file's compress, labels, env and tag. Options of none
// are ignored, as Docker does.
Result<void> validate_log_config(std::string_view driver, const LogOptions& options);

}  // namespace berth::logs
