// berth compose cp: `berth cp` with SERVICE:PATH for the container side.
// From a service: its first container (or --index N); to a service: each of
// its containers (or --index N), one-off containers too with --all.
#include <algorithm>

#include <fmt/format.h>

#include "cli/compose_cli.h"
#include "cli/container_copy.h"
#include "cli/cp_path.h"

namespace berth::cli {

namespace {

Result<std::vector<compose_ops::ContainerInfo>> copy_targets(ComposeSession& s, const std::string& service, int64_t index,
                                                             bool with_oneoff) {
  if (!s.project.services.contains(service)) return fail(Errc::NotFound, "no such service: " + service);
  std::vector<compose_ops::ContainerInfo> out;
  for (auto& c : TRY(s.engine->list_containers(s.project.name))) {
    if (c.service() != service || (c.oneoff() && !with_oneoff)) continue;
    if (index > 0 && (c.oneoff() || c.number() != index)) continue;
    out.push_back(std::move(c));
  }
  if (out.empty()) {
    if (index > 0) return fail(Errc::NotFound, fmt::format("service \"{}\" has no container with index {}", service, index));
    return fail(Errc::NotFound, fmt::format("no container found for service \"{}\"", service));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.oneoff() != b.oneoff() ? !a.oneoff() : a.number() != b.number() ? a.number() < b.number() : a.name < b.name;
  });
  return out;
}

}  // namespace

void add_compose_cp(Invocation& inv, CLI::App* group, const ComposeGlobalsPtr& globals) {
  if (!inv.wants(group, "cp")) return;
  Cli& cli = inv.cli;
  struct O {
    std::vector<std::string> args;
    int64_t index = 0;
    bool all = false, archive = false, follow = false;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(inv, group, "cp",
                              "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tberth compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
                              "Copy files/folders between a service container and the local filesystem", &o->args, {2, 2},
                              [&cli, o, globals]() -> Result<int> {
    CpArg src = split_cp_arg(o->args[0]), dst = split_cp_arg(o->args[1]);
    if (!src.container.empty() && !dst.container.empty())
      return fail(Errc::InvalidArgument, "copying between services is not supported");
    if (src.container.empty() && dst.container.empty())
      return fail(Errc::InvalidArgument, "must specify at least one container source");
    if ((!src.container.empty() && src.path.empty()) || (!dst.container.empty() && dst.path.empty()))
      return fail(Errc::InvalidArgument, "filesystem path cannot be empty");
    ComposeSession s = TRY(open_compose_session(cli, *globals));
    auto progress = compose_progress(globals->progress == "quiet");
    if (!src.container.empty()) {
      auto from = TRY(copy_targets(s, src.container, o->index, o->all)).front();
      TRY(copy_from_container(cli, {from.id, src.path}, dst.path, o->archive, true));
      progress("Container", from.name, "Copied");
      return 0;
    }
    auto targets = TRY(copy_targets(s, dst.container, o->index, o->all));
    if (src.path == "-" && targets.size() > 1)
      return fail(Errc::InvalidArgument, fmt::format("service \"{}\" has {} containers and standard input can be "
                                                     "copied once: choose one with --index", dst.container, targets.size()));
    for (const auto& c : targets) {
      TRY(copy_to_container(cli, src.path, {c.id, dst.path}, o->archive, o->follow, true));
      progress("Container", c.name, "Copied");
    }
    return 0;
  });
  add_int(app, "--index", o->index, "Index of the container if service has multiple replicas");
  add_bool(app, "--all", o->all, "Include containers created by the run command");
  add_bool(app, "-a,--archive", o->archive, "Archive mode (copy all uid/gid information)");
  add_bool(app, "-L,--follow-link", o->follow, "Always follow symbol link in SRC_PATH");
}

}  // namespace berth::cli
