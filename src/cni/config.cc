#include "cni/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "base/file.h"

namespace berth::cni {

namespace {

using nlohmann::json;

bool valid_name_chars(const std::string& s) {
  // libcni's rule: a letter or digit first, then letters, digits, '_', '.', '-'.
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Result<void> check_plugin(const json& plugin, size_t index, const std::string& source) {
  std::string where = source + ": plugins[" + std::to_string(index) + "]";
  if (!plugin.is_object()) return fail(Errc::InvalidArgument, where + " is not an object");
  auto type = plugin.find("type");
  if (type == plugin.end() || !type->is_string() || type->get<std::string>().empty())
    return fail(Errc::InvalidArgument, where + " has no \"type\" (the plugin binary to run)");
  const auto& t = type->get_ref<const std::string&>();
  if (t.find('/') != std::string::npos || t == "." || t == "..")
    return fail(Errc::InvalidArgument, where + ": type \"" + t + "\" is not a plain binary name");
  if (auto caps = plugin.find("capabilities"); caps != plugin.end() && !caps->is_object())
    return fail(Errc::InvalidArgument, where + ": \"capabilities\" must be an object of booleans");
  return {};
}

Result<std::string> string_field(const json& doc, const char* key, const std::string& source) {
  auto it = doc.find(key);
  if (it == doc.end()) return fail(Errc::InvalidArgument, source + ": no \"" + key + "\"");
  if (!it->is_string()) return fail(Errc::InvalidArgument, source + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

Result<void> check_header(const std::string& name, const std::string& version, const std::string& source) {
  if (auto ok = validate_network_name(name); !ok) return fail(Errc::InvalidArgument, source + ": " + ok.error().message);
  if (!is_known_version(version))
    return fail(Errc::InvalidArgument, source + ": cniVersion \"" + version +
                                           "\" is not one berth supports (0.1.0 to 1.1.0)");
  return {};
}

}  // namespace

bool is_known_version(const std::string& v) {
  static const char* known[] = {"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return v == k; });
}

bool version_at_least(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    std::vector<int> out;
    size_t pos = 0;
    while (pos <= v.size() && out.size() < 3) {
      size_t dot = v.find('.', pos);
      if (dot == std::string::npos) dot = v.size();
      int n = 0;
      std::from_chars(v.data() + pos, v.data() + dot, n);
      out.push_back(n);
      pos = dot + 1;
    }
    out.resize(3, 0);
    return out;
  };
  return parts(a) >= parts(b);
}

Result<void> validate_container_id(const std::string& id) {
  if (id.empty()) return fail(Errc::InvalidArgument, "no container id given");
  if (!valid_name_chars(id))
    return fail(Errc::InvalidArgument, "container id \"" + id +
                                           "\" must start with a letter or digit and hold only letters, digits, '_', '.', '-'");
  return {};
}

Result<void> validate_network_name(const std::string& name) {
  if (name.empty()) return fail(Errc::InvalidArgument, "network has no name");
  if (!valid_name_chars(name))
    return fail(Errc::InvalidArgument, "network name \"" + name +
                                           "\" must start with a letter or digit and hold only letters, digits, '_', '.', '-'");
  return {};
}

Result<void> validate_ifname(const std::string& ifname) {
  if (ifname.empty()) return fail(Errc::InvalidArgument, "no interface name given");
  if (ifname.size() > 15)
    return fail(Errc::InvalidArgument, "interface name \"" + ifname + "\" is longer than 15 characters");
  if (ifname == "." || ifname == "..")
    return fail(Errc::InvalidArgument, "interface name \"" + ifname + "\" is not allowed");
  for (char c : ifname)
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
      return fail(Errc::InvalidArgument, "interface name \"" + ifname + "\" holds '/', ':' or a space");
  return {};
}

Result<NetworkList> parse_network_list(const json& doc, const std::string& source) {
  if (!doc.is_object()) return fail(Errc::InvalidArgument, source + ": not a JSON object");
  NetworkList list;
  list.source = source;
  list.name = TRY(string_field(doc, "name", source));
  list.cni_version = TRY(string_field(doc, "cniVersion", source));
  TRYV(check_header(list.name, list.cni_version, source));
  auto plugins = doc.find("plugins");
  if (plugins == doc.end() || !plugins->is_array())
    return fail(Errc::InvalidArgument, source + ": no \"plugins\" list");
  if (plugins->empty()) return fail(Errc::InvalidArgument, source + ": \"plugins\" is empty");
  for (size_t i = 0; i < plugins->size(); ++i) {
    TRYV(check_plugin((*plugins)[i], i, source));
    list.plugins.push_back((*plugins)[i]);
  }
  list.raw = doc;
  return list;
}

Result<NetworkList> parse_single_network(const json& doc, const std::string& source) {
  if (!doc.is_object()) return fail(Errc::InvalidArgument, source + ": not a JSON object");
  if (doc.contains("plugins") && !doc.contains("type"))
    return fail(Errc::InvalidArgument, source + ": holds a plugin list; such a file must be named *.conflist");
  auto name = TRY(string_field(doc, "name", source));
  auto version = TRY(string_field(doc, "cniVersion", source));
  TRYV(check_header(name, version, source));
  TRYV(check_plugin(doc, 0, source));
  json wrapped = {{"cniVersion", version}, {"name", name}, {"plugins", json::array({doc})}};
  return parse_network_list(wrapped, source);
}

Result<NetworkList> load_network_file(const std::string& path) {
  auto text = TRY(read_file(path));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(Errc::InvalidArgument, path + ": not valid JSON");
  if (path.ends_with(".conflist")) return parse_network_list(doc, path);
  return parse_single_network(doc, path);
}

std::vector<ConfFile> list_conf_files(const std::vector<std::string>& conf_dirs) {
  std::vector<ConfFile> all;
  for (const auto& dir : conf_dirs) {
    std::vector<ConfFile> files;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.starts_with(".")) continue;
      if (!name.ends_with(".conflist") && !name.ends_with(".conf") && !name.ends_with(".json")) continue;
      struct stat st{};
      std::string path = it->path().string();
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      files.push_back({path, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, st.st_size});
    }
    std::sort(files.begin(), files.end(), [](const ConfFile& a, const ConfFile& b) { return a.path < b.path; });
    all.insert(all.end(), files.begin(), files.end());
  }
  return all;
}

ConfScan scan_conf_files(const std::vector<ConfFile>& files) {
  ConfScan scan;
  for (const auto& f : files) {
    auto list = load_network_file(f.path);
    if (list) {
      scan.found.push_back(std::move(*list));
      break;
    }
    scan.skipped.push_back(list.error().str());
  }
  return scan;
}

}  // namespace berth::cni
