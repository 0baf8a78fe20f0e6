#include "compose/interpolation.h"

#include <fmt/format.h>

#include <algorithm>

namespace berth::compose {

namespace {

bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

// Nesting of defaults is bounded so a hostile file cannot exhaust the stack.
constexpr int kMaxNesting = 64;

struct Interpolator {
  const Lookup& lookup;
  std::vector<std::string>* unset;
  std::string_view whole;  // the text as given, for "Invalid template"

  auto invalid() const { return fail(Errc::InvalidArgument, fmt::format("Invalid template: \"{}\"", whole)); }

  void note_unset(const std::string& name) {
    if (unset && std::find(unset->begin(), unset->end(), name) == unset->end()) unset->push_back(name);
  }

  Result<std::string> run(std::string_view text, int depth) {
    if (depth > kMaxNesting) return invalid();
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (c != '$') {
        out += c;
        ++i;
        continue;
      }
      if (i + 1 >= text.size()) return invalid();
      char next = text[i + 1];
      if (next == '$') {
        out += '$';
        i += 2;
      } else if (name_start(next)) {
        size_t end = i + 1;
        while (end < text.size() && name_char(text[end])) ++end;
        out += value_or_blank(std::string(text.substr(i + 1, end - i - 1)));
        i = end;
      } else if (next == '{') {
        size_t close = matching_brace(text, i + 1);
        if (close == std::string_view::npos) return invalid();
        out += TRY(braced(text.substr(i + 2, close - i - 2), depth));
        i = close + 1;
      } else {
        return invalid();
      }
    }
    return out;
  }

  std::string value_or_blank(const std::string& name) {
    if (auto v = lookup(name)) return *v;
    note_unset(name);
    return "";
  }

  // The `}` closing the `{` at open, skipping nested `${...}`.
  static size_t matching_brace(std::string_view text, size_t open) {
    int depth = 0;
    for (size_t j = open + 1; j < text.size(); ++j) {
      if (text[j] == '$' && j + 1 < text.size() && text[j + 1] == '$') {
        ++j;
      } else if (text[j] == '$' && j + 1 < text.size() && text[j + 1] == '{') {
        ++depth;
        ++j;
      } else if (text[j] == '{') {
        ++depth;
      } else if (text[j] == '}') {
        if (depth == 0) return j;
        --depth;
      }
    }
    return std::string_view::npos;
  }

  Result<std::string> braced(std::string_view body, int depth) {
    size_t n = 0;
    if (body.empty() || !name_start(body[0])) return invalid();
    while (n < body.size() && name_char(body[n])) ++n;
    std::string name(body.substr(0, n));
    std::string_view rest = body.substr(n);
    if (rest.empty()) return value_or_blank(name);
    bool colon = rest[0] == ':';
    if (colon) rest.remove_prefix(1);
    if (rest.empty()) return invalid();
    char op = rest[0];
    std::string_view arg = rest.substr(1);
    std::optional<std::string> value = lookup(name);
    // With a colon, an empty value counts as unset.
    bool missing = !value || (colon && value->empty());
    switch (op) {
      case '-':
        if (missing) return run(arg, depth + 1);
        return *value;
      case '?':
        if (missing) {
          std::string why = TRY(run(arg, depth + 1));
          if (why.empty()) return fail(Errc::InvalidArgument, fmt::format("required variable {} is missing a value", name));
          return fail(Errc::InvalidArgument, fmt::format("required variable {} is missing a value: {}", name, why));
        }
        return *value;
      case '+':
        if (missing) return std::string();
        return run(arg, depth + 1);
      default:
        return invalid();
    }
  }
};

Result<void> walk(Node& n, std::string& path, const Lookup& lookup, std::vector<std::string>* unset) {
  switch (n.kind) {
    case Node::Kind::Scalar: {
      if (n.scalar.find('$') == std::string::npos) return {};
      auto v = interpolate(n.scalar, lookup, unset);
      if (!v) {
        return fail(Errc::InvalidArgument,
                    fmt::format("{}: error while interpolating {}: {}", where(n.mark), path, v.error().message));
      }
      n.scalar = std::move(*v);
      n.plain = false;  // a substituted value is a string, as compose-go leaves it
      return {};
    }
    case Node::Kind::Sequence:
      for (size_t i = 0; i < n.items.size(); ++i) {
        size_t len = path.size();
        path += fmt::format(".{}", i);
        TRYV(walk(n.items[i], path, lookup, unset));
        path.resize(len);
      }
      return {};
    case Node::Kind::Mapping:
      for (auto& [k, v] : n.entries) {
        size_t len = path.size();
        if (!path.empty()) path += '.';
        path += k;
        TRYV(walk(v, path, lookup, unset));
        path.resize(len);
      }
      return {};
    case Node::Kind::Null:
      return {};
  }
  return {};
}

}  // namespace

Result<std::string> interpolate(std::string_view text, const Lookup& lookup, std::vector<std::string>* unset) {
  Interpolator in{lookup, unset, text};
  return in.run(text, 0);
}

Result<void> interpolate_tree(Node& root, const Lookup& lookup, std::vector<std::string>* unset) {
  std::string path;
  return walk(root, path, lookup, unset);
}

}  // namespace berth::compose
