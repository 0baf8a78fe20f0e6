// Docker's detach keys ("ctrl-p,ctrl-q" by default): a sequence in the stdin
// of an attached client that detaches it and leaves the container running.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace berth::engine {

struct DetachKeys {
  std::string sequence;  // the bytes; empty: detaching is off
  // "ctrl-p,ctrl-q", "ctrl-a,a", "ctrl-@"; empty -> the default.
  static Result<DetachKeys> parse(std::string_view spec);
};

// Watches a byte stream for the sequence across reads. Bytes that may start
// the sequence are held back until it is clear they do not.
class KeyMatcher {
 public:
  explicit KeyMatcher(DetachKeys keys) : keys_(std::move(keys)) {}
  // The bytes to pass on now, and whether the sequence was completed.
  std::pair<std::string, bool> feed(std::string_view data);

 private:
  DetachKeys keys_;
  size_t matched_ = 0;
};

}  // namespace berth::engine
