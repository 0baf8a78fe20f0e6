// Draws a JSON message stream (pull, push) as the docker CLI does
// (jsonmessage.DisplayJSONMessagesStream): on a terminal one line per layer
// id, redrawn in place with its bar; off a terminal each status on a line of
// its own and no bars.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "cli/json_lines.h"

namespace berth::cli {

class ProgressDisplay {
 public:
  // quiet: draws nothing, only keeps the stream's error.
  ProgressDisplay(int fd, bool terminal, bool quiet = false) : fd_(fd), terminal_(terminal), quiet_(quiet) {}
  // Bytes of the stream as they arrive (lines may be split anywhere).
  void feed(std::string_view data);
  // The stream ended: the error message it carried, if any, as an Error.
  Result<void> finish();

 private:
  void handle(const std::string& line);
  void print(std::string_view s);

  int fd_;
  bool terminal_;
  bool quiet_;
  JsonLines messages_;
  std::string error_;
  std::map<std::string, size_t> lines_;  // layer id -> its line, counted from the first
};

}  // namespace berth::cli
