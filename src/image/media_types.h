// Media types of Docker (schema 2) and OCI image formats; both are accepted
// everywhere an image is read.
#pragma once

#include <string_view>

namespace berth::image::media {

// Docker
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerForeignGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view kDockerPluginConfig = "application/vnd.docker.plugin.v1+json";

// OCI image-spec v1
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistributableGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistributableZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";

enum class Compression { None, Gzip, Zstd };

constexpr bool is_manifest(std::string_view t) { return t == kDockerManifest || t == kOciManifest; }
constexpr bool is_index(std::string_view t) { return t == kDockerManifestList || t == kOciIndex; }
constexpr bool is_config(std::string_view t) { return t == kDockerConfig || t == kOciConfig; }
constexpr bool is_layer(std::string_view t) {
  return t == kDockerLayerGzip || t == kDockerLayerForeignGzip || t == kOciLayer ||
         t == kOciLayerGzip || t == kOciLayerZstd || t == kOciLayerNondistributable ||
         t == kOciLayerNondistributableGzip || t == kOciLayerNondistributableZstd;
}
// Compression of a layer media type; meaningful only when is_layer(t).
constexpr Compression layer_compression(std::string_view t) {
  if (t.ends_with("+zstd")) return Compression::Zstd;
  if (t.ends_with("gzip")) return Compression::Gzip;
  return Compression::None;
}

}  // namespace berth::image::media
