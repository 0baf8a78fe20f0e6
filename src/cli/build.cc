// berth build / berth image build: docker's flags, the context sent as a
// tar (build_context), the log drawn as it comes (build_progress). Stages
// the target does not need are skipped (berth's native mode; --legacy-stages
// builds every stage as docker's legacy builder does).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/base64.h"
#include "base/file.h"
#include "cli/build_context.h"
#include "cli/build_output.h"
#include "cli/build_progress.h"
#include "cli/build_secrets.h"
#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/stream.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

struct BuildFlags {
  std::vector<std::string> args, tags, build_args, labels, add_hosts, secrets;
  std::string file, target, network, platform, iidfile, memory, memory_swap, shm_size, cgroup_parent, output;
  std::string cpuset_cpus, cpuset_mems;
  int64_t cpu_shares = 0, cpu_period = 0, cpu_quota = 0;
  bool no_cache = false, pull = false, quiet = false, rm = true, force_rm = false, legacy_stages = false;
};

// KEY=VALUE, or KEY alone: the value from this environment (left out when unset), as docker.
Result<nlohmann::json> build_args_json(const std::vector<std::string>& args) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& a : args) {
    auto eq = a.find('=');
    if (eq == 0) return fail(Errc::InvalidArgument, "invalid argument \"" + a + "\" for \"--build-arg\" flag");
    if (eq != std::string::npos) j[a.substr(0, eq)] = a.substr(eq + 1);
    else if (const char* v = ::getenv(a.c_str())) j[a] = v;
    else j[a] = nullptr;
  }
  return j;
}

// X-Registry-Config: every registry this user has credentials for, so the
// daemon can pull FROM images from them.
std::string registry_config() {
  nlohmann::json all = nlohmann::json::object();
  auto config = read_docker_config();
  if (!config) return {};
  std::set<std::string> keys;
  for (const char* section : {"auths", "credHelpers"})
    if (config->contains(section) && (*config)[section].is_object())
      for (const auto& [k, v] : (*config)[section].items()) keys.insert(k);
  for (const auto& key : keys) {
    std::string domain = key;
    if (auto p = domain.find("://"); p != std::string::npos) domain = domain.substr(p + 3);
    domain = domain.substr(0, domain.find('/'));
    auto header = registry_auth_header(domain == "index.docker.io" ? "docker.io" : domain);
    if (!header || header->empty()) continue;
    auto decoded = base64::decode(*header);
    auto j = decoded ? nlohmann::json::parse(*decoded, nullptr, false) : nlohmann::json();
    if (j.is_object()) all[key] = j;
  }
  return all.empty() ? std::string() : base64::encode_url(all.dump());
}

Result<int> run_build(Cli& cli, const BuildFlags& f) {
  const std::string& context = f.args[0];
  if (context.find("://") != std::string::npos || context.starts_with("git@"))
    return fail(Errc::Unsupported, "berth build takes a directory or - as its context (URLs are not supported yet)");
  const std::string secrets = TRY(secrets_header(f.secrets));  // read before the context is sent
  std::optional<BuildOutput> output;
  if (!f.output.empty()) output = TRY(parse_build_output(f.output));
  const int log_fd = output && output->to_stdout() ? 2 : 1;  // stdout is the tar's
  std::string q = "/build?rm=" + std::string(f.rm ? "1" : "0");
  for (const auto& t : f.tags) q += "&t=" + url_encode(t);
  if (!f.target.empty()) q += "&target=" + url_encode(f.target);
  if (!f.platform.empty()) q += "&platform=" + url_encode(f.platform);
  if (!f.network.empty()) q += "&networkmode=" + url_encode(f.network);
  if (f.no_cache) q += "&nocache=1";
  if (f.pull) q += "&pull=1";
  if (f.quiet) q += "&q=1";
  if (f.force_rm) q += "&forcerm=1";
  if (!f.legacy_stages) q += "&berth-native=1";
  if (!f.build_args.empty()) q += "&buildargs=" + url_encode(TRY(build_args_json(f.build_args)).dump());
  if (!f.labels.empty()) {
    nlohmann::json l = nlohmann::json::object();
    for (const auto& kv : f.labels) {
      auto eq = kv.find('=');
      l[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    q += "&labels=" + url_encode(l.dump());
  }
  if (!f.add_hosts.empty()) {
    std::string hosts;
    for (const auto& h : f.add_hosts) hosts += (hosts.empty() ? "" : ",") + h;
    q += "&extrahosts=" + url_encode(hosts);
  }
  if (!f.memory.empty()) q += "&memory=" + std::to_string(TRY(parse_ram_bytes(f.memory)));
  if (!f.memory_swap.empty())
    q += "&memswap=" + (f.memory_swap == "-1" ? std::string("-1") : std::to_string(TRY(parse_ram_bytes(f.memory_swap))));
  if (!f.shm_size.empty()) q += "&shmsize=" + std::to_string(TRY(parse_ram_bytes(f.shm_size)));
  if (f.cpu_shares) q += "&cpushares=" + std::to_string(f.cpu_shares);
  if (f.cpu_period) q += "&cpuperiod=" + std::to_string(f.cpu_period);
  if (f.cpu_quota) q += "&cpuquota=" + std::to_string(f.cpu_quota);
  if (!f.cpuset_cpus.empty()) q += "&cpusetcpus=" + url_encode(f.cpuset_cpus);
  if (!f.cpuset_mems.empty()) q += "&cpusetmems=" + url_encode(f.cpuset_mems);
  if (!f.cgroup_parent.empty()) q += "&cgroupparent=" + url_encode(f.cgroup_parent);

  UniqueFd body;
  int body_fd = 0;
  if (context == "-") {
    if (f.file == "-") return fail(Errc::InvalidArgument, "invalid argument: can't use stdin for both build context and dockerfile");
    if (!f.file.empty()) q += "&dockerfile=" + url_encode(f.file);
  } else {
    std::string dockerfile = f.file;
    bool is_text = false;
    if (f.file == "-") {
      std::string text;
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("reading the Dockerfile from stdin");
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
      }
      dockerfile = text;
      is_text = true;
    }
    auto tar = TRY(tar_context(context, dockerfile, is_text));
    q += "&dockerfile=" + url_encode(tar.dockerfile);
    if (!f.quiet)
      write_all(log_fd, fmt::format("Sending build context to berthd  {}\n", human_size(static_cast<double>(tar.bytes), 4)));
    body = std::move(tar.fd);
    body_fd = body.get();
  }
  std::map<std::string, std::string> headers;
  if (auto rc = registry_config(); !rc.empty()) headers["X-Registry-Config"] = rc;
  if (!secrets.empty()) headers["X-Berth-Build-Secrets"] = secrets;
  api::Client* c = TRY(cli.client());
  BuildProgress progress(log_fd, is_terminal(log_fd), f.quiet);
  auto r = TRY(c->upload_stream("POST", q, body_fd, "application/x-tar",
                                [&](std::string_view data) {
                                  progress.feed(data);
                                  return true;
                                },
                                headers));
  TRYV(check(std::move(r)));
  auto outcome = progress.finish();
  if (!outcome.error.empty()) {
    errf("{}\n", outcome.error);
    return outcome.code ? outcome.code : 1;
  }
  if (output) TRYV(export_build_output(cli, outcome.image_id, *output));
  if (f.quiet) write_all(log_fd, outcome.image_id + "\n");
  if (!f.iidfile.empty()) TRYV(write_file_atomic(f.iidfile, outcome.image_id, 0644, false));
  return 0;
}

}  // namespace

