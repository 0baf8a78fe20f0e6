#include "cli/cli.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <ctime>

#include "base/strings.h"
#include "cli/connection.h"

namespace berth::cli {

Result<api::Client*> Cli::client() {
  if (client_) return client_.get();
  std::string host = resolve_host(global.host);
  auto ep = TRY(api::Endpoint::parse(host));
  TRYV(ensure_daemon(host));
  client_ = TRY(api::Client::create(ep));
  return client_.get();
}

Error daemon_error(const api::Response& r) {
  return Error{api::errc_for_status(r.status), 0, "Error response from daemon: " + r.error_message()};
}

Result<api::Response> check(api::Response r) {
  if (r.status >= 400) return std::unexpected(daemon_error(r));
  return r;
}

Result<api::Response> Cli::call(std::string_view method, std::string_view path, std::string_view body) {
  api::Client* c = TRY(client());
  return check(TRY(c->request(method, path, body)));
}

Result<api::Response> Cli::post(std::string_view path, const Json& body) {
  return call("POST", path, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<Json> Cli::get_json(std::string_view path) {
  api::Response r = TRY(call("GET", path));
  Json j = Json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return fail(Errc::Internal, fmt::format("the daemon's answer to GET {} is not JSON", path));
  return j;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool confirm_prompt(const std::string& warning) {
  err(warning + "\nAre you sure you want to continue? [y/N] ");
  std::string answer;
  char ch;
  while (::read(0, &ch, 1) == 1 && ch != '\n') answer += ch;
  answer = std::string(trim(answer));
  return answer == "y" || answer == "Y";
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

int64_t unix_now() { return static_cast<int64_t>(::time(nullptr)); }

}  // namespace berth::cli
