// VolumeStore round trip and VolumeService over a temp data root (no mounts,
// no root needed): create/inspect/list filters/remove/prune/reopen.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>

#include "metadata/volume_store.h"
#include "volume/service.h"

using namespace berth;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-vo-unit-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> names(const json& list) {
  std::vector<std::string> out;
  for (const auto& v : list["Volumes"]) out.push_back(v["Name"]);
  return out;
}

}  // namespace

TEST(VolumeStore, RoundTrip) {
  TempDir dir;
  auto st = metadata::VolumeStore::open(dir.path() + "/metadata.db");
  ASSERT_TRUE(st) << st.error().str();
  ASSERT_TRUE(st->insert({"b", R"({"Name":"b"})"}));
  ASSERT_TRUE(st->insert({"a", R"({"Name":"a"})"}));
  auto dup = st->insert({"a", R"({"Name":"a"})"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::AlreadyExists);
  EXPECT_FALSE(st->insert({"c", "not json"}));
  auto got = st->get("a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->doc, R"({"Name":"a"})");
  EXPECT_FALSE(*st->get("zz"));
  ASSERT_TRUE(st->update("a", R"({"Name":"a","x":1})"));
  EXPECT_EQ(st->update("zz", "{}").error().code, Errc::NotFound);
  auto all = st->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a");
  EXPECT_EQ((*all)[0].doc, R"({"Name":"a","x":1})");
  ASSERT_TRUE(st->remove("a"));
  ASSERT_TRUE(st->remove("a"));  // missing: fine
  // Survives a reopen.
  auto again = metadata::VolumeStore::open(dir.path() + "/metadata.db");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->list()->size(), 1u);
}

TEST(VolumeService, CreateInspectListRemove) {
  TempDir dir;
  auto svc = volume::VolumeService::open(dir.path() + "/root", dir.path() + "/metadata.db");
  ASSERT_TRUE(svc) << svc.error().str();
  auto& s = **svc;
  auto v = s.create("data1", "", {}, {{"env", "prod"}});
  ASSERT_TRUE(v) << v.error().str();
  EXPECT_EQ((*v)["Name"], "data1");
  EXPECT_EQ((*v)["Driver"], "local");
  EXPECT_EQ((*v)["Scope"], "local");
  EXPECT_EQ((*v)["Mountpoint"], dir.path() + "/root/volumes/data1/_data");
  EXPECT_EQ((*v)["Labels"], (json{{"env", "prod"}}));
  EXPECT_EQ((*v)["Options"], json::object());
  EXPECT_TRUE(fs::is_directory(dir.path() + "/root/volumes/data1/_data"));
  // The same name again: returned as it is (labels of the first create).
  auto again = s.create("data1", "local", {}, {{"other", "x"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *v);

  auto bad = s.create("a/b", "", {}, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::InvalidArgument);
  EXPECT_TRUE(bad.error().message.starts_with("create a/b: \"a/b\" includes invalid characters"));
  auto plugin = s.create("x1", "nfsplugin", {}, {});
  ASSERT_FALSE(plugin);
  EXPECT_EQ(plugin.error().code, Errc::NotFound);
  auto opt = s.create("x1", "", {{"bogus", "1"}}, {});
  ASSERT_FALSE(opt);
  EXPECT_EQ(opt.error().message, "create x1: invalid option: \"bogus\"");

  auto anon = s.create("", "", {}, {});
  ASSERT_TRUE(anon);
  std::string anon_name = (*anon)["Name"];
  EXPECT_EQ(anon_name.size(), 64u);
  EXPECT_TRUE((*anon)["Labels"].contains(volume::kAnonymousLabel));

  auto miss = s.inspect("nope");
  ASSERT_FALSE(miss);
  EXPECT_EQ(miss.error().code, Errc::NotFound);
  EXPECT_EQ(miss.error().message, "get nope: no such volume");

  ASSERT_TRUE(s.create("other2", "", {}, {{"env", "dev"}, {"team", "a"}}));
  auto all = s.list(json::object());
  ASSERT_TRUE(all);
  EXPECT_EQ(all->at("Warnings"), json::array());
  // Listed by name; the anonymous volume's random hex name may sort before or after "data1".
  std::vector<std::string> expected = {anon_name, "data1", "other2"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names(*all), expected);
  EXPECT_EQ(names(*s.list(json{{"label", {{"env=prod", true}}}})), (std::vector<std::string>{"data1"}));
  EXPECT_EQ(names(*s.list(json{{"label", {"env"}}})), (std::vector<std::string>{"data1", "other2"}));
  EXPECT_EQ(names(*s.list(json{{"name", {"^da"}}})), (std::vector<std::string>{"data1"}));
  EXPECT_EQ(names(*s.list(json{{"driver", {"local"}}})).size(), 3u);
  EXPECT_TRUE(names(*s.list(json{{"driver", {"other"}}})).empty());
  EXPECT_FALSE(s.list(json{{"bogus", {"1"}}}));
  EXPECT_FALSE(s.list(json{{"dangling", {"maybe"}}}));

  // In use: through the callback and through mount().
  s.set_in_use([](const std::string& v) {
    return v == "data1" ? std::vector<std::string>{"c1", "c2"} : std::vector<std::string>{};
  });
  EXPECT_EQ(names(*s.list(json{{"dangling", {"true"}}})), (std::vector<std::string>{anon_name, "other2"}));
  EXPECT_EQ(names(*s.list(json{{"dangling", {"false"}}})), (std::vector<std::string>{"data1"}));
  auto busy = s.remove("data1", true);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code, Errc::Conflict);
  EXPECT_EQ(busy.error().message, "remove data1: volume is in use - [c1 c2]");
  auto path = s.mount("other2", "c9");
  ASSERT_TRUE(path) << path.error().str();
  EXPECT_EQ(*path, dir.path() + "/root/volumes/other2/_data");
  EXPECT_EQ(s.remove("other2", false).error().message, "remove other2: volume is in use - [c9]");
  s.unmount("other2", "c9");

  { std::ofstream(*path + "/file") << "12345"; }
  auto df = s.df();
  ASSERT_TRUE(df);
  ASSERT_EQ(df->size(), 3u);
  for (const auto& d : *df) {
    if (d["Name"] == "other2") {
      EXPECT_EQ(d["UsageData"], (json{{"RefCount", 0}, {"Size", 5}}));
    }
    if (d["Name"] == "data1") {
      EXPECT_EQ(d["UsageData"]["RefCount"], 2);
    }
  }

  // Prune (API 1.41: every unused volume) honours labels.
  auto p = s.prune(json{{"label", {"team=a"}}});
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(*p, (json{{"VolumesDeleted", {"other2"}}, {"SpaceReclaimed", 5}}));
  EXPECT_FALSE(fs::exists(dir.path() + "/root/volumes/other2"));
  auto p2 = s.prune(json{{"all", {"false"}}});  // anonymous ones only
  ASSERT_TRUE(p2);
  EXPECT_EQ((*p2)["VolumesDeleted"], json::array({anon_name}));
  EXPECT_FALSE(s.prune(json{{"dangling", {"1"}}}));

  auto rm = s.remove("nope", false);
  ASSERT_FALSE(rm);
  EXPECT_EQ(rm.error().code, Errc::NotFound);
  EXPECT_TRUE(s.remove("nope", true));  // force: a missing volume is fine
  s.set_in_use(nullptr);
  ASSERT_TRUE(s.remove("data1", false));
  EXPECT_FALSE(fs::exists(dir.path() + "/root/volumes/data1"));
  EXPECT_TRUE(names(*s.list(json::object())).empty());
}

TEST(VolumeService, PruneFiltersAsEveryPruneVerb) {
  TempDir dir;
  auto svc = volume::VolumeService::open(dir.path() + "/root", dir.path() + "/metadata.db");
  ASSERT_TRUE(svc) << svc.error().str();
  auto& s = **svc;
  auto make = [&](const char* name, volume::VolumeService::Labels labels) {
    ASSERT_TRUE(s.create(name, "", {}, labels)) << name;
  };
  auto pruned = [&](const json& filters) {
    auto r = s.prune(filters);
    EXPECT_TRUE(r) << filters.dump() << ": " << r.error().str();
    std::vector<std::string> out;
    if (r)
      for (const auto& n : (*r)["VolumesDeleted"]) out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
  };
  make("keep1", {{"keep", ""}, {"env", "prod"}});
  make("prod1", {{"env", "prod"}});
  make("dev1", {{"env", "dev"}});
  make("bare1", {});
  // label=K=V, in the map form; label!=K, in the list form; both kinds at once.
  EXPECT_EQ(pruned(json{{"label", {{"env=dev", true}}}}), std::vector<std::string>{"dev1"});
  EXPECT_EQ(pruned(json{{"label", {"env"}}, {"label!", {"keep"}}}), std::vector<std::string>{"prod1"});
  EXPECT_EQ(pruned(json{{"label!", {"keep"}}}), std::vector<std::string>{"bare1"});
  // Keys a volume prune does not take, as dockerd: until is the other verbs'.
  for (const char* key : {"until", "dangling", "bogus"}) {
    auto r = s.prune(json{{key, {"1"}}});
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_EQ(r.error().message, std::string("invalid filter '") + key + "'");
  }
  EXPECT_EQ(pruned(json::object()), std::vector<std::string>{"keep1"});
}

TEST(VolumeService, SurvivesReopenAndFinishesInterruptedRemovals) {
  TempDir dir;
  {
    auto svc = volume::VolumeService::open(dir.path() + "/root", dir.path() + "/metadata.db");
    ASSERT_TRUE(svc);
    ASSERT_TRUE((*svc)->create("keep", "", {}, {{"k", "v"}}));
    ASSERT_TRUE((*svc)->create("lost", "", {}, {}));
    std::ofstream((*svc)->data_dir("keep") + "/f") << "data";
  }
  // A removal interrupted after the rename; a record whose directory vanished.
  fs::create_directories(dir.path() + "/root/volumes/.trash-0123/_data");
  fs::remove_all(dir.path() + "/root/volumes/lost");
  auto svc = volume::VolumeService::open(dir.path() + "/root", dir.path() + "/metadata.db");
  ASSERT_TRUE(svc);
  EXPECT_FALSE(fs::exists(dir.path() + "/root/volumes/.trash-0123"));
  EXPECT_TRUE(fs::is_directory((*svc)->data_dir("lost")));
  auto keep = (*svc)->inspect("keep");
  ASSERT_TRUE(keep);
  EXPECT_EQ((*keep)["Labels"]["k"], "v");
  std::ifstream in((*svc)->data_dir("keep") + "/f");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "data");
}