void add_build_commands(Invocation& inv, CLI::App* parent) {
  if (!inv.wants(parent, "build")) return;
  auto f = std::make_shared<BuildFlags>();
  CLI::App* app = add_command(inv, parent, "build", "[OPTIONS] PATH | -", "Build an image from a Dockerfile", &f->args,
                              {1, 1}, [&cli = inv.cli, f]() -> Result<int> { return run_build(cli, *f); });
  add_list(app, "--add-host", f->add_hosts, "Add a custom host-to-IP mapping (\"host:ip\")");
  add_list(app, "--build-arg", f->build_args, "Set build-time variables");
  add_string(app, "--cgroup-parent", f->cgroup_parent, "Set the parent cgroup for the \"RUN\" instructions during build");
  add_int(app, "--cpu-period", f->cpu_period, "Limit the CPU CFS (Completely Fair Scheduler) period");
  add_int(app, "--cpu-quota", f->cpu_quota, "Limit the CPU CFS (Completely Fair Scheduler) quota");
  add_int(app, "-c,--cpu-shares", f->cpu_shares, "CPU shares (relative weight)");
  add_string(app, "--cpuset-cpus", f->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  add_string(app, "--cpuset-mems", f->cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  add_string(app, "-f,--file", f->file, "Name of the Dockerfile (Default is \"PATH/Dockerfile\")");
  add_bool(app, "--force-rm", f->force_rm, "Always remove intermediate containers");
  add_string(app, "--iidfile", f->iidfile, "Write the image ID to the file");
  add_list(app, "--label", f->labels, "Set metadata for an image");
  add_bool(app, "--legacy-stages", f->legacy_stages,
           "Build every stage before the target, as docker's legacy builder (default: only the stages it needs)");
  add_string(app, "-m,--memory", f->memory, "Memory limit", "bytes");
  add_string(app, "--memory-swap", f->memory_swap, "Swap limit equal to memory plus swap: -1 to enable unlimited swap",
             "bytes");
  add_string(app, "--network", f->network, "Set the networking mode for the RUN instructions during build (default \"default\")");
  add_bool(app, "--no-cache", f->no_cache, "Do not use cache when building the image");
  add_string(app, "-o,--output", f->output,
             "Export the result's filesystem: type=local,dest=DIR or type=tar,dest=FILE|- (DIR and - for short)");
  add_string(app, "--platform", f->platform, "Set platform if server is multi-platform capable");
  add_bool(app, "--pull", f->pull, "Always attempt to pull a newer version of the image");
  add_bool(app, "-q,--quiet", f->quiet, "Suppress the build output and print image ID on success");
  add_bool(app, "--rm", f->rm, "Remove intermediate containers after a successful build (default true)");
  add_list(app, "--secret", f->secrets,
           "Secret to expose to the build (RUN --mount=type=secret): id=ID[,src=FILE|,env=VAR]");
  add_string(app, "--shm-size", f->shm_size, "Size of \"/dev/shm\"", "bytes");
  add_list(app, "-t,--tag", f->tags, "Name and optionally a tag in the \"name:tag\" format");
  add_string(app, "--target", f->target, "Set the target build stage to build.");
}

}  // namespace berth::cli
