#include "cli/table.h"

namespace berth::cli {

namespace {

size_t display_width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // code points, as tabwriter counts runes
  return n;
}

struct Tabwriter {
  size_t minwidth, padding;
  std::vector<std::vector<std::string>> lines = {};  // cells; the last one is the trailing text
  std::vector<size_t> widths = {};
  std::string out = {};

  void write_lines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const auto& line = lines[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out += line[j];
        if (j < widths.size()) {  // as Go: any cell inside the current columns
          size_t w = display_width(line[j]);
          if (widths[j] > w) out.append(widths[j] - w, ' ');
        }
      }
      if (i + 1 < lines.size()) out += '\n';
    }
  }

  // Go's tabwriter.format: recursive over column blocks.
  void format(size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t cur = line0; cur < line1; ++cur) {
      if (column + 1 >= lines[cur].size()) continue;
      write_lines(line0, cur);
      line0 = cur;
      size_t width = minwidth;
      for (; cur < line1; ++cur) {
        if (column + 1 >= lines[cur].size()) break;
        width = std::max(width, display_width(lines[cur][column]) + padding);
      }
      widths.push_back(width);
      format(line0, cur);
      widths.pop_back();
      line0 = cur;
    }
    write_lines(line0, line1);
  }
};

}  // namespace

std::string tabwrite(std::string_view text, size_t minwidth, size_t padding) {
  Tabwriter tw{.minwidth = minwidth, .padding = padding};
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    std::vector<std::string> cells;
    size_t c = 0;
    while (true) {
      size_t tab = line.find('\t', c);
      if (tab == std::string_view::npos) {
        cells.emplace_back(line.substr(c));
        break;
      }
      cells.emplace_back(line.substr(c, tab - c));
      c = tab + 1;
    }
    tw.lines.push_back(std::move(cells));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  tw.format(0, tw.lines.size());
  return tw.out;
}

Result<std::string> render_list(std::string_view format, std::string_view default_table, const Json& header,
                                const std::vector<Json>& rows) {
  std::string f(format);
  if (f.empty() || f == "table") f = default_table;
  if (f == "json") f = "{{json .}}";
  bool table = f.starts_with("table");
  if (table) f = f.substr(5);
  // docker-cli trims spaces around the template and turns literal \t, \n into tab, newline.
  size_t b = f.find_first_not_of(' '), e = f.find_last_not_of(' ');
  f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  std::string unescaped;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
      unescaped += f[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      unescaped += f[i];
    }
  }
  auto tmpl = TRY(Template::parse(unescaped));
  std::string body;
  if (table) body = TRY(tmpl.execute(header, true)) + "\n";
  for (const auto& row : rows) body += TRY(tmpl.execute(row)) + "\n";
  if (!table) return body;
  return tabwrite(body);
}

std::string indent_json(std::string_view raw) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<size_t>(d) * 4, ' ');
  };
  auto next_significant = [&](size_t i) {
    while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r')) ++i;
    return i;
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < raw.size()) out += raw[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case ' ': case '\t': case '\n': case '\r':
        break;
      case '"':
        in_string = true;
        out += c;
        break;
      case '{': case '[': {
        out += c;
        size_t n = next_significant(i + 1);
        if (n < raw.size() && (raw[n] == '}' || raw[n] == ']')) {
          out += raw[n];  // empty: "{}" / "[]" on one line
          i = n;
        } else {
          newline(++depth);
        }
        break;
      }
      case '}': case ']':
        newline(--depth);
        out += c;
        break;
      case ',':
        out += c;
        newline(depth);
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace berth::cli
