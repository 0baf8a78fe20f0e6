#include "imagediff/packages.h"

#include <algorithm>
#include <charconv>

namespace berth::imagediff {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Field values end up in JSON and tables: no control characters there.
std::string clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  return out;
}

uint64_t to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : 0;
}

// Calls line(l) for each line (without its newline) and blank() between paragraphs.
template <class Line, class Blank>
void for_each_line(std::string_view text, Line&& line, Blank&& blank) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    if (trim(l).empty()) {
      blank();
    } else {
      line(l);
    }
    pos = end + 1;
  }
  blank();
}

bool dpkg_installed(std::string_view status) {
  // "want flag state": the state is the last word.
  auto space = status.rfind(' ');
  std::string_view state = space == std::string_view::npos ? status : status.substr(space + 1);
  return state != "not-installed" && state != "config-files";
}

void sort_packages(std::vector<Package>& v) {
  std::sort(v.begin(), v.end(), [](const Package& a, const Package& b) {
    return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
  });
}

}  // namespace

std::vector<Package> parse_dpkg_status(std::string_view text) {
  std::vector<Package> out;
  Package cur;
  std::string status;
  bool has_status = false, in_paragraph = false;
  auto end_paragraph = [&] {
    if (in_paragraph && !cur.name.empty() && (!has_status || dpkg_installed(status))) out.push_back(cur);
    cur = Package{};
    status.clear();
    has_status = in_paragraph = false;
  };
  for_each_line(
      text,
      [&](std::string_view l) {
        in_paragraph = true;
        if (l.front() == ' ' || l.front() == '\t') return;  // a continuation (Description, Conffiles)
        auto colon = l.find(':');
        if (colon == std::string_view::npos) return;
        std::string_view field = l.substr(0, colon), value = trim(l.substr(colon + 1));
        // Field names are case-insensitive in deb822; these are the ones dpkg writes.
        auto is = [&](std::string_view f) {
          return field.size() == f.size() && std::equal(field.begin(), field.end(), f.begin(), [](char a, char b) {
                   return (a | 0x20) == (b | 0x20);
                 });
        };
        // A field given twice in a paragraph (a damaged file): the first one counts.
        if (is("Package") && cur.name.empty()) cur.name = clean(value);
        else if (is("Version") && cur.version.empty()) cur.version = clean(value);
        else if (is("Architecture") && cur.architecture.empty()) cur.architecture = clean(value);
        else if (is("Installed-Size") && cur.size == 0) cur.size = to_u64(value) * 1024;
        else if (is("Status") && !has_status) status = std::string(value), has_status = true;
      },
      end_paragraph);
  sort_packages(out);
  return out;
}

std::vector<Package> parse_apk_installed(std::string_view text) {
  std::vector<Package> out;
  Package cur;
  auto end_package = [&] {
    if (!cur.name.empty()) out.push_back(cur);
    cur = Package{};
  };
  for_each_line(
      text,
      [&](std::string_view l) {
        if (l.size() < 2 || l[1] != ':') return;
        std::string_view value = trim(l.substr(2));
        switch (l[0]) {
          case 'P': cur.name = clean(value); break;
          case 'V': cur.version = clean(value); break;
          case 'A': cur.architecture = clean(value); break;
          case 'I': cur.size = to_u64(value); break;
          default: break;
        }
      },
      end_package);
  sort_packages(out);
  return out;
}

PackageIndex index_packages(const std::vector<Package>& packages) {
  std::map<std::string, int> count;
  for (const auto& p : packages) ++count[p.name];
  PackageIndex out;
  for (const auto& p : packages) {
    std::string key = count[p.name] > 1 ? p.name + ":" + p.architecture : p.name;
    out.insert_or_assign(key, p);
  }
  return out;
}

}  // namespace berth::imagediff
