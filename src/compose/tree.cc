#include "compose/tree.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <regex>

namespace berth::compose {

const Node* Node::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

Node& Node::set(const std::string& key, Node value) {
  kind = Kind::Mapping;
  if (Node* existing = find(key)) return *existing = std::move(value);
  entries.emplace_back(key, std::move(value));
  return entries.back().second;
}

bool Node::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first == key) {
      entries.erase(it);
      return true;
    }
  }
  return false;
}

Node Node::make_scalar(std::string value, bool plain) {
  Node n;
  n.kind = Kind::Scalar;
  n.scalar = std::move(value);
  n.plain = plain;
  return n;
}

Node Node::make_mapping() {
  Node n;
  n.kind = Kind::Mapping;
  return n;
}

Node Node::make_sequence() {
  Node n;
  n.kind = Kind::Sequence;
  return n;
}

ScalarType scalar_type(const Node& n) {
  if (n.kind == Node::Kind::Null) return ScalarType::Null;
  if (!n.plain) return ScalarType::String;
  // YAML 1.2 core schema, the resolution go-yaml v3 applies to plain scalars.
  static const std::regex null_re("~|null|Null|NULL|");
  static const std::regex bool_re("true|True|TRUE|false|False|FALSE");
  static const std::regex int_re("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex float_re(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  const std::string& s = n.scalar;
  if (std::regex_match(s, null_re)) return ScalarType::Null;
  if (std::regex_match(s, bool_re)) return ScalarType::Bool;
  if (std::regex_match(s, int_re)) return ScalarType::Int;
  if (std::regex_match(s, float_re)) return ScalarType::Float;
  return ScalarType::String;
}

std::string where(const Mark& m) {
  if (m.line == 0) return m.file;
  return fmt::format("{}:{}:{}", m.file, m.line, m.column);
}

namespace {

// Aliases can make a small file a huge tree ("billion laughs"); go-yaml
// refuses such documents too.
constexpr size_t kMaxNodes = 200000;
constexpr int kMaxDepth = 200;

struct Converter {
  const std::string& file;
  size_t nodes = 0;

  Mark mark_of(const YAML::Node& y) const {
    YAML::Mark m = y.Mark();
    if (m.line < 0) return Mark{file, 0, 0};
    return Mark{file, m.line + 1, m.column + 1};
  }

  Result<Node> convert(const YAML::Node& y, int depth) {
    if (++nodes > kMaxNodes) {
      return fail(Errc::InvalidArgument, fmt::format("{}: yaml: document contains excessive aliasing", file));
    }
    if (depth > kMaxDepth) {
      return fail(Errc::InvalidArgument, fmt::format("{}: yaml: exceeded max depth of {}", where(mark_of(y)), kMaxDepth));
    }
    Node n;
    n.mark = mark_of(y);
    const std::string& tag = y.Tag();
    if (!tag.empty() && tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0) n.tag = tag;
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        n.kind = Node::Kind::Null;
        return n;
      case YAML::NodeType::Scalar:
        n.kind = Node::Kind::Scalar;
        n.scalar = y.Scalar();
        n.plain = tag == "?";
        if (tag == "tag:yaml.org,2002:null") n.kind = Node::Kind::Null;
        return n;
      case YAML::NodeType::Sequence:
        n.kind = Node::Kind::Sequence;
        for (const auto& item : y) n.items.push_back(TRY(convert(item, depth + 1)));
        return n;
      case YAML::NodeType::Map: {
        n.kind = Node::Kind::Mapping;
        std::vector<Node> merges;
        for (const auto& kv : y) {
          if (!kv.first.IsScalar()) {
            return fail(Errc::InvalidArgument,
                        fmt::format("{}: yaml: only string keys are allowed in a mapping", where(mark_of(kv.first))));
          }
          std::string key = kv.first.Scalar();
          if (key == "<<" && kv.first.Tag() == "?") {
            merges.push_back(TRY(convert(kv.second, depth + 1)));
            continue;
          }
          if (n.find(key)) {
            return fail(Errc::InvalidArgument, fmt::format("{}: yaml: mapping key \"{}\" already defined",
                                                           where(mark_of(kv.first)), key));
          }
          n.entries.emplace_back(key, TRY(convert(kv.second, depth + 1)));
        }
        TRYV(apply_merges(n, merges));
        return n;
      }
    }
    return n;
  }

  // `<<: *anchor` or `<<: [*a, *b]`: keys not already present come from the
  // merged mappings, earlier ones first.
  Result<void> apply_merges(Node& n, const std::vector<Node>& merges) {
    for (const Node& m : merges) {
      std::vector<const Node*> sources;
      if (m.is_mapping()) {
        sources.push_back(&m);
      } else if (m.is_sequence()) {
        for (const Node& item : m.items) sources.push_back(&item);
      }
      if (sources.empty() && !m.is_null()) {
        return fail(Errc::InvalidArgument,
                    fmt::format("{}: yaml: map merge requires map or sequence of maps as the value", where(m.mark)));
      }
      for (const Node* src : sources) {
        if (!src->is_mapping()) {
          return fail(Errc::InvalidArgument,
                      fmt::format("{}: yaml: map merge requires map or sequence of maps as the value", where(src->mark)));
        }
        for (const auto& [k, v] : src->entries)
          if (!n.find(k)) n.entries.emplace_back(k, v);
      }
    }
    return {};
  }
};

// yaml-cpp's messages, in go-yaml's words where it has them.
std::string reword(const std::string& msg) {
  struct Pair {
    const char* cpp;
    const char* go;
  };
  static const Pair pairs[] = {
      {"end of map not found", "did not find expected key"},
      {"end of map flow not found", "did not find expected ',' or '}'"},
      {"end of sequence not found", "did not find expected '-' indicator"},
      {"end of sequence flow not found", "did not find expected ',' or ']'"},
      {"illegal map value", "mapping values are not allowed in this context"},
      {"unknown anchor", "unknown anchor referenced"},
      {"unknown escape character", "found unknown escape character"},
      {"illegal tab when looking for indentation", "found character that cannot start any token"},
      {"block sequence entries are not allowed in this context", "block sequence entries are not allowed in this context"},
      {"unexpected end of file", "unexpected end of file"},
      {"invalid character", "found character that cannot start any token"},
      {"end of", "did not find the expected end of a structure"},
      {"recursion", "exceeded max depth"},
  };
  for (const Pair& p : pairs)
    if (msg.find(p.cpp) != std::string::npos) return p.go;
  return "invalid YAML";
}

}  // namespace

Result<Node> parse_yaml(std::string_view text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    if (e.mark.line < 0) return fail(Errc::InvalidArgument, fmt::format("{}: yaml: {}", file, reword(e.msg)));
    return fail(Errc::InvalidArgument,
                fmt::format("{}:{}:{}: yaml: {}", file, e.mark.line + 1, e.mark.column + 1, reword(e.msg)));
  } catch (const std::exception&) {
    return fail(Errc::InvalidArgument, fmt::format("{}: yaml: invalid YAML", file));
  }
  Converter c{file};
  Node n;
  try {
    n = TRY(c.convert(root, 0));
  } catch (const YAML::Exception& e) {
    return fail(Errc::InvalidArgument, fmt::format("{}: yaml: {}", file, reword(e.msg)));
  }
  if (n.is_null()) return Node::make_mapping();
  return n;
}

}  // namespace berth::compose
