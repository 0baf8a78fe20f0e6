#include <fmt/format.h>

#include "api/client.h"
#include "base/strings.h"

namespace berth::api {

Result<Endpoint> Endpoint::parse(std::string_view address) {
  Endpoint ep;
  if (address.starts_with("unix://") || address.starts_with("/")) {
    ep.kind = Kind::Unix;
    ep.path = std::string(address.starts_with("/") ? address : address.substr(7));
    if (ep.path.empty() || ep.path[0] != '/')
      return fail(Errc::InvalidArgument, fmt::format("daemon address \"{}\": the socket path must be absolute", address));
    return ep;
  }
  if (address.starts_with("tcp://")) {
    std::string_view rest = address.substr(6);
    if (size_t slash = rest.find('/'); slash != rest.npos) rest = rest.substr(0, slash);  // "tcp://h:p/"
    ep.kind = Kind::Tcp;
    std::string_view port;
    if (rest.starts_with("[")) {  // [::1]:2375
      size_t close = rest.find(']');
      if (close == rest.npos)
        return fail(Errc::InvalidArgument, fmt::format("daemon address \"{}\": unterminated IPv6 address", address));
      ep.host = std::string(rest.substr(1, close - 1));
      rest = rest.substr(close + 1);
      if (rest.starts_with(":")) port = rest.substr(1);
    } else {
      size_t colon = rest.rfind(':');
      ep.host = std::string(rest.substr(0, colon));
      if (colon != rest.npos) port = rest.substr(colon + 1);
    }
    if (ep.host.empty()) ep.host = "127.0.0.1";
    if (port.empty()) {
      ep.port = 2375;  // Docker's default for plain tcp://host
    } else {
      auto p = parse_int(port);
      if (!p || *p <= 0 || *p > 65535)
        return fail(Errc::InvalidArgument, fmt::format("daemon address \"{}\": bad port \"{}\"", address, port));
      ep.port = static_cast<int>(*p);
    }
    return ep;
  }
  return fail(Errc::InvalidArgument,
              fmt::format("unsupported daemon address \"{}\": use unix:///path/to/socket or tcp://host:port", address));
}

}  // namespace berth::api
