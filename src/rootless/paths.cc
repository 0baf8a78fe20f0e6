#include "rootless/paths.h"

namespace berth::rootless {

namespace {

Result<std::string> absolute_var(const Getenv& env, const char* name, const char* why) {
  const char* v = env(name);
  if (!v || !*v) return fail(Errc::InvalidArgument, std::string("rootless berthd needs ") + name + " (" + why + ")");
  std::string s = v;
  if (s.front() != '/') return fail(Errc::InvalidArgument, std::string(name) + " must be an absolute path: " + s);
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// $VAR when set, else $HOME/fallback.
Result<std::string> xdg_dir(const Getenv& env, const char* var, const char* fallback) {
  if (const char* v = env(var); v && *v) return absolute_var(env, var, "");
  return TRY(absolute_var(env, "HOME", "the home directory holds the daemon's data and daemon.json")) + "/" + fallback;
}

}  // namespace

Result<Paths> default_paths(const Getenv& env) {
  Paths p;
  p.runtime_dir = TRY(absolute_var(env, "XDG_RUNTIME_DIR",
                                   "a directory of this user's own for the socket and run-time state, as "
                                   "systemd's /run/user/UID; set it when logging in without a session"));
  p.socket = "unix://" + p.runtime_dir + "/berth.sock";
  p.exec_root = p.runtime_dir + "/berth";
  p.data_root = TRY(xdg_dir(env, "XDG_DATA_HOME", ".local/share")) + "/berth";
  p.config_file = TRY(xdg_dir(env, "XDG_CONFIG_HOME", ".config")) + "/berth/daemon.json";
  return p;
}

}  // namespace berth::rootless
