#include "cni/plugin_exec.h"

#include <sys/stat.h>
#include <unistd.h>

#include "sys/run_program.h"

extern char** environ;

namespace berth::cni {

namespace {

using nlohmann::json;

// The spec's well-known error codes (SPEC.md "Error"); others are the plugin's own.
const char* code_meaning(long long code) {
  switch (code) {
    case 1: return "incompatible CNI version";
    case 2: return "unsupported field in network configuration";
    case 3: return "container unknown or does not exist";
    case 4: return "invalid necessary environment variables";
    case 5: return "I/O failure";
    case 6: return "failed to decode content";
    case 7: return "invalid network config";
    case 11: return "try again later";
    default: return nullptr;
  }
}

// Our environment without any CNI_ variable, then the call's.
std::vector<std::string> plugin_env(const PluginCall& call) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).substr(0, 4) != "CNI_") env.emplace_back(*e);
  env.push_back("CNI_COMMAND=" + call.command);
  env.push_back("CNI_PATH=" + call.path);
  if (call.command != "VERSION") {
    env.push_back("CNI_CONTAINERID=" + call.container_id);
    env.push_back("CNI_NETNS=" + call.netns);
    env.push_back("CNI_IFNAME=" + call.ifname);
    env.push_back("CNI_ARGS=" + call.args);
  }
  return env;
}

// The last non-empty line of a plugin's stderr, for a failure without a CNI error.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

}  // namespace

std::string describe_cni_error(const json& error) {
  // A plugin's output is not trusted to have the types the spec gives.
  auto text_of = [&](const char* key) {
    auto it = error.find(key);
    return it != error.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string msg = text_of("msg");
  std::string details = text_of("details");
  std::string text = msg;
  if (!details.empty() && details != msg) text = text.empty() ? details : text + ": " + details;
  if (text.empty()) text = "no message given";
  if (auto code = error.find("code"); code != error.end() && code->is_number_integer()) {
    long long c = code->get<long long>();
    text += " (CNI error " + std::to_string(c);
    if (const char* meaning = code_meaning(c)) text += std::string(": ") + meaning;
    text += ")";
  }
  return text;
}

Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& bin_dirs) {
  for (const auto& dir : bin_dirs) {
    std::string path = dir + "/" + type;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0) return path;
  }
  std::string dirs;
  for (const auto& dir : bin_dirs) dirs += (dirs.empty() ? "" : ", ") + dir;
  return fail(Errc::NotFound, "CNI plugin \"" + type + "\" not found in the bin dirs (" + dirs + ")");
}

Result<json> exec_plugin(const std::string& binary, const std::string& type, const PluginCall& call,
                         std::chrono::milliseconds timeout) {
  std::string what = "plugin \"" + type + "\" (" + call.command + ")";
  sys::ProgramOptions options;
  options.input = call.config.dump();
  options.timeout = timeout;
  options.env = plugin_env(call);
  auto ran = sys::run_program({binary}, options);
  if (!ran) return std::unexpected(std::move(ran.error()).wrap("running " + what + " " + binary));
  if (ran->timed_out)
    return fail(Errc::Unavailable, what + " did not finish within " + std::to_string(timeout.count()) +
                                       " ms and was killed");
  json out;
  bool has_output = ran->out.find_first_not_of(" \t\r\n") != std::string::npos;
  if (has_output) out = json::parse(ran->out, nullptr, /*allow_exceptions=*/false);
  if (ran->status != 0) {
    if (has_output && out.is_object() && (out.contains("msg") || out.contains("code")))
      return fail(Errc::Internal, what + " failed: " + describe_cni_error(out));
    std::string why = last_line(ran->err);
    if (why.empty()) why = last_line(ran->out);
    return fail(Errc::Internal, what + " failed with exit status " + std::to_string(ran->status) +
                                    (why.empty() ? "" : ": " + why));
  }
  if (has_output && out.is_discarded())
    return fail(Errc::Internal, what + " printed something that is not JSON: " + last_line(ran->out));
  return out;  // null when it printed nothing
}

}  // namespace berth::cni
