// BuildService: one POST /build from the context's first byte to the tags.
#include "engine/build/build_service.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "base/go_json.h"
#include "base/go_time.h"
#include "base/log.h"
#include "base/prune_filter.h"
#include "build/dispatcher.h"
#include "build/ignore.h"
#include "build/go_text.h"
#include "buildfs/context.h"
#include "idmap/remap.h"
#include "image/reference.h"
#include "snapshot/mount.h"
#include "sys/syscalls.h"

namespace berth::engine {
namespace {

// The build log as Docker's JSON messages ({"stream": ...}), each line
// ended as dockerd's streamformatter ends it. Quiet builds write nothing
// but errors and the final ID.
class JsonOutput : public build::Output {
 public:
  JsonOutput(const backend::BuildBackend::Progress& progress, bool quiet) : progress_(progress), quiet_(quiet) {}
  void stream(std::string_view text) override {
    if (quiet_ || text.empty()) return;
    nlohmann::ordered_json j;
    j["stream"] = std::string(text);
    send(go::marshal(j) + "\r\n");
  }
  void json(const std::string& line) override {
    if (quiet_) return;
    send(line.ends_with("\n") ? line : line + "\r\n");
  }
  void aux_id(const std::string& id) {
    nlohmann::ordered_json j;
    j["aux"] = nlohmann::ordered_json{{"ID", id}};
    send(go::marshal(j) + "\r\n");
  }
  void final_id(const std::string& id) {
    nlohmann::ordered_json j;
    j["stream"] = id + "\n";
    send(go::marshal(j) + "\r\n");
  }
  void error(const std::string& message, int code) {
    nlohmann::ordered_json detail = nlohmann::ordered_json::object();
    if (code) detail["code"] = code;
    detail["message"] = message;
    nlohmann::ordered_json j;
    j["errorDetail"] = detail;
    j["error"] = message;
    send(go::marshal(j) + "\r\n");
  }
  bool client_gone() const { return gone_; }

