// The Dockerfile dispatcher: walks a parsed Dockerfile stage by stage, step
// by step, as Docker's legacy builder does (one image per step, the
// "Step N/M : ..." log), asks the content-keyed cache first, and drives the
// engine through Primitives. Pure: no I/O of its own.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/build_options.h"
#include "build/dockerfile.h"
#include "build/primitives.h"

namespace berth::build {

class Dispatcher {
 public:
  Dispatcher(const Dockerfile& dockerfile, const BuildOptions& options, Primitives& primitives, Output& out);

  // Builds the target (the last stage by default); returns its image ID.
  Result<std::string> run();
  // A RUN's non-zero exit code when run() failed on it, else 0.
  int failed_exit_code() const { return failed_exit_code_; }

 private:
  struct ArgValue {
    std::string name;
    std::optional<std::string> value;
  };
  struct Stage {
    std::string name;        // lower case; "" when unnamed
    size_t from = 0;         // index of its FROM instruction
    size_t end = 0;          // one past its last instruction
    std::set<size_t> needs;  // stages it reads (FROM stage, COPY --from=stage)
    std::optional<std::string> image_id;  // once built
  };
  // What a stage's steps change as they go.
  struct State {
    StageImage image;
    bool cmd_set = false;    // CMD given in this stage (ENTRYPOINT then keeps it)
    std::string author;      // MAINTAINER
    std::vector<ArgValue> args;  // ARGs declared in this stage, in order
    size_t stage = 0;
    bool meta = false;       // the ARGs before the first FROM: no image, no commit
    Output* out = nullptr;   // where this stage's log goes
    size_t next_step = 0;    // the next "Step N/M"'s N
    int exit_code = 0;       // a failed RUN's
  };

  Result<void> plan();
  // What each stage reads from the others (FROM, COPY --from, RUN --mount from=).
  void link_stages();
  Result<size_t> stage_index(const std::string& name_or_index, size_t before) const;
  // The stages wanted, one after another or (parallel_stages) each once
  // the stages it reads are built (dispatcher_stages.cc).
  Result<void> build_stages(const std::vector<bool>& wanted);
  // exit_code: a failed RUN's.
  Result<void> build_stage(size_t index, Output& out, int& exit_code);
  std::optional<std::string> built_image(size_t stage) const;  // once built
  std::string stage_label(size_t stage) const;                  // its name, or "stage-N"
  Result<void> step(State& st, const Instruction& ins, bool trigger);
  Result<void> from(State& st, const Instruction& ins);
  Result<void> run_triggers(State& st);
  Result<void> dispatch(State& st, const Instruction& ins);

  // Steps of each kind (step_*.cc).
  Result<void> env_step(State& st, const Instruction& ins);
  Result<void> label_step(State& st, const Instruction& ins);
  Result<void> command_step(State& st, const Instruction& ins);  // CMD, ENTRYPOINT
  Result<void> expose_step(State& st, const Instruction& ins);
  Result<void> volume_step(State& st, const Instruction& ins);
  Result<void> user_step(State& st, const Instruction& ins);
  Result<void> stopsignal_step(State& st, const Instruction& ins);
  Result<void> healthcheck_step(State& st, const Instruction& ins);
  Result<void> onbuild_step(State& st, const Instruction& ins);
  Result<void> shell_step(State& st, const Instruction& ins);
  Result<void> maintainer_step(State& st, const Instruction& ins);
  Result<void> arg_step(State& st, const Instruction& ins);
  Result<void> workdir_step(State& st, const Instruction& ins);
  Result<void> copy_step(State& st, const Instruction& ins);
  Result<void> run_step(State& st, const Instruction& ins);
  // RUN --mount's from= as image IDs; returns the mounts' part of the cache key.
  Result<std::string> resolve_mounts(const State& st, std::vector<RunMount>& mounts);

  // A step that changes only the config: the cache, else a commit.
  Result<void> commit_config(State& st, const model::ContainerConfig& config, const std::string& message);
  // Looks the key up; on a hit the stage moves to the cached image.
  Result<bool> from_cache(State& st, const std::string& key);
  Result<void> advance(State& st, const std::string& key, const std::string& image_id);

  // Variable expansion with the stage's ENV, then its ARGs.
  Result<std::string> expand(const State& st, std::string_view word) const;
  Result<std::vector<std::string>> expand_all(const State& st, const std::vector<std::string>& words) const;
  // The build args in scope with a value, not shadowed by ENV, as "K=V" (sorted).
  std::vector<std::string> args_in_scope(const State& st, bool with_proxies) const;
  std::optional<std::string> flag(const Instruction& ins, const std::string& name) const;
  std::string cache_key(const State& st, const std::string& kind, const std::string& created_by,
                        const model::ContainerConfig& config, const std::string& extra = {}) const;
  std::string created_by(const State& st, const std::string& message) const;  // "/bin/sh -c #(nop)  MSG"

  const Dockerfile& df_;
  const BuildOptions& opt_;
  Primitives& p_;
  Output& out_;
  std::vector<Stage> stages_;
  std::vector<ArgValue> meta_args_;   // ARGs before the first FROM
  std::set<std::string> consumed_;    // --build-arg names some ARG declared
  size_t target_ = 0;                 // the stage built last
  size_t total_steps_ = 0, step_no_ = 0;
  int failed_exit_code_ = 0;
  // Stages building at once share these: built images, consumed_.
  mutable std::mutex mu_;
  std::atomic<bool> aborted_{false};  // a stage failed: the others stop at their next step
};

}  // namespace berth::build
