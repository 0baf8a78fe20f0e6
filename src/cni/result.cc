#include "cni/result.h"

#include <arpa/inet.h>

#include "cni/config.h"

namespace berth::cni {

namespace {

using nlohmann::json;

// "10.0.0.5/24" or "fd00::5/64": an address and a prefix length that fits it.
bool is_cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string addr = s.substr(0, slash), prefix = s.substr(slash + 1);
  unsigned char buf[16];
  int max = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1)
    max = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1)
    max = 128;
  else
    return false;
  if (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(prefix) <= max;
}

Result<void> check_ips(const json& ips) {
  if (!ips.is_array()) return fail(Errc::InvalidArgument, "\"ips\" is not a list");
  for (const auto& ip : ips) {
    if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string())
      return fail(Errc::InvalidArgument, "an entry of \"ips\" has no \"address\"");
    if (!is_cidr(ip["address"].get<std::string>()))
      return fail(Errc::InvalidArgument, "ips address \"" + ip["address"].get<std::string>() +
                                             "\" is not an address/prefix");
    if (auto gw = ip.find("gateway"); gw != ip.end() && !gw->is_string())
      return fail(Errc::InvalidArgument, "an ips gateway is not a string");
    if (auto i = ip.find("interface"); i != ip.end() && !i->is_number_integer())
      return fail(Errc::InvalidArgument, "an ips interface index is not an integer");
  }
  return {};
}

Result<void> check_dns(const json& result) {
  auto dns = result.find("dns");
  if (dns == result.end() || dns->is_null()) return {};
  if (!dns->is_object()) return fail(Errc::InvalidArgument, "\"dns\" is not an object");
  for (const char* key : {"nameservers", "search", "options"}) {
    auto list = dns->find(key);
    if (list == dns->end()) continue;
    if (!list->is_array()) return fail(Errc::InvalidArgument, std::string("dns \"") + key + "\" is not a list");
    for (const auto& s : *list)
      if (!s.is_string()) return fail(Errc::InvalidArgument, std::string("dns \"") + key + "\" holds a non-string");
  }
  return {};
}

// 0.1.0/0.2.0: {"ip4": {"ip", "gateway", "routes"}, "ip6": {...}, "dns"}.
Result<json> legacy_to_v1(const json& r) {
  json out = {{"cniVersion", "1.0.0"}, {"ips", json::array()}, {"routes", json::array()}};
  for (const char* key : {"ip4", "ip6"}) {
    auto it = r.find(key);
    if (it == r.end() || it->is_null()) continue;
    if (!it->is_object() || !it->contains("ip") || !(*it)["ip"].is_string())
      return fail(Errc::InvalidArgument, std::string("\"") + key + "\" has no \"ip\"");
    json ip = {{"address", (*it)["ip"]}};
    if (it->contains("gateway")) ip["gateway"] = (*it)["gateway"];
    out["ips"].push_back(ip);
    if (auto routes = it->find("routes"); routes != it->end() && routes->is_array())
      for (const auto& route : *routes) out["routes"].push_back(route);
  }
  if (r.contains("dns")) out["dns"] = r["dns"];
  TRYV(check_ips(out["ips"]));
  TRYV(check_dns(out));
  return out;
}

}  // namespace

Result<json> result_to_v1(const json& result) {
  if (!result.is_object()) return fail(Errc::InvalidArgument, "the result is not a JSON object");
  auto version_it = result.find("cniVersion");
  if (version_it == result.end() || !version_it->is_string())
    return fail(Errc::InvalidArgument, "the result has no \"cniVersion\"");
  std::string version = version_it->get<std::string>();
  if (!is_known_version(version))
    return fail(Errc::InvalidArgument, "the result's cniVersion \"" + version + "\" is not one berth supports");
  if (!version_at_least(version, "0.3.0")) return legacy_to_v1(result);

  json out = result;
  out["cniVersion"] = "1.0.0";
  if (!out.contains("ips")) out["ips"] = json::array();
  TRYV(check_ips(out["ips"]));
  for (auto& ip : out["ips"]) ip.erase("version");  // 0.3.x/0.4.0 only: 1.0.0 reads it from the address
  if (auto ifs = out.find("interfaces"); ifs != out.end()) {
    if (!ifs->is_array()) return fail(Errc::InvalidArgument, "\"interfaces\" is not a list");
    for (const auto& i : *ifs) {
      if (!i.is_object()) return fail(Errc::InvalidArgument, "an entry of \"interfaces\" is not an object");
      for (const char* key : {"name", "mac", "sandbox"})
        if (auto f = i.find(key); f != i.end() && !f->is_string())
          return fail(Errc::InvalidArgument, std::string("an interface's \"") + key + "\" is not a string");
    }
  }
  TRYV(check_dns(out));
  return out;
}

AttachResult attach_result_from_v1(json v1) {
  AttachResult out;
  const json empty = json::array();
  const json& interfaces = v1.contains("interfaces") ? v1["interfaces"] : empty;
  for (const auto& ip : v1.value("ips", json::array())) {
    // An address on a host-side interface (no sandbox) is not the pod's.
    if (auto idx = ip.find("interface"); idx != ip.end() && idx->is_number_integer()) {
      auto i = idx->get<long long>();
      if (i >= 0 && static_cast<size_t>(i) < interfaces.size() &&
          interfaces[i].value("sandbox", std::string()).empty())
        continue;
    }
    IpResult r;
    r.address = ip.value("address", std::string());
    r.gateway = ip.value("gateway", std::string());
    r.version = r.address.find(':') != std::string::npos ? 6 : 4;
    out.ips.push_back(std::move(r));
  }
  if (auto dns = v1.find("dns"); dns != v1.end() && dns->is_object()) {
    for (const auto& s : dns->value("nameservers", json::array()))
      if (s.is_string()) out.dns_servers.push_back(s.get<std::string>());
    for (const auto& s : dns->value("search", json::array()))
      if (s.is_string()) out.dns_searches.push_back(s.get<std::string>());
  }
  out.raw = std::move(v1);
  return out;
}

}  // namespace berth::cni
