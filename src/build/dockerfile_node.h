// The parser's inside: one instruction as moby's parser.Node holds it, before
// the instructions package's checks turn it into an Instruction.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build::detail {

struct Node {
  std::string cmd;                      // lower case (Node.Value); "" for an empty line
  std::string original;                 // the joined line, untrimmed (Node.Original)
  std::vector<std::string> flag_words;  // "--from=x", "--link": as the line had them
  std::vector<std::string> args;
  bool json = false;
  std::unique_ptr<Node> child;          // ONBUILD's trigger
  int line = 0;
};

// newNodeFromLine: the command, flags and arguments of one (joined) line,
// split by the command's line parser. Errors carry Docker's words only.
Result<Node> node_from_line(std::string_view line, char escape);

// The instructions package's checks of one node (ParseInstruction).
Result<void> check_node(const Node& node);

// The command a keyword stands for: ASCII lower case, plus the one non-ASCII
// rune Go's strings.ToLower maps into a keyword (K, KELVIN SIGN -> 'k').
std::string lower_keyword(std::string_view word);
std::string upper_ascii(std::string_view word);

}  // namespace berth::build::detail
