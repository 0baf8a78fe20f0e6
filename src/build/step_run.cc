// RUN: a container on the current image; its layer is the step's.
#include "base/strings.h"
#include "build/dispatcher.h"

namespace berth::build {

Result<void> Dispatcher::run_step(State& st, const Instruction& ins) {
  RunStep step;
  step.parent = st.image;
  for (const auto& [k, v] : ins.flags) {
    if (k == "network") {
      if (v != "none" && v != "default" && v != "host")
        return fail(Errc::InvalidArgument, "RUN --network=" + v + ": the network must be none, default or host");
      step.network = v == "default" ? "" : v;
    } else if (k == "mount") {
      return fail(Errc::Unsupported, "RUN --mount is not supported by berth's builder yet");
    }
  }
  const auto& config = st.image.config;
  if (ins.json) {
    step.argv = ins.args;
  } else {
    step.argv = config.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : config.shell;
    step.argv.push_back(ins.args.empty() ? std::string() : ins.args[0]);
  }
  if (step.argv.empty()) return fail(Errc::InvalidArgument, "RUN requires at least one argument");
  std::string command = join(step.argv, " ");
  // The build args in scope are the RUN's environment and part of its
  // history text (and so of its cache key), as the legacy builder writes them.
  auto args = args_in_scope(st, false);
  std::string cb = args.empty() ? command : "|" + std::to_string(args.size()) + " " + join(args, " ") + " " + command;
  step.env = config.env;
  for (const auto& a : args_in_scope(st, true)) step.env.push_back(a);
  step.commit = CommitInfo{config, cb, st.author};
  std::string key = cache_key(st, "run", cb, config, "network=" + step.network + "\n");
  if (TRY(from_cache(st, key))) return {};
  auto outcome = TRY(p_.run(step, out_));
  if (outcome.exit_code != 0) {
    failed_exit_code_ = outcome.exit_code;
    return fail(Errc::Unavailable,
                "The command '" + command + "' returned a non-zero code: " + std::to_string(outcome.exit_code));
  }
  return advance(st, key, outcome.image_id);
}

}  // namespace berth::build
