// The flag table of run and create: docker-cli 28's names, types and help
// texts, so `berth run --help` reads as `docker run --help`.
#include "cli/run_flags.h"

#include <fmt/format.h>

#include "base/go_time.h"
#include "cli/command.h"
#include "cli/mount_opt.h"
#include "cli/network_opt.h"

namespace berth::cli {

namespace {

// -p ... --volumes-from.
void add_network_volume_flags(CLI::App* app, RunOptions& o) {
  // As pflag: a value its Set() refuses is a flag error (usage, exit 125).
  auto checked = [](const char* flag, auto parse) {
    return CLI::Validator(
        [flag, parse](std::string& value) -> std::string {
          auto r = parse(value);
          if (r) return "";
          return fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, r.error().message);
        },
        "", flag);
  };
  add_list(app, "--network,--net", o.networks, "Connect a container to a network", "network")
      ->check(checked("--network", [](const std::string& v) { return parse_network_opt(v); }));
  add_list(app, "--network-alias", o.network_aliases, "Add network-scoped alias for the container");
  add_string(app, "--ip", o.ip, "IPv4 address (e.g., 172.30.100.104)");
  add_string(app, "--ip6", o.ip6, "IPv6 address (e.g., 2001:db8::33)");
  add_string(app, "--mac-address", o.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  add_list(app, "--link", o.links, "Add link to another container");
  add_list(app, "-p,--publish", o.publish, "Publish a container's port(s) to the host");
  add_bool(app, "-P,--publish-all", o.publish_all, "Publish all exposed ports to random ports");
  add_list(app, "--expose", o.expose, "Expose a port or a range of ports");
  add_list(app, "-v,--volume", o.volumes, "Bind mount a volume");
  add_list(app, "--mount", o.mounts, "Attach a filesystem mount to the container", "mount")
      ->check(checked("--mount", [](const std::string& v) { return parse_mount(v, process_environment()); }));
  add_list(app, "--volumes-from", o.volumes_from, "Mount volumes from the specified container(s)");
}

// --health-* and --no-healthcheck (docker-cli opts.go).
void add_health_flags(CLI::App* app, RunOptions& o) {
  auto duration = [](const char* flag) {
    return CLI::Validator(
        [flag](std::string& value) -> std::string {
          auto r = go::parse_duration(value);
          if (r) return "";
          return fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, r.error().message);
        },
        "", flag);
  };
  add_string(app, "--health-cmd", o.health_cmd, "Command to run to check health");
  add_string(app, "--health-interval", o.health_interval, "Time between running the check (ms|s|m|h) (default 0s)",
             "duration")->check(duration("--health-interval"));
  app->add_option_function<int64_t>("--health-retries", [&o](const int64_t& v) { o.health_retries = v; },
                                    "Consecutive failures needed to report unhealthy")->type_name("int");
  add_string(app, "--health-timeout", o.health_timeout,
             "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", "duration")
      ->check(duration("--health-timeout"));
  add_string(app, "--health-start-period", o.health_start_period,
             "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) "
             "(default 0s)", "duration")
      ->check(duration("--health-start-period"));
  add_string(app, "--health-start-interval", o.health_start_interval,
             "Time between running the check during the start period (ms|s|m|h) (default 0s)", "duration")
      ->check(duration("--health-start-interval"));
  add_bool(app, "--no-healthcheck", o.no_healthcheck, "Disable any container-specified HEALTHCHECK");
}

}  // namespace

