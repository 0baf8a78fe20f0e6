// `berth ui`: asks berthd for a dashboard login URL (over the API socket, so
// only someone who may use the socket gets one), prints it, and opens it in
// a browser when there is a desktop to open one on.
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cstdlib>

#include "cli/ui_cmd.h"

extern char** environ;

namespace berth::cli {

namespace {

// Starts xdg-open and does not wait for it: some browsers stay in its
// foreground for as long as they run.
bool open_in_browser(const std::string& url) {
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = 0;
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  int rc = posix_spawnp(&pid, "xdg-open", &fa, &attr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc == 0;
}

}  // namespace

void add_ui_command(Invocation& inv, CLI::App* root) {
  if (!inv.wants(root, "ui")) return;
  Cli& cli = inv.cli;
  struct O {
    bool no_browser = false;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, root, "ui", "[OPTIONS]", "Open the web dashboard (berthd --ui-addr)", nullptr, {},
                              [&cli, o]() -> Result<int> {
    auto r = TRY(cli.call("POST", "/berth/ui/login"));
    auto j = TRY(r.json());
    std::string url = j.value("Url", "");
    if (url.empty()) return fail(Errc::Internal, "berthd's answer has no dashboard URL");
    outf("{}\n", url);
    if (o->no_browser || !open_in_browser(url))
      err("Open this URL in a browser on this machine; it works once, for 10 minutes.\n");
    return 0;
  });
  add_bool(app, "--no-browser", o->no_browser, "Print the URL only; do not start a browser");
}

}  // namespace berth::cli
