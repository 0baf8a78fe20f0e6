#include "cli/build_secrets.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
#include "base/strings.h"

namespace berth::cli {

Result<std::string> secrets_header(const std::vector<std::string>& specs) {
  if (specs.empty()) return std::string();
  nlohmann::json all = nlohmann::json::object();
  for (const auto& spec : specs) {
    std::string id, src, env, type;
    for (const auto& field : split(spec, ',', true)) {
      auto eq = field.find('=');
      if (eq == std::string::npos)
        return fail(Errc::InvalidArgument, "invalid --secret " + spec + ": field " + field + " must be a key=value pair");
      std::string key = ascii_lower(field.substr(0, eq)), value = field.substr(eq + 1);
      if (key == "id") id = value;
      else if (key == "src" || key == "source") src = value;
      else if (key == "env") env = value;
      else if (key == "type") type = value;
      else return fail(Errc::InvalidArgument, "invalid --secret " + spec + ": unexpected key '" + key + "'");
    }
    if (id.empty()) return fail(Errc::InvalidArgument, "invalid --secret " + spec + ": an id is required (id=ID)");
    if (!type.empty() && type != "file" && type != "env")
      return fail(Errc::InvalidArgument, "invalid --secret " + spec + ": type must be file or env");
    if (type == "env" && env.empty()) std::swap(env, src);
    if (env.empty() && src.empty()) (::getenv(id.c_str()) ? env : src) = id;
    std::string bytes;
    if (!env.empty()) {
      const char* v = ::getenv(env.c_str());
      if (!v) return fail(Errc::NotFound, "secret " + id + ": environment variable " + env + " is not set");
      bytes = v;
    } else {
      auto data = read_file(src);
      if (!data) return fail(Errc::NotFound, "secret " + id + ": reading " + src + ": " + data.error().message);
      bytes = std::move(*data);
    }
    all[id] = base64::encode(bytes);
  }
  return base64::encode_url(all.dump());
}

}  // namespace berth::cli
