// Image references with Docker's rules (distribution/reference,
// ParseNormalizedNamed): "busybox" is docker.io/library/busybox:latest.
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component ( "/" path-component )*
//
// The first component is a domain when it contains '.' or ':', is "localhost",
// or has an uppercase letter; otherwise the domain is docker.io (and a single
// component gets "library/"). Errors are InvalidArgument, naming the input and
// the rule it breaks.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kOfficialRepoPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";
inline constexpr size_t kNameTotalLengthMax = 255;

class Reference {
 public:
  // Normalises like Docker; adds the "latest" tag when neither tag nor digest is given.
  static Result<Reference> parse(std::string_view input);
  // Same but without the default tag (a repository name, as `docker images NAME` takes).
  static Result<Reference> parse_named(std::string_view input);

  const std::string& domain() const { return domain_; }
  const std::string& path() const { return path_; }      // "library/busybox"
  const std::string& tag() const { return tag_; }        // empty when none
  const std::string& digest() const { return digest_; }  // "sha256:..." or empty
  bool has_tag() const { return !tag_.empty(); }
  bool has_digest() const { return !digest_.empty(); }

  std::string name() const { return domain_ + "/" + path_; }  // the repository
  std::string str() const;                                    // fully qualified
  // Short form for display: "busybox:latest", "user/app:1", "localhost:5000/x:1".
  std::string familiar_name() const;
  std::string familiar() const;

  Reference with_tag(std::string_view tag) const;  // tag must be valid
  Reference without_digest() const;

  auto operator<=>(const Reference&) const = default;
  bool operator==(const Reference&) const = default;

 private:
  std::string domain_, path_, tag_, digest_;
};

// The individual rules, exposed for callers that take only a tag (docker tag X NAME:TAG).
bool valid_tag(std::string_view tag);            // [\w][\w.-]{0,127}
bool valid_path_component(std::string_view c);   // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool valid_domain(std::string_view domain);      // host[:port], host = name | IPv4 | [IPv6]
// True for 64 lowercase hex (an image ID without "sha256:"), which Docker refuses as a name.
bool is_full_hex_id(std::string_view s);

}  // namespace berth::image