void add_run_flags(CLI::App* app, RunOptions& o, bool is_run) {
  app->set_help_flag("--help", "Print usage");
  app->prefix_command();  // flags after the image belong to the command
  if (is_run) {
    add_bool(app, "-d,--detach", o.detach, "Run container in background and print container ID");
    add_bool(app, "--rm", o.rm, "Automatically remove the container and its associated anonymous volumes when it exits");
    add_string(app, "--detach-keys", o.detach_keys, "Override the key sequence for detaching a container");
    add_bool(app, "--sig-proxy", o.sig_proxy, "Proxy received signals to the process (default true)");
  } else {
    add_bool(app, "--rm", o.rm, "Automatically remove the container and its associated anonymous volumes when it exits");
  }
  add_list(app, "-a,--attach", o.attach, "Attach to STDIN, STDOUT or STDERR");
  add_bool(app, "-i,--interactive", o.interactive, "Keep STDIN open even if not attached");
  add_bool(app, "-t,--tty", o.tty, "Allocate a pseudo-TTY");
  add_string(app, "--name", o.name, "Assign a name to the container");
  add_list(app, "-e,--env", o.env, "Set environment variables");
  add_list(app, "--env-file", o.env_files, "Read in a file of environment variables");
  add_string(app, "-w,--workdir", o.workdir, "Working directory inside the container");
  add_string(app, "-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  add_string(app, "-h,--hostname", o.hostname, "Container host name");
  add_string(app, "--entrypoint", o.entrypoint, "Overwrite the default ENTRYPOINT of the image")
      ->each([&o](const std::string&) { o.entrypoint_set = true; });
  add_list(app, "-l,--label", o.labels, "Set meta data on a container");
  add_string(app, "--restart", o.restart, "Restart policy to apply when a container exits (default \"no\")");
  add_bool(app, "--init", o.init, "Run an init inside the container that forwards signals and reaps processes");
  add_string(app, "-m,--memory", o.memory, "Memory limit", "bytes");
  add_string(app, "--memory-swap", o.memory_swap,
             "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", "bytes");
  add_string(app, "--cpus", o.cpus, "Number of CPUs", "decimal");
  app->add_option_function<int64_t>("-c,--cpu-shares", [&o](const int64_t& v) { o.cpu_shares = v; },
                                    "CPU shares (relative weight)")->type_name("int");
  add_string(app, "--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  app->add_option_function<int64_t>("--pids-limit", [&o](const int64_t& v) { o.pids_limit = v; },
                                    "Tune container pids limit (set -1 for unlimited)")->type_name("int");
  add_list(app, "--ulimit", o.ulimits, "Ulimit options", "ulimit");
  add_bool(app, "--read-only", o.read_only, "Mount the container's root filesystem as read only");
  add_list(app, "--tmpfs", o.tmpfs, "Mount a tmpfs directory");
  add_list(app, "--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  add_list(app, "--cap-add", o.cap_add, "Add Linux capabilities");
  add_list(app, "--cap-drop", o.cap_drop, "Drop Linux capabilities");
  add_list(app, "--device", o.devices, "Add a host device to the container", "list");
  add_list(app, "--device-cgroup-rule", o.device_cgroup_rules, "Add a rule to the cgroup allowed devices list", "list");
  add_bool(app, "--privileged", o.privileged, "Give extended privileges to this container");
  add_list(app, "--security-opt", o.security_opt, "Security Options");
  add_string(app, "--stop-signal", o.stop_signal, "Signal to stop the container");
  add_string(app, "--runtime", o.runtime, "Runtime to use for this container (berth, or berth-vm/vm for a microVM)");
  add_string(app, "--userns", o.userns, "User namespace to use (host: not remapped under berthd --userns-remap)");
  app->add_option_function<int64_t>("--stop-timeout", [&o](const int64_t& v) { o.stop_timeout = v; },
                                    "Timeout (in seconds) to stop a container")->type_name("int");
  add_health_flags(app, o);
  add_network_volume_flags(app, o);
  add_string(app, "--pull", o.pull, "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")");
  add_string(app, "--platform", o.platform, "Set platform if server is multi-platform capable", "string");
  add_bool(app, "-q,--quiet", o.quiet, "Suppress the pull output");
  add_string(app, "--cidfile", o.cidfile, "Write the container ID to the file");
}

// Image, then the command: CLI11's prefix mode leaves them in remaining().
void take_run_positionals(CLI::App* app, RunOptions& o) {
  std::vector<std::string> rest = app->remaining();
  if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
  if (!rest.empty()) {
    o.image = rest.front();
    o.command.assign(rest.begin() + 1, rest.end());
  }
}

}  // namespace berth::cli
