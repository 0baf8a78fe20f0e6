// GET /containers/{id}/logs: the json-file log as Docker's stream, following
// new entries until the container's run ends or the client leaves.
#include <unistd.h>

#include "engine/container_service.h"
#include "engine/socket_io.h"
#include "logs/log_reader.h"

namespace berth::engine {
Result<void> ContainerService::logs(const std::string& ref, const backend::LogsOptions& opts, int client_fd,
                                    const backend::Sink& sink) {
  auto c = TRY(find(ref));
  if (!opts.stdout && !opts.stderr)
    return fail(Errc::InvalidArgument, "Bad parameters: you must choose at least one stream");
  logs::LogReadOptions lo;
  lo.stdout = opts.stdout;
  lo.stderr = opts.stderr;
  lo.since_ns = opts.since_ns;
  lo.until_ns = opts.until_ns;
  lo.tail = opts.tail;
  UniqueFd exit_fd;
  bool tty;
  std::string path;
  std::string driver;
  {
    std::lock_guard lk(mu_);
    driver = c->spec.host.log_config.driver;
    tty = c->tty();
    path = c->log_path;
    // Follow only a running container; stop when this run ends.
    if (opts.follow && c->state.running && c->exit_event) {
      exit_fd = UniqueFd(::dup(c->exit_event.get()));
      lo.follow = true;
      lo.stop_fds = {exit_fd.get(), client_fd};
    }
  }
  auto reader = TRY(logs::open_log_reader(driver, path));
  return reader->read(lo, [&](const logs::LogEntry& e) {
    std::string line;
    if (opts.timestamps) line = e.time + " ";
    line += e.log;
    if (tty) return sink(line);
    return sink(mux_frame(e.stream == "stderr" ? task::Stream::Stderr : task::Stream::Stdout, line));
  });
}

Result<void> ContainerService::reopen_log(const std::string& ref) {
  auto c = TRY(find(ref));
  auto t = TRY(running_task(c));
  return t->reopen_log();
}

}  // namespace berth::engine
