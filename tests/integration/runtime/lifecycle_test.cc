// create/start/state/kill/delete/run/exec/pause/ps/events/update against the real kernel.
#include <gtest/gtest.h>

#include <csignal>

#include "support/bundle.h"

using namespace berth::testing;
using nlohmann::json;

namespace {

json state_of(const Bundle& b, const std::string& id) {
  auto r = b.runtime({"state", id});
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out.empty() ? "{}" : r.out);
}

}  // namespace

TEST(Lifecycle, RunReturnsTheContainersExitStatus) {
  Bundle b;
  b.set_args({"sh", "-c", "echo out; echo err >&2; exit 3"});
  auto r = b.run();
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Lifecycle, KilledBySignalGives128PlusN) {
  Bundle b;
  // Not pid 1 (which ignores signals it has no handler for): share our pid namespace.
  auto& ns = b.config()["linux"]["namespaces"];
  for (size_t i = 0; i < ns.size(); ++i)
    if (ns[i]["type"] == "pid") ns.erase(i);
  b.set_args({"sh", "-c", "kill -TERM $$; sleep 5"});
  auto r = b.run();
  EXPECT_EQ(r.status, 128 + SIGTERM) << r.err;
}

TEST(Lifecycle, CreateStartKillDelete) {
  Bundle b;
  b.set_args({"sleep", "60"});
  b.save();
  std::string id = b.unique_id();
  std::string pidfile = b.dir() + "/pid";
  auto c = b.runtime({"create", "--bundle", b.dir(), "--pid-file", pidfile, id});
  ASSERT_EQ(c.status, 0) << c.err;
  auto st = state_of(b, id);
  EXPECT_EQ(st["status"], "created");
  EXPECT_EQ(st["id"], id);
  EXPECT_EQ(std::to_string(st["pid"].get<int>()), slurp(pidfile));
  EXPECT_EQ(st["bundle"], b.dir());

  ASSERT_EQ(b.runtime({"start", id}).status, 0);
  EXPECT_EQ(state_of(b, id)["status"], "running");
  auto again = b.runtime({"start", id});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("running"), std::string::npos) << again.err;

  auto del = b.runtime({"delete", id});
  EXPECT_NE(del.status, 0) << "a running container must not be deleted without --force";
  EXPECT_NE(del.err.find("not stopped"), std::string::npos) << del.err;

  ASSERT_EQ(b.runtime({"kill", id, "KILL"}).status, 0);
  // kill returns once the signal is sent; state follows the process.
  for (int i = 0; i < 200 && state_of(b, id)["status"] != "stopped"; ++i) usleep(10000);
  EXPECT_EQ(state_of(b, id)["status"], "stopped");
  ASSERT_EQ(b.runtime({"delete", id}).status, 0);
  auto gone = b.runtime({"state", id});
  EXPECT_NE(gone.status, 0);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
}

TEST(Lifecycle, DeleteOfCreatedContainerKillsIt) {
  Bundle b;
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"create", "--bundle", b.dir(), id}).status, 0);
  int pid = state_of(b, id)["pid"];
  ASSERT_EQ(b.runtime({"delete", id}).status, 0);
  EXPECT_NE(kill(pid, 0) == 0 && slurp("/proc/" + std::to_string(pid) + "/stat").find(" Z ") == std::string::npos,
            true);
}

TEST(Lifecycle, SignalsByNameAndNumberAndAll) {
  Bundle b;
  b.set_args({"sh", "-c", "trap 'echo got-usr1 > /tmp/usr1' USR1; sleep 1000 & wait; sleep 1000 & wait"});
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"run", "-d", "--bundle", b.dir(), id}).status, 0);
  ASSERT_EQ(b.runtime({"kill", id, "SIGUSR1"}).status, 0);
  for (int i = 0; i < 200 && slurp(b.rootfs() + "/tmp/usr1").empty(); ++i) usleep(10000);
  EXPECT_EQ(slurp(b.rootfs() + "/tmp/usr1"), "got-usr1\n");
  EXPECT_NE(b.runtime({"kill", id, "NOPE"}).status, 0);
  ASSERT_EQ(b.runtime({"kill", "--all", id, "9"}).status, 0);
  for (int i = 0; i < 200 && state_of(b, id)["status"] != "stopped"; ++i) usleep(10000);
  EXPECT_EQ(state_of(b, id)["status"], "stopped");
}

