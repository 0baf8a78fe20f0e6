// The tables of `berth image diff`, laid out as container-diff's (a
// "-----Type-----" heading, then "These entries ..." lists aligned with Go's
// tabwriter), from the daemon's JSON.
#include <fmt/format.h>

#include "cli/image_diff.h"
#include "cli/table.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t num(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// A member, or null when missing (operator[] on a const JSON must not miss).
const Json& at(const Json& j, const char* key) {
  static const Json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it != j.end() ? *it : null;
}

const Json& list(const Json& j, const char* key) {
  static const Json empty = Json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

std::string size_text(int64_t bytes) { return bytes < 0 ? "-" : human_size(static_cast<double>(bytes)); }

// "-rwxr-xr-x", "drwxr-xr-x", with s/S and t/T as ls shows setuid, setgid and sticky.
std::string mode_text(const Json& f) {
  std::string type = str(f, "type");
  char kind = type == "dir" ? 'd' : type == "symlink" ? 'l' : type == "char" ? 'c' : type == "block" ? 'b'
              : type == "fifo" ? 'p' : type == "socket" ? 's' : '-';
  auto mode = static_cast<unsigned>(num(f, "mode"));
  std::string s(1, kind);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s += (mode & (0400u >> i)) ? rwx[i] : '-';
  auto special = [&](int at, unsigned bit, char set) {
    bool x = s[at] != '-';
    if (mode & bit) s[at] = x ? set : static_cast<char>(set - 'a' + 'A');
  };
  special(3, 04000, 's');
  special(6, 02000, 's');
  special(9, 01000, 't');
  return s;
}

std::string file_size(const Json& f) { return str(f, "type") == "file" ? size_text(num(f, "size")) : "-"; }

std::string value_text(const Json& v) {
  if (v.is_null()) return "<none>";
  if (v.is_string()) return v.get<std::string>().empty() ? "\"\"" : v.get<std::string>();
  return v.dump();
}

std::string heading(const std::string& title) { return "\n-----" + title + "-----\n\n"; }

// "TITLE: None\n" or "TITLE:\n" + the aligned table.
std::string section(const std::string& title, const std::string& header, const std::vector<std::string>& rows) {
  if (rows.empty()) return title + ": None\n\n";
  std::string text = header + "\n";
  for (const auto& r : rows) text += r + "\n";
  return title + ":\n" + tabwrite(text) + "\n";
}

std::string render_size(const Json& s, const std::string& a, const std::string& b) {
  std::string text = heading("Size");
  int64_t ta = num(at(s, "a"), "total"), tb = num(at(s, "b"), "total"), d = num(s, "difference");
  text += section(fmt::format("Image size difference between {} and {}", a, b), "SIZE1\tSIZE2\tDIFFERENCE",
                  {fmt::format("{}\t{}\t{}{}", size_text(ta), size_text(tb), d < 0 ? "-" : "+", size_text(d < 0 ? -d : d))});
  const Json& la = list(at(s, "a"), "layers");
  const Json& lb = list(at(s, "b"), "layers");
  std::vector<std::string> rows;
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    auto cell = [&](const Json& l) {
      if (i >= l.size()) return std::string("\t");
      return short_id(str(l[i], "diff_id")) + "\t" + size_text(num(l[i], "size"));
    };
    bool shared = i < la.size() && la[i].value("shared", false);
    rows.push_back(fmt::format("{}\t{}\t{}\t{}", i + 1, cell(la), cell(lb), shared ? "shared" : ""));
  }
  text += section("Layers", "LAYER\tDIFF ID (1)\tSIZE1\tDIFF ID (2)\tSIZE2\t", rows);
  return text;
}

std::string render_files(const Json& f, const std::string& a, const std::string& b) {
  std::string text = heading("File");
  auto entries = [](const Json& l) {
    std::vector<std::string> rows;
    for (const auto& e : l) rows.push_back(fmt::format("{}\t{}\t{}", str(e, "path"), file_size(e), mode_text(e)));
    return rows;
  };
  text += section("These entries have been added to " + b, "FILE\tSIZE\tMODE", entries(list(f, "added")));
  text += section("These entries of " + a + " have been deleted in " + b, "FILE\tSIZE\tMODE", entries(list(f, "removed")));
  std::vector<std::string> changed;
  for (const auto& c : list(f, "changed")) {
    std::string what;
    for (const auto& w : list(c, "what")) what += (what.empty() ? "" : ",") + w.get<std::string>();
    changed.push_back(fmt::format("{}\t{}\t{}\t{}\t{}\t{}", str(c, "path"), file_size(at(c, "a")), file_size(at(c, "b")),
                                  mode_text(at(c, "a")), mode_text(at(c, "b")), what));
  }
  text += section("These entries have been changed between " + a + " and " + b,
                  "FILE\tSIZE1\tSIZE2\tMODE1\tMODE2\tCHANGED", changed);
  return text;
}

