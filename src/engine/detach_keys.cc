#include "engine/detach_keys.h"

#include "base/strings.h"

namespace berth::engine {

Result<DetachKeys> DetachKeys::parse(std::string_view spec) {
  DetachKeys k;
  std::string text = spec.empty() ? "ctrl-p,ctrl-q" : std::string(spec);
  for (const auto& part : split(text, ',')) {
    if (part.size() == 1) {
      k.sequence += part[0];
    } else if (part.rfind("ctrl-", 0) == 0 && part.size() == 6) {
      char ch = part[5];
      if (ch >= 'a' && ch <= 'z') k.sequence += static_cast<char>(ch - 'a' + 1);
      else if (ch == '@') k.sequence += '\0';
      else if (ch == '[') k.sequence += '\x1b';
      else if (ch == '\\') k.sequence += '\x1c';
      else if (ch == ']') k.sequence += '\x1d';
      else if (ch == '^') k.sequence += '\x1e';
      else if (ch == '_') k.sequence += '\x1f';
      else return fail(Errc::InvalidArgument, "Invalid detach keys (" + text + ") provided: unknown character " + part);
    } else {
      return fail(Errc::InvalidArgument, "Invalid detach keys (" + text + ") provided");
    }
  }
  return k;
}

std::pair<std::string, bool> KeyMatcher::feed(std::string_view data) {
  std::string out;
  const auto& seq = keys_.sequence;
  if (seq.empty()) return {std::string(data), false};
  for (char ch : data) {
    if (ch == seq[matched_]) {
      if (++matched_ == seq.size()) return {out, true};
      continue;
    }
    // Not the sequence after all: the held-back bytes go through.
    out.append(seq, 0, matched_);
    matched_ = 0;
    if (ch == seq[0]) {
      matched_ = 1;
      if (seq.size() == 1) return {out, true};
    } else {
      out += ch;
    }
  }
  return {out, false};
}

}  // namespace berth::engine