 private:
  void send(const std::string& line) {
    if (!gone_ && !progress_(line)) gone_ = true;
  }
  const backend::BuildBackend::Progress& progress_;
  bool quiet_;
  bool gone_ = false;
};

// A file of the context, opened inside it: a symlink in the context cannot
// make the daemon read a file of the host.
Result<std::string> read_in_context(const std::string& context_dir, const std::string& rel) {
  UniqueFd root(::open(context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening the build context");
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(sys::openat2(root.get(), rel.c_str(), &how));
  if (!fd) return fail_errno("opening " + rel + " in the build context");
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading " + rel + " in the build context");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > (8u << 20)) return fail(Errc::InvalidArgument, rel + " is larger than 8 MiB");
  }
  return data;
}

// The build's context directory, handed to the background removal when the build is done.
class ContextDir {
 public:
  ContextDir(std::string path, DeferredRemoval& removal) : path_(std::move(path)), removal_(removal) {}
  ~ContextDir() { removal_.remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  DeferredRemoval& removal_;
};

}  // namespace

Result<std::unique_ptr<BuildService>> BuildService::open(std::string work_dir, image::ImageService& images,
                                                         std::mutex& image_mu, ContainerService& containers,
                                                         backend::DistributionBackend& distribution,
                                                         ImageBackend& image_backend) {
  std::unique_ptr<BuildService> s(
      new BuildService(std::move(work_dir), images, image_mu, containers, distribution, image_backend));
  TRYV(s->cache_.open());
  s->recover();
  TRYV(s->cache_mounts_.open());
  s->secrets_.open();
  if (const idmap::Remap* remap = containers.daemon_remap()) {
    s->cache_mounts_.own_dirs_by(remap->root_uid(), remap->root_gid());
    s->secrets_.own_dir_by(remap->root_uid(), remap->root_gid());
  }
  std::error_code ec;
  for (const char* sub : {"/tmp", "/mnt"}) {
    std::filesystem::create_directories(s->work_dir_ + sub, ec);
    if (ec) return fail(Errc::Internal, "creating " + s->work_dir_ + sub + ": " + ec.message());
  }
  return s;
}

void BuildService::recover() {
  // What a build left behind when the daemon died in the middle of it: the
  // snapshots its file steps had mounted, its contexts and downloads.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir_ + "/mnt", ec)) {
    (void)snapshot::unmount_all(entry.path().string());
    ::rmdir(entry.path().c_str());
  }
  std::vector<std::string> stale;
  std::lock_guard lk(image_mu_);
  (void)images_.snapshots().walk([&](const snapshot::Info& info) -> Result<void> {
    if (info.key.starts_with(kBuildSnapshotPrefix)) stale.push_back(info.key);
    return {};
  });
  for (const auto& key : stale)
    if (auto r = images_.snapshots().remove(key); !r) log::warn("removing the build snapshot {}: {}", key, r.error().str());
  std::filesystem::remove_all(work_dir_ + "/tmp", ec);
}

Result<std::string> BuildService::build(const backend::BuildRequest& request,
                                        const std::function<Result<size_t>(char*, size_t)>& context,
                                        const Progress& progress) {
  // What can be refused is refused before the context is read.
  std::vector<image::Reference> tags;
  for (const auto& t : request.tags) {
    auto ref = image::Reference::parse(t);
    if (!ref) return fail(Errc::InvalidArgument, "invalid tag \"" + t + "\": " + ref.error().message);
    if (!ref->digest().empty()) return fail(Errc::InvalidArgument, "invalid tag \"" + t + "\": a tag cannot name a digest");
    tags.push_back(*ref);
  }
  std::string rel = build::gotext::clean_path(request.dockerfile.empty() ? "Dockerfile" : request.dockerfile);
  if (rel.starts_with("/") || rel == ".." || rel.starts_with("../"))
    return fail(Errc::InvalidArgument, "the Dockerfile (" + request.dockerfile + ") must be within the build context");

  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  auto t0 = Clock::now();
  std::string tmpl = work_dir_ + "/tmp/context-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return fail_errno("creating a directory for the build context");
  ContextDir ctx(tmpl, removal_);
  // RUN --mount=type=bind of the context: under --userns-remap the RUN's root passes through it.
  if (const idmap::Remap* remap = containers_.daemon_remap();
      remap && ::chown(ctx.path().c_str(), remap->root_uid(), remap->root_gid()) != 0)
    return fail_errno("setting the owner of the build context's directory");
  auto received = TRY_CTX(buildfs::receive_context(context, ctx.path()), "reading the build context");
  if (received.dockerfile_only) rel = "Dockerfile";
  auto text = read_in_context(ctx.path(), rel);
  if (!text) {
    if (text.error().sys_errno == ENOENT)
      return fail(Errc::InvalidArgument, "Cannot locate specified Dockerfile: " + request.dockerfile);
    return std::unexpected(text.error());
  }
  // The daemon's part of .dockerignore for a tar context (the client
  // applies the rest): a Dockerfile or .dockerignore it lists is not a file
  // COPY can see.
  if (auto ignore_text = read_in_context(ctx.path(), ".dockerignore")) {
    auto ignore = TRY_CTX(build::IgnorePatterns::parse(*ignore_text), ".dockerignore");
    for (const std::string& f : {rel, std::string(".dockerignore")})
      if (ignore.excluded(f)) ::unlink((ctx.path() + "/" + f).c_str());
  }
  auto parsed = build::parse_dockerfile(*text);
  if (!parsed) {
    if (parsed.error().message.find("cannot be empty") != std::string::npos)
      return fail(Errc::InvalidArgument, "the Dockerfile (" + request.dockerfile + ") cannot be empty");
    return std::unexpected(parsed.error());
  }

  build::BuildOptions opt;
  opt.build_args = request.build_args;
  opt.labels = request.labels;
  opt.target = request.target;
  opt.no_cache = request.no_cache;
  opt.pull = request.pull;
  opt.platform = request.platform;
  opt.skip_unused_stages = request.native;
  opt.run_mounts = request.native;
  opt.parallel_stages = request.native;
  JsonOutput out(progress, request.quiet);
  for (const auto& w : parsed->warnings) out.stream("[WARNING]: " + w + "\n");
  EnginePrimitives primitives(
      BuildEnv{images_, image_mu_, containers_, distribution_, cache_, work_dir_, cache_mounts_, secrets_, counters_}, request,
      ctx.path());
  build::Dispatcher dispatcher(*parsed, opt, primitives, out);
  double received_ms = ms_since(t0);
  auto t1 = Clock::now();
  auto id = dispatcher.run();
  // Where a build's time goes (berthd --debug): what the bench reads.
  log::debug("build: context {} entries, {} bytes in {:.1f} ms; steps in {:.1f} ms", received.entries, received.bytes,
             received_ms, ms_since(t1));
  if (!id) {
    if (counters_) counters_->build(false);
    out.error(id.error().message, dispatcher.failed_exit_code());
    return std::string();
  }
  if (counters_) counters_->build(true);
  out.aux_id(*id);
  std::string short_id = id->substr(7, 12);
  out.stream("Successfully built " + short_id + "\n");
  for (const auto& t : tags) {
    auto tagged = image_backend_.tag(*id, t.name(), t.tag());
    if (!tagged) {
      out.error(tagged.error().message, 0);
      return std::string();
    }
    out.stream("Successfully tagged " + t.familiar() + "\n");
  }
  if (request.quiet) out.final_id(*id);
  return *id;
}

Result<backend::BuildPruneReport> BuildService::prune(const std::string& filters_json, bool all) {
  auto filter = TRY(PruneFilter::parse(filters_json, {"until"}));
  // Images a tagged image or a container stands on are in use.
  std::set<std::string> in_use;
  std::map<std::string, metadata::ImageRecord> records;
  {
    std::lock_guard lk(image_mu_);
    auto all = TRY(images_.metadata().list());
    for (auto& s : all) records[s.image.id] = s.image;
    for (auto& s : all) {
      bool used = !s.refs.empty() || !containers_.containers_using(s.image.id, false).empty();
      for (std::string id = s.image.id; used && !id.empty() && !in_use.contains(id);
           id = records.contains(id) ? records[id].parent : std::string())
        in_use.insert(id);
    }
  }
  backend::BuildPruneReport report;
  auto removed = cache_.remove_if([&](const BuildCache::Entry& e) {
    if (filter.until() && go::UnixTime{e.last_used_s, 0} > *filter.until()) return false;
    return all || !in_use.contains(e.image_id);
  });
  // RUN --mount=type=cache directories no RUN is using, as BuildKit's prune takes them.
  for (const auto& e : cache_mounts_.remove_if([&](const CacheMounts::Entry& c) {
         return !filter.until() || go::UnixTime{c.last_used_s, 0} <= *filter.until();
       })) {
    report.caches_deleted.push_back(e.key);
    report.space_reclaimed += e.size;
  }
  std::set<std::string> referenced;  // images other cache entries still name
  for (const auto& e : cache_.list()) referenced.insert(e.image_id);
  for (const auto& e : removed) {
    report.caches_deleted.push_back(e.name);
    if (in_use.contains(e.image_id) || referenced.contains(e.image_id)) continue;
    auto rec = records.find(e.image_id);
    if (rec == records.end()) continue;
    auto deleted = image_backend_.remove(e.image_id, false, false);
    if (!deleted) continue;  // a child still stands on it: its own entry takes it
    for (const auto& item : *deleted)
      if (item.kind == metadata::DeleteItem::Kind::Deleted)
        if (auto r = records.find(item.value); r != records.end()) {
          int64_t parent_size = records.contains(r->second.parent) ? records[r->second.parent].size : 0;
          report.space_reclaimed += std::max<int64_t>(0, r->second.size - parent_size);
        }
  }
  return report;
}

Result<std::vector<backend::BuildCacheUsage>> BuildService::usage() {
  std::map<std::string, metadata::ImageRecord> records;
  {
    std::lock_guard lk(image_mu_);
    for (auto& s : TRY(images_.metadata().list())) records[s.image.id] = s.image;
  }
  std::vector<backend::BuildCacheUsage> out;
  for (const auto& e : cache_.list()) {
    auto r = records.find(e.image_id);
    if (r == records.end()) continue;  // its image is gone: not cache any more
    backend::BuildCacheUsage u;
    u.id = e.name.substr(0, 25);
    u.image_id = e.image_id;
    u.last_used = go::format_rfc3339_nano(go::UnixTime{e.last_used_s, 0});
    int64_t parent_size = records.contains(r->second.parent) ? records[r->second.parent].size : 0;
    u.size = std::max<int64_t>(0, r->second.size - parent_size);
    u.in_use = !containers_.containers_using(e.image_id, true).empty();
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace berth::engine