std::string render_history(const Json& h, const std::string& a, const std::string& b) {
  std::string text = heading("History");
  text += fmt::format("Both images start with the same {} history lines.\n\n", num(h, "shared"));
  for (auto [key, name] : {std::pair{"only_a", a}, std::pair{"only_b", b}}) {
    const Json& l = list(h, key);
    text += "Docker history lines found only in " + name + ":";
    if (l.empty()) text += " None";
    text += "\n";
    for (const auto& e : l) text += "-" + str(e, "created_by") + "\n";
    text += "\n";
  }
  return text;
}

std::string render_metadata(const Json& m, const std::string& a, const std::string& b) {
  std::vector<std::string> rows;
  for (const auto& c : m)
    rows.push_back(fmt::format("{}\t{}\t{}\t{}", str(c, "field"), str(c, "key"), value_text(at(c, "a")), value_text(at(c, "b"))));
  return heading("Metadata") +
         section("Image metadata differences between " + a + " and " + b, "FIELD\tKEY\tIMAGE1\tIMAGE2", rows);
}

std::string render_packages(const Json& p, const std::string& title, const std::string& database,
                            const std::string& a, const std::string& b) {
  std::string text = heading(title);
  for (auto [key, name] : {std::pair{"a_has_database", a}, std::pair{"b_has_database", b}})
    if (!p.value(key, false)) text += name + " has no package database (" + database + ").\n\n";
  auto packages = [](const Json& l) {
    std::vector<std::string> rows;
    for (const auto& e : l)
      rows.push_back(fmt::format("-{}\t{}\t{}", str(e, "name"), str(e, "version"), size_text(num(e, "size"))));
    return rows;
  };
  text += section("Packages found only in " + a, "NAME\tVERSION\tSIZE", packages(list(p, "only_a")));
  text += section("Packages found only in " + b, "NAME\tVERSION\tSIZE", packages(list(p, "only_b")));
  std::vector<std::string> changed;
  for (const auto& c : list(p, "changed"))
    changed.push_back(fmt::format("-{}\t{}, {}\t{}, {}", str(c, "name"), str(at(c, "a"), "version"),
                                  size_text(num(at(c, "a"), "size")), str(at(c, "b"), "version"), size_text(num(at(c, "b"), "size"))));
  text += section("Version differences", "PACKAGE\tIMAGE1 (" + a + ")\tIMAGE2 (" + b + ")", changed);
  return text;
}

}  // namespace

std::string render_image_diff(const Json& r) {
  std::string a = str(at(r, "a"), "name"), b = str(at(r, "b"), "name");
  std::string text;
  for (const auto& t : list(r, "types")) {
    std::string type = t.is_string() ? t.get<std::string>() : "";
    if (!r.contains(type)) continue;
    const Json& part = at(r, type.c_str());
    if (type == "size") text += render_size(part, a, b);
    else if (type == "file") text += render_files(part, a, b);
    else if (type == "history") text += render_history(part, a, b);
    else if (type == "metadata") text += render_metadata(part, a, b);
    else if (type == "apt") text += render_packages(part, "Apt", "/var/lib/dpkg/status", a, b);
    else if (type == "apk") text += render_packages(part, "Apk", "/lib/apk/db/installed", a, b);
  }
  // No trailing spaces (an empty last column), one blank line between
  // sections, none at the very start or end.
  std::string tidy;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    while (line.ends_with(" ")) line.pop_back();
    if (!line.empty() || (!tidy.empty() && !tidy.ends_with("\n\n"))) tidy += line + "\n";
    pos = end + 1;
  }
  while (tidy.ends_with("\n\n")) tidy.pop_back();
  return tidy;
}

}  // namespace berth::cli
