// The YAML of a Compose file as a plain tree the loader can merge and rewrite
// freely (yaml-cpp's nodes share structure, which merging would corrupt).
// Every node remembers where it came from, for error messages.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::compose {

struct Mark {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

struct NodeEntry;

struct Node {
  enum class Kind { Null, Scalar, Sequence, Mapping };
  Kind kind = Kind::Null;
  std::string tag;      // "!reset", "!override", or "" (standard tags are dropped)
  std::string scalar;   // Scalar only
  bool plain = false;   // an unquoted scalar: may read as a number, bool or null
  std::vector<Node> items;                          // Sequence
  std::vector<NodeEntry> entries;  // Mapping, in file order
  Mark mark;

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_sequence() const { return kind == Kind::Sequence; }
  bool is_mapping() const { return kind == Kind::Mapping; }

  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Sets (replacing) or appends key.
  Node& set(const std::string& key, Node value);
  bool erase(std::string_view key);

  static Node make_scalar(std::string value, bool plain = false);
  static Node make_mapping();
  static Node make_sequence();
};

// A mapping's key and value (a struct, not std::pair, so Node may hold a
// vector of them while still incomplete).
struct NodeEntry {
  std::string first;
  Node second;
};

// What YAML says a plain scalar is, in go-yaml v3's (YAML 1.2 core) terms.
enum class ScalarType { String, Int, Float, Bool, Null };
ScalarType scalar_type(const Node& n);

// Parses YAML text (one document; an empty file is an empty mapping).
// Errors read "FILE:LINE:COL: yaml: WHAT" (never yaml-cpp's own text); merge
// keys (`<<`) are applied; a key given twice is an error, as in go-yaml.
Result<Node> parse_yaml(std::string_view text, const std::string& file);

// "file:line:col" of a node, or the file alone.
std::string where(const Mark& m);

}  // namespace berth::compose
