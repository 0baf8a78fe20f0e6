// Top-level networks, volumes, configs and secrets.
#include <fmt/format.h>

#include "compose/convert.h"
#include "compose/diagnostics.h"
#include "compose/fields.h"

namespace berth::compose {

Result<NetworkConfig> convert_network(const std::string& name, const Node& node) {
  Fields f = TRY(Fields::of(node, "networks." + name));
  NetworkConfig n;
  TRYV(f.str("name", n.name));
  TRYV(f.str("driver", n.driver));
  TRYV(f.string_map("driver_opts", n.driver_opts));
  if (const Node* ipam = f.get("ipam"); ipam && !ipam->is_null()) {
    Fields inf = TRY(Fields::of(*ipam, f.sub("ipam")));
    NetworkConfig::Ipam i;
    TRYV(inf.str("driver", i.driver));
    TRYV(inf.string_map("options", i.options));
    if (const Node* pools = inf.get("config"); pools && pools->is_sequence()) {
      for (size_t k = 0; k < pools->items.size(); ++k) {
        Fields pf = TRY(Fields::of(pools->items[k], fmt::format("{}.{}", inf.sub("config"), k)));
        IpamPool p;
        TRYV(pf.str("subnet", p.subnet));
        TRYV(pf.str("ip_range", p.ip_range));
        TRYV(pf.str("gateway", p.gateway));
        TRYV(pf.string_map("aux_addresses", p.aux_addresses));
        TRYV(pf.finish());
        i.config.push_back(p);
      }
    }
    TRYV(inf.finish());
    n.ipam = i;
  }
  TRYV(f.boolean("external", n.external));
  TRYV(f.boolean("internal", n.internal));
  TRYV(f.boolean("attachable", n.attachable));
  TRYV(f.boolean("enable_ipv6", n.enable_ipv6));
  TRYV(f.string_map("labels", n.labels));
  f.accept({"enable_ipv4"});
  TRYV(f.finish(&n.extensions));
  return n;
}

Result<VolumeConfig> convert_volume(const std::string& name, const Node& node) {
  Fields f = TRY(Fields::of(node, "volumes." + name));
  VolumeConfig v;
  TRYV(f.str("name", v.name));
  TRYV(f.str("driver", v.driver));
  TRYV(f.string_map("driver_opts", v.driver_opts));
  TRYV(f.boolean("external", v.external));
  TRYV(f.string_map("labels", v.labels));
  TRYV(f.finish(&v.extensions));
  return v;
}

Result<FileObjectConfig> convert_file_object(const std::string& kind, const std::string& name, const Node& node) {
  Fields f = TRY(Fields::of(node, kind + "." + name));
  FileObjectConfig c;
  TRYV(f.str("name", c.name));
  TRYV(f.str("file", c.file));
  TRYV(f.str("environment", c.environment));
  TRYV(f.str("content", c.content));
  TRYV(f.boolean("external", c.external));
  TRYV(f.string_map("labels", c.labels));
  TRYV(f.str("driver", c.driver));
  TRYV(f.str("template_driver", c.template_driver));
  f.accept({"driver_opts"});
  TRYV(f.finish(&c.extensions));
  int sources = !c.file.empty() + !c.environment.empty() + !c.content.empty() + c.external;
  if (sources == 0) {
    return invalid_at(node, "", fmt::format("{} {}: one of file, environment, content or external must be set",
                                            kind == "configs" ? "config" : "secret", name));
  }
  return c;
}

}  // namespace berth::compose
