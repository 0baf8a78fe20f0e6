#include "dockerapi/exec_json.h"

#include "dockerapi/field_reader.h"

namespace berth::dockerapi {

Result<model::ExecSpec> parse_exec_create(const nlohmann::json& body) {
  auto r = TRY(FieldReader::of(body, "ExecConfig"));
  model::ExecSpec s;
  s.cmd = TRY(r.str_slice("Cmd")).value_or(std::vector<std::string>{});
  s.env = TRY(r.strings("Env"));
  s.working_dir = TRY(r.string("WorkingDir"));
  s.user = TRY(r.string("User"));
  s.tty = TRY(r.boolean("Tty"));
  s.attach_stdin = TRY(r.boolean("AttachStdin"));
  s.attach_stdout = TRY(r.boolean("AttachStdout"));
  s.attach_stderr = TRY(r.boolean("AttachStderr"));
  s.privileged = TRY(r.boolean("Privileged"));
  s.detach_keys = TRY(r.string("DetachKeys"));
  return s;
}

nlohmann::json render_exec(const model::ExecInfo& e) {
  const auto& cmd = e.spec.cmd;
  std::vector<std::string> rest(cmd.begin() + (cmd.empty() ? 0 : 1), cmd.end());
  return {{"ID", e.id},
          {"Running", e.running},
          {"ExitCode", e.exit_code ? nlohmann::json(*e.exit_code) : nlohmann::json(nullptr)},
          {"ProcessConfig",
           {{"tty", e.spec.tty},
            {"entrypoint", cmd.empty() ? "" : cmd[0]},
            {"arguments", rest},
            {"privileged", e.spec.privileged},
            {"user", e.spec.user}}},
          {"OpenStdin", e.spec.attach_stdin},
          {"OpenStderr", e.spec.attach_stderr},
          {"OpenStdout", e.spec.attach_stdout},
          {"CanRemove", false},
          {"ContainerID", e.container_id},
          {"DetachKeys", e.spec.detach_keys},
          {"Pid", e.pid}};
}

}  // namespace berth::dockerapi
