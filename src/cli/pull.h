// `berth pull`, and the pull `run`/`create` do for a missing image: the
// daemon's POST /images/create?fromImage= with the registry credentials of
// the client's config.json, its progress drawn as the docker CLI draws it.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/cli.h"
#include "cli/command.h"

namespace berth::cli {

struct PullTarget {
  std::string name;      // "busybox", "127.0.0.1:5000/a/b": as given, without tag or digest
  std::string tag;       // tag, or "sha256:..." for a digest; "latest" when neither was given
  bool defaulted = false;  // no tag or digest was given
  std::string domain;    // "docker.io", "127.0.0.1:5000"
  std::string canonical; // "docker.io/library/busybox:latest", what docker prints at the end
  std::string repository;  // "docker.io/library/busybox": what `pull -a` prints at the end
};
Result<PullTarget> pull_target(const std::string& reference);

// Pulls; progress (and "Using default tag") to fd, drawn for a terminal when it is one.
// all_tags: reference is a repository, every tag of it is pulled (no tag may be given).
Result<void> pull_image(Cli& cli, const std::string& reference, const std::string& platform, bool quiet, int fd,
                        bool all_tags = false);
// Docker's refusal of NAME:TAG with -a.
inline constexpr char kTagWithAllTags[] = "tag can't be used with --all-tags/-a";

void add_pull_commands(Invocation& inv, CLI::App* parent);

// POST path (a pull or push) with the registry's credentials (credentials.h);
// the daemon's progress drawn on fd, its error (in the stream or the status) returned.
Result<void> stream_progress(Cli& cli, const std::string& path, const std::string& domain, bool quiet, int fd);

}  // namespace berth::cli

namespace berth::cli {
// `berth push`: POST /images/NAME/push?tag=, progress drawn as for pull.
void add_push_commands(Invocation& inv, CLI::App* parent);
// `berth login` / `logout` (login.cc).
void add_login_commands(Invocation& inv, CLI::App* root);
}  // namespace berth::cli