TEST(Lifecycle, ExecRunsInTheContainer) {
  Bundle b;
  b.set_args({"sleep", "60"});
  b.config()["hostname"] = "exectest";
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"run", "-d", "--bundle", b.dir(), id}).status, 0);
  auto r = b.runtime({"exec", "--env", "FOO=bar", "--cwd", "/tmp", "--user", "1000:1000", id, "sh", "-c",
                      "echo $FOO $(pwd) $(id -u):$(id -g) $(hostname); exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
  EXPECT_EQ(r.out, "bar /tmp 1000:1000 exectest\n");
  auto missing = b.runtime({"exec", id, "no-such-binary"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("executable file not found"), std::string::npos) << missing.err;
  std::string pidfile = b.dir() + "/exec.pid";
  auto d = b.runtime({"exec", "--detach", "--pid-file", pidfile, id, "sleep", "30"});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_FALSE(slurp(pidfile).empty());
  auto ps = b.runtime({"ps", "--format", "json", id});
  ASSERT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(json::parse(ps.out).size(), 2u) << ps.out;
  // process.json form, as containerd and conmon use it
  std::string proc = b.dir() + "/process.json";
  FILE* f = fopen(proc.c_str(), "w");
  fputs(R"({"args":["sh","-c","echo from-process-json"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}})", f);
  fclose(f);
  auto pj = b.runtime({"exec", "--process", proc, id});
  EXPECT_EQ(pj.status, 0) << pj.err;
  EXPECT_EQ(pj.out, "from-process-json\n");
}

TEST(Lifecycle, PauseResumeListEventsUpdate) {
  Bundle b;
  b.set_args({"sleep", "60"});
  b.save();
  std::string id = b.unique_id();
  ASSERT_EQ(b.runtime({"run", "-d", "--bundle", b.dir(), id}).status, 0);
  ASSERT_EQ(b.runtime({"pause", id}).status, 0);
  EXPECT_EQ(state_of(b, id)["status"], "paused");
  EXPECT_NE(b.runtime({"pause", id}).status, 0);
  ASSERT_EQ(b.runtime({"resume", id}).status, 0);
  EXPECT_EQ(state_of(b, id)["status"], "running");

  auto list = b.runtime({"list", "--format", "json"});
  ASSERT_EQ(list.status, 0);
  auto arr = json::parse(list.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], id);

  auto ev = b.runtime({"events", "--stats", id});
  ASSERT_EQ(ev.status, 0) << ev.err;
  auto e = json::parse(ev.out);
  EXPECT_EQ(e["type"], "stats");
  EXPECT_GT(e["data"]["memory"]["usage"]["usage"].get<uint64_t>(), 0u) << ev.out;
  EXPECT_EQ(e["data"]["pids"]["current"].get<int>(), 1);

  ASSERT_EQ(b.runtime({"update", "--memory", "64m", "--pids-limit", "20", id}).status, 0);
  ev = b.runtime({"events", "--stats", id});
  e = json::parse(ev.out);
  EXPECT_EQ(e["data"]["memory"]["usage"]["limit"].get<uint64_t>(), 64u << 20) << ev.out;
  EXPECT_EQ(e["data"]["pids"]["limit"].get<int>(), 20) << ev.out;
  auto upd = b.runtime({"update", "--resources", "-", id}, R"({"memory":{"limit":33554432}})");
  ASSERT_EQ(upd.status, 0) << upd.err;
  e = json::parse(b.runtime({"events", "--stats", id}).out);
  EXPECT_EQ(e["data"]["memory"]["usage"]["limit"].get<uint64_t>(), 32u << 20);
}
