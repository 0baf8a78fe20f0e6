// RUN: a ContainerService container on the step's parent, attached before
// it starts (so no output is lost), its output streamed into the build log,
// its writable layer committed as the step's image when it exits 0.
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "base/log.h"
#include "engine/build/engine_primitives.h"
#include "engine/build/runtime_mountpoints.h"
#include "image/container_export.h"

namespace berth::engine {
namespace {

std::string short_id(const std::string& id) { return id.substr(0, 12); }

// Docker's 8-byte stream frames (stdout and stderr alike go to the log).
class FrameReader {
 public:
  explicit FrameReader(build::Output& out) : out_(out) {}
  void feed(const char* data, size_t n) {
    buf_.append(data, n);
    size_t pos = 0;
    while (buf_.size() - pos >= 8) {
      auto* h = reinterpret_cast<const unsigned char*>(buf_.data() + pos);
      size_t len = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
      if (buf_.size() - pos - 8 < len) break;
      out_.stream(std::string_view(buf_).substr(pos + 8, len));
      pos += 8 + len;
    }
    buf_.erase(0, pos);
  }

 private:
  build::Output& out_;
  std::string buf_;
};

}  // namespace

Result<build::RunOutcome> EnginePrimitives::run(const build::RunStep& step, build::Output& out) {
  if (step.parent.id.empty())
    return fail(Errc::InvalidArgument, "RUN needs a filesystem to run in: this stage is FROM scratch with no files yet");
  model::ContainerSpec spec;
  auto& c = spec.config;
  c.image = step.parent.id;
  c.cmd = step.argv;
  c.entrypoint = std::vector<std::string>{""};  // the image's ENTRYPOINT does not wrap a RUN
  c.env = step.env;
  c.user = step.parent.config.user;
  c.working_dir = step.parent.config.working_dir;
  c.attach_stdout = c.attach_stderr = true;
  std::string network = step.network.empty() ? request_.network_mode : step.network;
  if (!network.empty()) spec.host.network_mode = TRY(model::NetworkMode::parse(network));
  spec.host.resources = request_.resources;
  spec.host.shm_size = request_.shm_size;
  spec.host.extra_hosts = request_.extra_hosts;
  // Declared before the container, so what its mounts show outlives it.
  RunMountSet mounts = TRY(prepare_mounts(step.mounts));
  spec.host.mounts = mounts.binds;
  for (const auto& [target, options] : mounts.tmpfs) spec.host.tmpfs[target] = options;
  auto created = TRY(env_.containers.create("", spec));
  const std::string id = created.id;
  out.stream(" ---> Running in " + short_id(id) + "\n");
  auto remove = [&] {
    out.stream("Removing intermediate container " + short_id(id) + "\n");
    if (auto r = env_.containers.remove(id, true, true); !r) log::warn("removing build container {}: {}", id, r.error().str());
  };
  MountStubs stubs;
  if (!mounts.targets.empty()) {
    auto found = find_stubs(id, mounts.targets);
    if (!found) {
      remove();
      return std::unexpected(found.error());
    }
    stubs = std::move(*found);
  }

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    remove();
    return fail_errno("creating the output channel of a RUN");
  }
  UniqueFd ours(sv[0]), theirs(sv[1]);
  std::promise<void> attached;
  auto attached_f = attached.get_future();
  std::thread attacher([&, client = std::move(theirs)]() mutable {
    backend::AttachOptions ao;
    ao.stdout = ao.stderr = true;
    bool told = false;
    ao.on_attached = [&] {
      told = true;
      attached.set_value();
    };
    auto r = env_.containers.attach(id, ao, std::move(client), "");
    if (!told) attached.set_value();
    if (!r) log::warn("attaching to build container {}: {}", id, r.error().str());
  });
  attached_f.wait();
  auto started = env_.containers.start(id);
  if (!started) {
    ::shutdown(ours.get(), SHUT_RDWR);
    attacher.join();
    if (request_.force_rm || request_.rm) remove();
    return std::unexpected(started.error());
  }
  FrameReader frames(out);
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(ours.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    frames.feed(buf, static_cast<size_t>(n));
  }
  attacher.join();
  auto waited = env_.containers.wait(id, backend::WaitCondition::NotRunning, nullptr);
  if (!waited) return std::unexpected(waited.error());
  build::RunOutcome outcome;
  outcome.exit_code = waited->status_code;
  if (outcome.exit_code != 0) {
    if (request_.force_rm) remove();  // else the container stays for a look, as Docker's
    return outcome;
  }
  remove_stubs(id, stubs);  // RUN --mount's mount points
  {
    std::lock_guard lk(env_.image_mu);
    auto mounts = env_.images.snapshots().mounts(id);
    auto roots = mounts ? image::layer_roots(*mounts, id) : Result<std::vector<std::string>>(std::unexpected(mounts.error()));
    if (roots && !roots->empty())
      drop_runtime_mountpoints(roots->front(), std::vector<std::string>(roots->begin() + 1, roots->end()));
  }
  // A container that goes right after (rm, the default) gives its snapshot to the layer; one kept
  // for a look keeps its own.
  const bool goes = request_.rm || request_.force_rm;
  auto image = commit(step.parent, step.commit, id, /*take_snapshot=*/goes);
  if (goes || !image) remove();
  outcome.image_id = TRY(std::move(image));
  return outcome;
}

}  // namespace berth::engine
