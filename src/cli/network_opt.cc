#include "cli/network_opt.h"

#include <regex>

#include <fmt/format.h>

#include "base/strings.h"
#include "cli/go_compat.h"

namespace berth::cli {

bool user_defined_network(const std::string& mode) {
  return mode != "default" && mode != "bridge" && mode != "host" && mode != "none" && !mode.starts_with("container:");
}

Result<NetworkAttachment> parse_network_opt(const std::string& value) {
  NetworkAttachment n;
  static const std::regex long_syntax(R"(\w+=\w+(,\w+=\w+)*)");
  if (!std::regex_search(value, long_syntax)) {
    n.target = value;
    return n;
  }
  auto fields = TRY(csv_fields(value));
  for (const auto& raw : fields) {
    std::string field = to_lower(raw);  // as docker-cli 28: the whole field, values too
    size_t eq = field.find('=');
    if (eq == std::string::npos || eq == 0) return fail(Errc::InvalidArgument, "invalid field " + raw);
    std::string key = std::string(trim(field.substr(0, eq))), val = field.substr(eq + 1);
    if (key == "name") {
      n.target = val;
    } else if (key == "alias") {
      n.aliases.push_back(val);
    } else if (key == "ip") {
      n.ipv4 = val;
    } else if (key == "ip6") {
      n.ipv6 = val;
    } else if (key == "mac-address") {
      n.mac_address = val;
    } else if (key == "driver-opt") {
      size_t e = val.find('=');
      std::string k = std::string(trim(val.substr(0, e)));
      if (e == std::string::npos || k.empty()) {
        return fail(Errc::InvalidArgument, "invalid key value pair format in driver options");
      }
      n.driver_opts.emplace_back(k, std::string(trim(val.substr(e + 1))));
    } else {
      return fail(Errc::InvalidArgument, "invalid field key " + key);
    }
  }
  if (n.target.empty()) return fail(Errc::InvalidArgument, "network name/id is not specified");
  return n;
}

Json endpoint_settings(Json ipam, Json links, Json aliases, Json driver_opts) {
  Json ep = Json::object();
  ep["IPAMConfig"] = std::move(ipam);
  ep["Links"] = std::move(links);
  ep["Aliases"] = std::move(aliases);
  ep["MacAddress"] = "";
  ep["DriverOpts"] = std::move(driver_opts);
  ep["GwPriority"] = 0;
  ep["NetworkID"] = "";
  ep["EndpointID"] = "";
  ep["Gateway"] = "";
  ep["IPAddress"] = "";
  ep["IPPrefixLen"] = 0;
  ep["IPv6Gateway"] = "";
  ep["GlobalIPv6Address"] = "";
  ep["GlobalIPv6PrefixLen"] = 0;
  ep["DNSNames"] = nullptr;
  return ep;
}

}  // namespace berth::cli
