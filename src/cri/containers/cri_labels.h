// What berth keeps of a CRI container beside its spec, as engine labels with
// a prefix of its own (the CRI's labels and annotations are JSON under one key
// each, so the image's LABELs merged into the config never mix with them).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace berth::cri {

inline constexpr std::string_view kInternalPrefix = "io.berth.cri.";
inline constexpr const char* kSandboxIdLabel = "io.berth.cri.sandbox-id";
inline constexpr const char* kContainerNameLabel = "io.berth.cri.name";
inline constexpr const char* kAttemptLabel = "io.berth.cri.attempt";
inline constexpr const char* kLabelsLabel = "io.berth.cri.labels";
inline constexpr const char* kAnnotationsLabel = "io.berth.cri.annotations";
inline constexpr const char* kImageLabel = "io.berth.cri.image";  // the image as the kubelet named it

// A string map <-> its JSON text ("{}" for an empty map; a bad text reads as empty).
std::string map_to_json(const std::map<std::string, std::string>& m);
std::map<std::string, std::string> map_from_json(const std::string& text);

}  // namespace berth::cri
