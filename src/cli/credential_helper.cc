#include "cli/credential_helper.h"

#include <string.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "sys/run_program.h"

namespace berth::cli {

namespace {

constexpr char kNotFound[] = "credentials not found in native keychain";

std::string json_string(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::unexpected<Error> helper_error(const std::string& program, const char* doing, const std::string& err,
                                    const std::string& out) {
  // The helper is named: Go's exec errors name it already, the others are prefixed.
  std::string message = fmt::format("error {} credentials - err: {}, out: `{}`", doing, err, out);
  if (err.rfind("exec: ", 0) != 0 && err.rfind("fork/exec ", 0) != 0) message = program + ": " + message;
  return fail(Errc::Unavailable, std::move(message));
}

// A timeout in words: "60s", "200ms".
std::string duration(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? fmt::format("{}s", d.count() / 1000) : fmt::format("{}ms", d.count());
}

}  // namespace

Result<CredentialHelper::Answer> CredentialHelper::run(const char* action, const std::string& input,
                                                       const char* doing) const {
  sys::ProgramOptions options;
  options.input = input;
  options.timeout = timeout_;
  options.pass_stderr = true;  // as the docker CLI: a helper's complaints reach the user
  auto done = sys::run_program({program_, action}, options);
  if (!done) {
    int e = done.error().sys_errno;
    // Go's exec.LookPath skips what is not executable: both read "not found".
    if (e == ENOENT || e == EACCES)
      return helper_error(program_, doing, fmt::format("exec: \"{}\": executable file not found in $PATH", program_), "");
    if (e == 0) return std::unexpected(std::move(done).error());
    return helper_error(program_, doing, fmt::format("fork/exec {}: {}", program_, ascii_lower(::strerror(e))), "");
  }
  std::string out(trim(done->out));
  if (done->timed_out)
    return helper_error(program_, doing, "no answer within " + duration(timeout_) + " (killed)", out);
  return Answer{done->status, std::move(out)};
}

std::unexpected<Error> CredentialHelper::failed(const Answer& answer, const char* doing) const {
  std::string err = answer.status > 128 ? fmt::format("signal: {}", ascii_lower(::strsignal(answer.status - 128)))
                                        : fmt::format("exit status {}", answer.status);
  return helper_error(program_, doing, err, answer.out);
}

Result<std::optional<HelperCredentials>> CredentialHelper::get(const std::string& server_url) const {
  Answer a = TRY(run("get", server_url, "getting"));
  if (a.status != 0) {
    if (a.out == kNotFound) return std::nullopt;
    return failed(a, "getting");
  }
  auto j = nlohmann::json::parse(a.out, nullptr, false);
  // Its answer holds the secret: it is never part of an error.
  if (!j.is_object()) return helper_error(program_, "getting", "its answer is not a JSON object", "");
  HelperCredentials c{json_string(j, "ServerURL"), json_string(j, "Username"), json_string(j, "Secret")};
  if (c.server_url.empty()) c.server_url = server_url;
  return c;
}

Result<void> CredentialHelper::store(const HelperCredentials& c) const {
  nlohmann::json body = {{"ServerURL", c.server_url}, {"Username", c.username}, {"Secret", c.secret}};
  Answer a = TRY(run("store", body.dump() + "\n", "storing"));
  if (a.status != 0) return failed(a, "storing");
  return {};
}

Result<void> CredentialHelper::erase(const std::string& server_url) const {
  Answer a = TRY(run("erase", server_url, "erasing"));
  if (a.status != 0) return failed(a, "erasing");
  return {};
}

Result<std::map<std::string, std::string>> CredentialHelper::list() const {
  Answer a = TRY(run("list", "unused", "listing"));
  if (a.status != 0) return failed(a, "listing");
  auto j = nlohmann::json::parse(a.out, nullptr, false);
  if (!j.is_object()) return helper_error(program_, "listing", "its answer is not a JSON object", "");
  std::map<std::string, std::string> all;
  for (const auto& [url, user] : j.items())
    if (user.is_string()) all[url] = user.get<std::string>();
  return all;
}

}  // namespace berth::cli
