#include "compose/dotenv.h"

#include <fmt/format.h>

namespace berth::compose {

namespace {

bool key_char(char c) {
  return c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool blank(char c) { return c == ' ' || c == '\t'; }

struct Parser {
  std::string_view text;
  const std::string& file;
  const Lookup& env;
  size_t pos = 0;
  int line = 1;
  EnvEntries entries;

  auto error(const std::string& what) const {
    return fail(Errc::InvalidArgument, fmt::format("failed to read {}: line {}: {}", file, line, what));
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (auto v = env(name)) return v;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      if (it->first == name) return it->second;
    return std::nullopt;
  }

  Result<std::string> expand(std::string_view value) const {
    Lookup l = [this](const std::string& name) { return lookup(name); };
    auto v = interpolate(value, l);
    // A lone `$` is text here (godotenv expands only what reads as a variable).
    if (!v && v.error().message.starts_with("Invalid template")) return std::string(value);
    if (!v) return error(v.error().message);
    return v;
  }

  void skip_line() {
    while (pos < text.size() && text[pos] != '\n') ++pos;
    if (pos < text.size()) {
      ++pos;
      ++line;
    }
  }

  Result<EnvEntries> run() {
    while (pos < text.size()) {
      while (pos < text.size() && (blank(text[pos]) || text[pos] == '\r')) ++pos;
      if (pos >= text.size()) break;
      if (text[pos] == '\n') {
        ++pos;
        ++line;
        continue;
      }
      if (text[pos] == '#') {
        skip_line();
        continue;
      }
      TRYV(entry());
    }
    return std::move(entries);
  }

  Result<void> entry() {
    if (text.substr(pos, 7) == "export " || text.substr(pos, 7) == "export\t") {
      pos += 7;
      while (pos < text.size() && blank(text[pos])) ++pos;
    }
    size_t start = pos;
    while (pos < text.size() && text[pos] != '=' && text[pos] != ':' && text[pos] != '\n' && !blank(text[pos])) ++pos;
    std::string key(text.substr(start, pos - start));
    while (pos < text.size() && blank(text[pos])) ++pos;
    for (char c : key) {
      if (!key_char(c)) return error(fmt::format("unexpected character \"{}\" in variable name \"{}\"", c, key));
    }
    if (key.empty()) return error(fmt::format("unexpected character \"{}\" in variable name", text[pos]));
    if (pos >= text.size() || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '#') {
      // A bare KEY: its value comes from the environment, if set there.
      if (auto v = env(key)) entries.emplace_back(key, *v);
      skip_line();
      return {};
    }
    if (text[pos] != '=' && text[pos] != ':') {
      return error(fmt::format("unexpected character \"{}\" in variable name \"{}\"", text[pos], key));
    }
    ++pos;
    while (pos < text.size() && blank(text[pos])) ++pos;
    std::string value = TRY(read_value());
    entries.emplace_back(key, std::move(value));
    return {};
  }

  Result<std::string> read_value() {
    if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) return quoted(text[pos]);
    size_t start = pos;
    while (pos < text.size() && text[pos] != '\n') ++pos;
    std::string_view raw = text.substr(start, pos - start);
    // An inline comment starts at " #".
    for (size_t i = 1; i < raw.size(); ++i) {
      if (raw[i] == '#' && blank(raw[i - 1])) {
        raw = raw.substr(0, i);
        break;
      }
    }
    while (!raw.empty() && (blank(raw.back()) || raw.back() == '\r')) raw.remove_suffix(1);
    std::string value = TRY(expand(raw));  // errors name this line, so before moving on
    skip_line();
    return value;
  }

  Result<std::string> quoted(char quote) {
    int first_line = line;
    ++pos;
    std::string raw;
    while (true) {
      if (pos >= text.size()) {
        line = first_line;
        return error(fmt::format("unterminated quoted value {}", quote));
      }
      char c = text[pos];
      if (c == '\n') ++line;
      if (c == quote) break;
      if (quote == '"' && c == '\\' && pos + 1 < text.size()) {
        char e = text[pos + 1];
        pos += 2;
        switch (e) {
          case 'n': raw += '\n'; break;
          case 't': raw += '\t'; break;
          case 'r': raw += '\r'; break;
          case '\\': raw += '\\'; break;
          case '"': raw += '"'; break;
          case '$': raw += "$$"; break;  // kept literal through expansion
          default: raw += '\\'; raw += e;
        }
        continue;
      }
      raw += c;
      ++pos;
    }
    ++pos;  // the closing quote; the rest of the line may hold only a comment
    while (pos < text.size() && (blank(text[pos]) || text[pos] == '\r')) ++pos;
    if (pos < text.size() && text[pos] != '\n' && text[pos] != '#') {
      return error(fmt::format("unexpected character \"{}\" after quoted value", text[pos]));
    }
    if (quote == '\'') {
      skip_line();
      return raw;
    }
    std::string value = TRY(expand(raw));
    skip_line();
    return value;
  }
};

}  // namespace

Result<EnvEntries> parse_dotenv(std::string_view text, const std::string& file, const Lookup& lookup) {
  Parser p{text, file, lookup};
  return p.run();
}

}  // namespace berth::compose
