#include "cli/image_diff.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/pull.h"
#include "cli/table.h"

namespace berth::cli {
namespace {

constexpr std::string_view kRemote = "remote://";
constexpr std::string_view kDaemon = "daemon://";

bool looks_like_archive(const std::string& arg) {
  if (arg.starts_with("/") || arg.starts_with("./") || arg.starts_with("../") || arg == "." || arg == "..") return true;
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2"})
    if (arg.ends_with(ext)) return true;
  struct stat st {};
  return ::stat(arg.c_str(), &st) == 0;  // an existing file of any name
}

}  // namespace

Result<std::string> diff_input(const std::string& arg) {
  if (arg.starts_with(kRemote) || arg.starts_with(kDaemon)) return arg;
  if (arg.empty()) return fail(Errc::InvalidArgument, "image diff needs two images: an argument is empty");
  if (!looks_like_archive(arg)) return arg;
  // The daemon opens it (it runs on this host): check here too, to say which argument is wrong.
  int fd = ::open(arg.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("open {}", arg));
  struct stat st {};
  bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (dir) return fail(Errc::InvalidArgument, fmt::format("{} is a directory: image diff reads archive files", arg));
  std::error_code ec;
  auto abs = std::filesystem::absolute(arg, ec);
  if (ec) return fail(Errc::InvalidArgument, fmt::format("{}: {}", arg, ec.message()));
  return abs.lexically_normal().string();
}

void add_image_diff_command(Invocation& inv, CLI::App* image_group) {
  if (!inv.wants(image_group, "diff")) return;
  struct O {
    std::vector<std::string> args, types;
    bool json = false;
    std::string platform;
  };
  auto o = std::make_shared<O>();
  CLI::App* app = add_command(
      inv, image_group, "diff", "[OPTIONS] IMAGE1 IMAGE2",
      "Compare two images: files, sizes, history, metadata and packages", &o->args, {2, 2},
      [&cli = inv.cli, o]() -> Result<int> {
        Json body;
        body["a"] = TRY(diff_input(o->args[0]));
        body["b"] = TRY(diff_input(o->args[1]));
        body["types"] = o->types;
        if (!o->platform.empty()) body["platform"] = o->platform;
        // A registry's credentials as a pull sends them (config.json, its helpers).
        Json auth = Json::object();
        for (const char* side : {"a", "b"}) {
          std::string in = body[side].get<std::string>();
          if (!in.starts_with(kRemote)) continue;
          auto target = TRY(pull_target(in.substr(kRemote.size())));
          auth[side] = TRY(registry_auth_header(target.domain));
        }
        if (!auth.empty()) body["registry_auth"] = auth;
        api::Response r = TRY(cli.post("/berth/v1/images/diff", body));
        if (o->json) {
          out(indent_json(r.body));
          if (!r.body.ends_with("\n")) out("\n");
          return 0;
        }
        Json result = Json::parse(r.body, nullptr, false);
        if (!result.is_object()) return fail(Errc::Internal, "the daemon's answer to the image diff is not JSON");
        out(render_image_diff(result));
        return 0;
      });
  add_list(app, "-t,--type", o->types,
           "What to compare: size, file, history, metadata, apt, apk (repeat it or separate with commas; default size)",
           "strings");
  add_bool(app, "-j,--json", o->json, "Print the comparison as JSON");
  add_string(app, "--platform", o->platform, "Platform of an image index (registry or OCI archive), e.g. linux/arm64");
}

}  // namespace berth::cli
