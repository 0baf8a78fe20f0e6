// berth login / logout: credentials checked by the daemon (POST /auth), kept
// where the docker CLI keeps them (credentials.h: the configured credential
// helper, else config.json "auths"), so `pull` and `push` send them
// (X-Registry-Auth) and the docker CLI reads them too.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/credentials.h"
#include "cli/pull.h"
#include "cli/stream.h"

namespace berth::cli {
namespace {

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
  std::string status = answer.is_object() && answer.contains("Status") && answer["Status"].is_string()
                           ? answer["Status"].get<std::string>()
                           : "Login Succeeded";
  // A daemon that answers with an identity token wants it kept instead of the password.
  std::string token = answer.is_object() && answer.contains("IdentityToken") && answer["IdentityToken"].is_string()
                          ? answer["IdentityToken"].get<std::string>()
                          : "";
  bool in_helper = TRY(store_credentials(auth_key(server), o.username, o.password, token));
  if (!in_helper && token.empty())
    errf("WARNING! Your password will be stored unencrypted in {}/config.json.\n"
         "Configure a credential helper to remove this warning. See\n"
         "https://docs.docker.com/go/credential-store/\n\n", docker_config_dir());
  outf("{}\n", status);
  return 0;
}

Result<int> logout(const std::vector<std::string>& args) {
  std::string key = auth_key(args.empty() ? "" : args[0]);
  if (!logged_in(TRY(read_docker_config()), key)) {
    outf("Not logged in to {}\n", key);
    return 0;
  }
  outf("Removing login credentials for {}\n", key);
  // As the docker CLI: a helper that cannot erase is a warning, and the entry stays.
  if (auto erased = erase_credentials(key); !erased)
    errf("WARNING: could not erase credentials:\n{}: {}\n", key, erased.error().str());
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
