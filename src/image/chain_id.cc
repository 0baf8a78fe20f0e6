// Image IDs and layer chain IDs (image-spec config.md "Layer ChainID").
#include "image/oci.h"

namespace berth::image {

Digest image_id(std::string_view config_bytes) { return content::sha256(config_bytes); }

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  out.reserve(diff_ids.size());
  for (const auto& d : diff_ids) {
    if (out.empty()) out.push_back(d);
    else out.push_back(content::sha256(out.back().str() + " " + d.str()));
  }
  return out;
}

Digest chain_id(const std::vector<Digest>& diff_ids) { return chain_ids(diff_ids).back(); }

}  // namespace berth::image
