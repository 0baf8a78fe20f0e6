// The engine's pure parts: names and IDs, detach keys, event filters and the
// container record's round trip.
#include <gtest/gtest.h>

#include <set>

#include "dockerapi/events_json.h"
#include "engine/container_record.h"
#include "engine/detach_keys.h"
#include "engine/events.h"
#include "engine/names.h"

namespace berth::engine {
namespace {

TEST(Names, IdsAreRandom64Hex) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto id = new_container_id();
    ASSERT_EQ(id.size(), 64u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(id.substr(0, 12).find_first_not_of("0123456789"), std::string::npos) << "all-digit short id";
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(Names, DockerRules) {
  EXPECT_EQ(*normalize_container_name("web"), "/web");
  EXPECT_EQ(*normalize_container_name("/web-1.a_b"), "/web-1.a_b");
  for (const char* bad : {"", "a", "-x", "with space", "x/y", "_x"}) {
    auto r = normalize_container_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    EXPECT_NE(r.error().message.find("Invalid container name"), std::string::npos);
  }
}

TEST(Names, GeneratedNamesAvoidTakenOnes) {
  std::set<std::string> taken;
  for (int i = 0; i < 200; ++i) {
    auto n = generate_container_name([&](const std::string& x) { return taken.count(x) > 0; });
    ASSERT_TRUE(normalize_container_name(n)) << n;
    EXPECT_TRUE(taken.insert(n).second) << n;
  }
}

TEST(DetachKeys, ParsesDockerSpecs) {
  EXPECT_EQ(DetachKeys::parse("")->sequence, std::string("\x10\x11"));
  EXPECT_EQ(DetachKeys::parse("ctrl-a,a")->sequence, std::string("\x01" "a"));
  EXPECT_EQ(DetachKeys::parse("ctrl-@")->sequence, std::string(1, '\0'));
  EXPECT_FALSE(DetachKeys::parse("ctrl-1"));
  EXPECT_FALSE(DetachKeys::parse("alt-x"));
}

TEST(DetachKeys, MatcherHoldsBackPrefixesAcrossReads) {
  KeyMatcher m(*DetachKeys::parse(""));
  auto [a, da] = m.feed("ab\x10");
  EXPECT_EQ(a, "ab");
  EXPECT_FALSE(da);
  auto [b, db] = m.feed("c");  // not the sequence: the held byte goes through
  EXPECT_EQ(b, "\x10" "c");
  EXPECT_FALSE(db);
  auto [c, dc] = m.feed("x\x10\x11" "after");
  EXPECT_EQ(c, "x");
  EXPECT_TRUE(dc);
}

TEST(DetachKeys, RepeatedFirstByte) {
  KeyMatcher m(*DetachKeys::parse(""));
  auto [out, detached] = m.feed("\x10\x10\x11");
  EXPECT_EQ(out, "\x10");
  EXPECT_TRUE(detached);
}

Event ev(std::string type, std::string action, std::string id, std::map<std::string, std::string> attrs) {
  Event e;
  e.type = std::move(type);
  e.action = std::move(action);
  e.id = std::move(id);
  e.attributes = std::move(attrs);
  return e;
}

using dockerapi::EventFilter;

TEST(EventFilter, KeysAndValues) {
  auto start = ev("container", "start", "abc123", {{"name", "web"}, {"image", "busybox"}, {"tier", "front"}});
  auto f = EventFilter::parse(R"({"type":["container"],"event":["start","die"]})");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->matches(start));
  EXPECT_FALSE(f->matches(ev("image", "tag", "sha256:x", {})));
  EXPECT_TRUE(EventFilter::parse(R"({"container":{"web":true}})")->matches(start));
  EXPECT_TRUE(EventFilter::parse(R"({"container":["abc"]})")->matches(start));
  EXPECT_FALSE(EventFilter::parse(R"({"container":["other"]})")->matches(start));
  EXPECT_TRUE(EventFilter::parse(R"({"label":["tier=front"]})")->matches(start));
  EXPECT_FALSE(EventFilter::parse(R"({"label":["tier=back"]})")->matches(start));
  EXPECT_TRUE(EventFilter::parse(R"({"event":["exec_start"]})")->matches(ev("container", "exec_start: sh -c x", "a", {})));
  EXPECT_FALSE(EventFilter::parse(R"({"bogus":["x"]})"));
  // A CRI container's events (namespace k8s.io) only through a namespace filter.
  auto cri = start;
  cri.ns = "k8s.io";
  EXPECT_FALSE(EventFilter::parse("")->matches(cri));
  EXPECT_FALSE(EventFilter::parse(R"({"type":["container"]})")->matches(cri));
  EXPECT_TRUE(EventFilter::parse(R"({"namespace":["k8s.io"]})")->matches(cri));
  EXPECT_FALSE(EventFilter::parse(R"({"namespace":["k8s.io"]})")->matches(start));
  EXPECT_TRUE(EventFilter::parse(R"({"namespace":["","k8s.io"]})")->matches(start));
  EXPECT_FALSE(EventFilter::parse("not json"));
}

TEST(Events, HistoryAndLiveInOrder) {
  Events bus;
  bus.publish(ev("container", "create", "a", {}));
  auto since_start = bus.subscribe(0);
  auto live = bus.subscribe(std::nullopt);
  bus.publish(ev("container", "start", "a", {}));
  EXPECT_EQ(since_start->next(1)->action, "create");
  EXPECT_EQ(since_start->next(1)->action, "start");
  EXPECT_EQ(live->next(1)->action, "start");
  // Nothing more: a deadline in the past returns at once.
  EXPECT_FALSE(live->next(1));
  auto j = dockerapi::render_event(ev("container", "die", "a", {{"exitCode", "3"}, {"image", "busybox"}}));
  EXPECT_EQ(j["status"], "die");
  EXPECT_EQ(j["from"], "busybox");
  EXPECT_EQ(j["Actor"]["Attributes"]["exitCode"], "3");
}

TEST(ContainerRecord, RoundTrips) {
  ContainerRecord c;
  c.id = std::string(64, 'a');
  c.name = "/web";
  c.created = "2026-11-22T00:00:00.000000001Z";
  c.image_id = "sha256:" + std::string(64, 'b');
  c.path = "sh";
  c.args = {"-c", "true"};
  c.runtime = "berth";
  c.spec.config.image = "busybox";
  c.spec.config.tty = true;
  c.spec.config.labels = {{"a", "b"}};
  c.spec.host.auto_remove = true;
  c.spec.host.port_bindings["80/tcp"] = {{"127.0.0.1", "8080"}};
  c.state.running = true;
  c.state.pid = 42;
  c.state.exit_code = 3;
  c.restart_count = 2;
  c.ever_started = true;
  c.manually_stopped = true;
  c.log_path = "/x/log";
  c.networks = {{"bridge", {}, ""}};
  c.published = {{"127.0.0.1", 8080, 0, 80, net::Proto::Tcp}};
  auto back = record_from_json(record_to_json(c).dump());
  ASSERT_TRUE(back) << back.error().str();
  EXPECT_FALSE(back->migrated);
  EXPECT_EQ(record_to_json(back->record), record_to_json(c));
  EXPECT_EQ(back->record.spec, c.spec);
  EXPECT_EQ(back->record.published, c.published);
  EXPECT_EQ(back->record.state.status(true), "running");
}

TEST(RunState, StatusNames) {
  RunState s;
  EXPECT_EQ(s.status(false), "created");
  EXPECT_EQ(s.status(true), "exited");
  s.running = true;
  EXPECT_EQ(s.status(true), "running");
  s.paused = true;
  EXPECT_EQ(s.status(true), "paused");
  s.restarting = true;
  EXPECT_EQ(s.status(true), "restarting");
}

}  // namespace
}  // namespace berth::engine
