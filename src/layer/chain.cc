#include "layer/layer.h"

namespace berth::layer {

std::vector<content::Digest> chain_ids(const std::vector<content::Digest>& diff_ids) {
  std::vector<content::Digest> out;
  out.reserve(diff_ids.size());
  for (const auto& d : diff_ids) {
    if (out.empty())
      out.push_back(d);
    else
      out.push_back(content::sha256(out.back().str() + " " + d.str()));
  }
  return out;
}

Result<content::Digest> chain_id(const std::vector<content::Digest>& diff_ids) {
  if (diff_ids.empty()) return fail(Errc::InvalidArgument, "chain ID of an image without layers");
  return chain_ids(diff_ids).back();
}

char change_letter(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::Added: return 'A';
    case ChangeKind::Modified: return 'C';
    case ChangeKind::Deleted: return 'D';
  }
  return '?';
}

}  // namespace berth::layer
