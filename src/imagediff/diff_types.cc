#include "imagediff/diff_types.h"

#include <algorithm>
#include <array>

namespace berth::imagediff {
namespace {

constexpr std::array kAll = {DiffType::Size, DiffType::History, DiffType::Metadata,
                             DiffType::File, DiffType::Apt,     DiffType::Apk};

}  // namespace

std::string_view diff_type_name(DiffType t) {
  switch (t) {
    case DiffType::Size: return "size";
    case DiffType::History: return "history";
    case DiffType::Metadata: return "metadata";
    case DiffType::File: return "file";
    case DiffType::Apt: return "apt";
    case DiffType::Apk: return "apk";
  }
  return "size";
}

Result<std::vector<DiffType>> parse_diff_types(const std::vector<std::string>& names) {
  std::vector<bool> wanted(kAll.size(), false);
  bool any = false;
  for (const auto& list : names) {
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t end = list.find(',', pos);
      if (end == std::string::npos) end = list.size();
      std::string name = list.substr(pos, end - pos);
      pos = end + 1;
      if (name.empty()) continue;
      auto it = std::find_if(kAll.begin(), kAll.end(), [&](DiffType t) { return diff_type_name(t) == name; });
      if (it == kAll.end())
        return fail(Errc::InvalidArgument,
                    "unknown diff type \"" + name + "\": the types are size, history, metadata, file, apt and apk");
      wanted[static_cast<size_t>(it - kAll.begin())] = true;
      any = true;
    }
  }
  std::vector<DiffType> out;
  if (!any) return std::vector<DiffType>{DiffType::Size};
  for (size_t i = 0; i < kAll.size(); ++i)
    if (wanted[i]) out.push_back(kAll[i]);
  return out;
}

bool has_type(const std::vector<DiffType>& types, DiffType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

bool needs_layers(const std::vector<DiffType>& types) {
  return has_type(types, DiffType::File) || has_type(types, DiffType::Apt) || has_type(types, DiffType::Apk);
}

}  // namespace berth::imagediff
