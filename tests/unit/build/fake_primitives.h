// The dispatcher's fake primitives: an image store, a cache and a record of
// the engine calls, in memory; safe to call from several stages at once.
// Shared by the dispatcher's tests (tests/unit/build/dispatcher*_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <map>
#include <mutex>
#include <set>

#include "build/dispatcher.h"

namespace berth::build {
namespace {

class FakePrimitives : public Primitives {
 public:
  FakePrimitives() {
    StageImage base;
    base.id = make_id();
    base.config.env = {"PATH=/bin"};
    base.config.cmd = std::vector<std::string>{"sh"};
    images[base.id] = base;
    named["busybox"] = base.id;
  }
  std::string make_id() { return fmt::format("sha256:{:064x}", ++seq); }

  Result<StageImage> from_image(const std::string& ref, const std::string&, bool, Output&) override {
    std::lock_guard lk(mu);
    calls.push_back("from " + ref);
    auto it = named.find(ref);
    if (it == named.end()) return fail(Errc::NotFound, "No such image: " + ref);
    return images.at(it->second);
  }
  Result<StageImage> load(const std::string& id) override {
    std::lock_guard lk(mu);
    auto it = images.find(id);
    if (it == images.end()) return fail(Errc::NotFound, "No such image: " + id);
    return it->second;
  }
  std::optional<std::string> cache_get(const std::string& key) override {
    std::lock_guard lk(mu);
    auto it = cache.find(key);
    if (it == cache.end()) return std::nullopt;
    return it->second;
  }
  void cache_put(const std::string& key, const std::string& id) override {
    std::lock_guard lk(mu);
    cache[key] = id;
  }
  std::string record(const StageImage& parent, const CommitInfo& info, const std::string& what) {
    std::lock_guard lk(mu);
    StageImage img{make_id(), info.config};
    images[img.id] = img;
    history[img.id] = history[parent.id];
    history[img.id].push_back(info.created_by);
    parents[img.id] = parent.id;
    calls.push_back(what);
    return img.id;
  }
  Result<std::string> commit_config(const StageImage& parent, const CommitInfo& info) override {
    std::lock_guard lk(mu);
    return record(parent, info, "commit");
  }
  Result<std::string> make_workdir(const StageImage& parent, const std::string& path, const CommitInfo& info) override {
    std::lock_guard lk(mu);
    return record(parent, info, "workdir " + path);
  }
  Result<RunOutcome> run(const RunStep& step, Output& out) override {
    if (on_run) on_run(step);  // unlocked: it may wait for another stage's RUN
    std::lock_guard lk(mu);
    runs.push_back(step);
    std::string cmd = step.argv.back();
    run_env[cmd] = step.env;
    out.stream("output of " + cmd + "\n");
    RunOutcome o;
    o.exit_code = exit_codes.contains(cmd) ? exit_codes[cmd] : 0;
    if (o.exit_code == 0) o.image_id = record(step.parent, step.commit, "run " + cmd);
    else calls.push_back("run " + cmd);
    return o;
  }
  Result<SourceDigest> digest_sources(const CopyStep& step) override {
    std::lock_guard lk(mu);
    std::string key;
    for (const auto& s : step.sources) key += s + ",";
    if (missing.contains(key)) return fail(Errc::NotFound, "file not found in build context: " + key);
    return SourceDigest{step.sources.size() == 1 ? "file" : "multi", digests[key].empty() ? "aaaa" : digests[key]};
  }
  Result<std::string> copy(const CopyStep& step) override {
    std::lock_guard lk(mu);
    copies.push_back(step);
    return record(step.parent, step.commit, "copy " + step.dest);
  }

  std::recursive_mutex mu;
  std::function<void(const RunStep&)> on_run;
  std::vector<RunStep> runs;
  int seq = 0;
  std::map<std::string, StageImage> images;
  std::map<std::string, std::string> named, cache, parents, digests;
  std::map<std::string, std::vector<std::string>> history, run_env;
  std::map<std::string, int> exit_codes;
  std::set<std::string> missing;
  std::vector<std::string> calls;
  std::vector<CopyStep> copies;
};

class TextOutput : public Output {
 public:
  void stream(std::string_view text) override { log += text; }
  std::string log;
};

struct Built {
  Result<std::string> id;
  std::string log;
  int exit_code = 0;
};

Built build(FakePrimitives& p, const std::string& dockerfile, BuildOptions opt = {}) {
  auto df = parse_dockerfile(dockerfile);
  EXPECT_TRUE(df.has_value()) << (df ? "" : df.error().message);
  if (!df) return {fail(Errc::InvalidArgument, "parse"), "", 0};
  TextOutput out;
  Dispatcher d(*df, opt, p, out);
  auto id = d.run();
  return {id, out.log, d.failed_exit_code()};
}

}  // namespace
}  // namespace berth::build
