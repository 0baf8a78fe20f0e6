// berth login / logout: credentials checked by the daemon (POST /auth), kept
// in the client's config.json "auths" as the docker CLI keeps them (the
// identity token the daemon answered, if any, in place of the password), so
// `pull` and `push` send them (X-Registry-Auth) and the docker CLI reads them too.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/file.h"
#include "cli/pull.h"
#include "cli/stream.h"

namespace berth::cli {
namespace {

Result<nlohmann::json> read_config() {
  auto text = read_file(docker_config_dir() + "/config.json");
  if (!text) return nlohmann::json::object();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return fail(Errc::InvalidArgument, docker_config_dir() + "/config.json is not a JSON object");
  return j;
}

Result<void> write_config(const nlohmann::json& j) {
  std::string dir = docker_config_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return fail_errno("creating " + dir);
  return write_file_atomic(dir + "/config.json", j.dump(1, '\t') + "\n", 0600);
}

Result<std::string> prompt(const std::string& label, bool secret) {
  if (!is_terminal(0)) return fail(Errc::InvalidArgument, "Cannot perform an interactive login from a non TTY device");
  out(label);
  termios saved{};
  bool hidden = secret && ::tcgetattr(0, &saved) == 0;
  if (hidden) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    ::tcsetattr(0, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (hidden) {
    ::tcsetattr(0, TCSANOW, &saved);
    out("\n");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

struct LoginOptions {
  std::vector<std::string> args;
  std::string username, password;
  bool password_stdin = false;
};

Result<int> login(Cli& cli, LoginOptions& o) {
  std::string server = o.args.empty() ? std::string(kDockerHubAuthKey) : o.args[0];
  if (!o.password.empty()) {
    errf("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (o.password_stdin) return fail(Errc::InvalidArgument, "--password and --password-stdin are mutually exclusive");
  }
  if (o.password_stdin) {
    if (o.username.empty()) return fail(Errc::InvalidArgument, "Must provide --username with --password-stdin");
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    o.password = all;
  }
  if (o.username.empty()) o.username = TRY(prompt("Username: ", false));
  if (o.username.empty()) return fail(Errc::InvalidArgument, "Error: Non-null Username Required");
  if (o.password.empty()) o.password = TRY(prompt("Password: ", true));
  if (o.password.empty()) return fail(Errc::InvalidArgument, "Error: Password Required");
  nlohmann::json body = {{"username", o.username}, {"password", o.password}, {"serveraddress", server}};
  api::Client* c = TRY(cli.client());
  auto r = TRY(check(TRY(c->request("POST", "/auth", body.dump()))));
  auto answer = nlohmann::json::parse(r.body, nullptr, false);
  auto text = [&](const char* key) {
    return answer.is_object() && answer.contains(key) && answer[key].is_string() ? answer[key].get<std::string>()
                                                                                 : std::string();
  };
  std::string status = text("Status").empty() ? "Login Succeeded" : text("Status");
  std::string identity_token = text("IdentityToken");
  auto config = TRY(read_config());
  if (!config.contains("auths") || !config["auths"].is_object()) config["auths"] = nlohmann::json::object();
  // With an identity token (a token service's refresh token) the docker CLI keeps
  // it instead of the password: "auth" is then base64("USER:").
  nlohmann::json entry = {{"auth", base64::encode(o.username + ":" + (identity_token.empty() ? o.password : ""))}};
  if (!identity_token.empty()) entry["identitytoken"] = identity_token;
  config["auths"][auth_key(server)] = entry;
  TRYV(write_config(config));
  errf("WARNING! Your password will be stored unencrypted in {}/config.json.\n"
       "Configure a credential helper to remove this warning. See\n"
       "https://docs.docker.com/go/credential-store/\n\n", docker_config_dir());
  outf("{}\n", status);
  return 0;
}

Result<int> logout(const std::vector<std::string>& args) {
  std::string key = auth_key(args.empty() ? "" : args[0]);
  auto config = TRY(read_config());
  if (!config.contains("auths") || !config["auths"].is_object() || !config["auths"].contains(key)) {
    outf("Not logged in to {}\n", key);
    return 0;
  }
  outf("Removing login credentials for {}\n", key);
  config["auths"].erase(key);
  TRYV(write_config(config));
  return 0;
}

}  // namespace

void add_login_commands(Invocation& inv, CLI::App* root) {
  if (inv.wants(root, "login")) {
    auto o = std::make_shared<LoginOptions>();
    CLI::App* app = add_command(inv, root, "login", "[OPTIONS] [SERVER]", "Authenticate to a registry", &o->args,
                                {0, 1}, [&cli = inv.cli, o]() { return login(cli, *o); });
    inv.info.at(app).description = "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.";
    add_string(app, "-p,--password", o->password, "Password or Personal Access Token (PAT)", "string");
    add_bool(app, "--password-stdin", o->password_stdin, "Take the Password or Personal Access Token (PAT) from stdin");
    add_string(app, "-u,--username", o->username, "Username", "string");
  }
  if (inv.wants(root, "logout")) {
    auto args = std::make_shared<std::vector<std::string>>();
    CLI::App* app = add_command(inv, root, "logout", "[SERVER]", "Log out from a registry", args.get(), {0, 1},
                                [args]() { return logout(*args); });
    inv.info.at(app).description =
        "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.";
  }
}

}  // namespace berth::cli
