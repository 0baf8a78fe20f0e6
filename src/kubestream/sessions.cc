#include "kubestream/sessions.h"

#include <sys/socket.h>

#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "kubestream/port_forward.h"
#include "kubestream/spdy_connection.h"
#include "kubestream/ws_connection.h"

namespace berth::kubestream {

namespace {

// The thread that reads the client's frames; the session waits for it to
// end (bounded) after its last write, so the client's final frames are read
// rather than answered with a TCP reset.
class Reader {
 public:
  template <class F>
  void start(F fn) {
    thread_ = std::thread([this, fn = std::move(fn)]() mutable {
      fn();
      std::lock_guard lock(mu_);
      done_ = true;
      cv_.notify_all();
    });
  }
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [&] { return done_; });
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

constexpr uint8_t kStdinChannel = 0, kStdoutChannel = 1, kStderrChannel = 2, kErrorChannel = 3, kResizeChannel = 4;
constexpr uint8_t kCloseChannel = 255;  // v5: the client closes one of its channels

const std::vector<std::string>& ws_remote_command_protocols() {
  static const std::vector<std::string> names = {"v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io",
                                                 "channel.k8s.io",    "base64.channel.k8s.io", ""};
  return names;
}

const std::vector<std::string>& ws_port_forward_protocols() {
  static const std::vector<std::string> names = {"v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
                                                 "base64.channel.k8s.io", ""};
  return names;
}

bool is_base64(const std::string& protocol) { return protocol.find("base64") != std::string::npos; }

void remote_command_ws(UniqueFd fd, const HttpRequest& req, CommandRequest cmd, StreamRuntime& runtime,
                       const SessionLimits& limits) {
  auto protocol = upgrade_websocket(fd.get(), req, ws_remote_command_protocols());
  if (!protocol) return;
  int version = protocol->empty() ? 1 : remote_command_version(*protocol);
  int raw_fd = fd.get();
  auto session = RemoteCommandSession::create(runtime, std::move(cmd), version);
  WsConnection conn(std::move(fd), req.leftover, is_base64(*protocol));
  if (!session) {
    (void)conn.send_channel(kErrorChannel, status_message(std::unexpected(session.error()), version));
    conn.finish();
    return;
  }
  auto& s = **session;
  Reader reader;
  reader.start([&] {
    InSink* in = s.stdin_sink();
    InSink* resize = s.resize_sink();
    conn.serve([&](uint8_t channel, std::string data) {
      if (channel == kStdinChannel && in) {
        in->data(data);
      } else if (channel == kResizeChannel && resize) {
        resize->data(data);
      } else if (channel == kCloseChannel && version >= 5 && data.size() == 1 && data[0] == kStdinChannel && in) {
        in->eof();
      }
    });
    s.client_gone();
  });
  const auto& opts = s.options();
  auto out = opts.stdout_ ? conn.channel(kStdoutChannel) : nullptr;
  auto err = opts.stderr_ ? conn.channel(kStderrChannel) : nullptr;
  auto error = conn.channel(kErrorChannel);
  // An empty message on the lowest writable channel tells the client the session is up.
  (void)(out ? out : err ? err : error)->write("");
  s.run(out, err, error);
  conn.finish();
  if (!reader.wait_for(limits.linger)) ::shutdown(raw_fd, SHUT_RDWR);
  reader.join();
}

void remote_command_spdy(UniqueFd fd, const HttpRequest& req, CommandRequest cmd, StreamRuntime& runtime,
                         const SessionLimits& limits) {
  auto protocol = upgrade_spdy(fd.get(), req, spdy_remote_command_protocols());
  if (!protocol) return;
  int version = remote_command_version(*protocol);
  const CommandOptions opts = command_options(cmd);
  auto session = RemoteCommandSession::create(runtime, std::move(cmd), version);
  SpdyConnection conn(std::move(fd), req.leftover);

  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<SpdyStream>> streams;
  bool gone = false;
  size_t expected = 1 + opts.stdin_ + opts.stdout_ + opts.stderr_ + (opts.tty && version >= 3);

  Reader reader;
  reader.start([&] {
    conn.serve([&](std::shared_ptr<SpdyStream> stream) {
      std::string type = stream->header("streamtype");
      bool wanted = type == "error" || (type == "stdin" && opts.stdin_) || (type == "stdout" && opts.stdout_) ||
                    (type == "stderr" && opts.stderr_) || (type == "resize" && opts.tty && version >= 3);
      std::lock_guard lock(mu);
      if (!wanted || streams.contains(type)) {
        stream->reset(spdy::kProtocolError);  // a stream this request did not ask for, or a second one
        return;
      }
      if (session) {
        if (type == "stdin") stream->set_sink((*session)->stdin_sink());
        if (type == "resize") stream->set_sink((*session)->resize_sink());
      }
      streams[type] = std::move(stream);
      cv.notify_all();
    });
    if (session) (*session)->client_gone();
    std::lock_guard lock(mu);
    gone = true;
    cv.notify_all();
  });

  bool complete;
  {
    std::unique_lock lock(mu);
    complete = cv.wait_for(lock, limits.stream_creation_timeout, [&] { return gone || streams.size() == expected; }) &&
               streams.size() == expected;
  }
  auto get = [&](const std::string& type) -> std::shared_ptr<OutStream> {
    std::lock_guard lock(mu);
    auto it = streams.find(type);
    return it == streams.end() ? nullptr : it->second;
  };
  if (!session) {
    if (auto error = get("error")) {
      (void)error->write(status_message(std::unexpected(session.error()), version));
      error->close();
    }
  } else if (!complete) {
    if (auto error = get("error")) {
      (void)error->write(status_message(
          fail(Errc::InvalidArgument, "timed out waiting for the client to create its streams (" +
                                          std::to_string(expected) + " expected)"),
          version));
      error->close();
    }
  } else {
    (*session)->run(get("stdout"), get("stderr"), get("error"));
  }
  conn.finish();
  if (!reader.wait_for(limits.linger)) conn.shutdown();
  reader.join();
}

// SPDY port forwarding: the client opens a pair of streams (error, data) per
// connection it forwards, tagged with the same requestID and the port.
void port_forward_spdy(UniqueFd fd, const HttpRequest& req, PortForwardRequest pf, StreamRuntime& runtime,
                       const SessionLimits& limits) {
  static const std::vector<std::string> protocols = {"portforward.k8s.io"};
  if (!upgrade_spdy(fd.get(), req, protocols)) return;
  SpdyConnection conn(std::move(fd), req.leftover);

  struct Pair {
    std::shared_ptr<SpdyStream> data, error;
    std::chrono::steady_clock::time_point deadline;
  };
  struct Running {
    std::unique_ptr<PortForwarder> forwarder;
    std::thread thread;
  };
  std::mutex mu;
  std::condition_variable cv;
  bool ended = false;
  std::map<std::string, Pair> pending;
  std::list<Running> running;

  // A pair whose second stream does not come in time is given up, as the
  // kubelet does, with the reason on its error stream.
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    while (!ended) {
      auto now = std::chrono::steady_clock::now();
      std::optional<std::chrono::steady_clock::time_point> next;
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->second.deadline <= now) {
          if (it->second.error) {
            (void)it->second.error->write("timed out waiting for the data and error streams of request " + it->first);
            it->second.error->close();
          }
          if (it->second.data) it->second.data->reset(spdy::kCancel);
          it = pending.erase(it);
        } else {
          if (!next || it->second.deadline < *next) next = it->second.deadline;
          ++it;
        }
      }
      if (next) {
        cv.wait_until(lock, *next);
      } else {
        cv.wait(lock);
      }
    }
  });

  conn.serve([&](std::shared_ptr<SpdyStream> stream) {
    std::string type = stream->header("streamtype");
    if (type != "data" && type != "error") {
      stream->reset(spdy::kProtocolError);
      return;
    }
    std::string id = stream->header("requestid");
    if (id.empty()) {  // older clients: the data stream follows its error stream
      id = std::to_string(type == "error" ? stream->id() : stream->id() - 2);
    }
    std::lock_guard lock(mu);
    auto [it, created] = pending.try_emplace(id);
    Pair& p = it->second;
    if (created) {
      p.deadline = std::chrono::steady_clock::now() + limits.stream_creation_timeout;
      cv.notify_all();
    }
    auto& slot = type == "data" ? p.data : p.error;
    if (slot) {  // a second stream of one kind for one request
      if (p.error && type == "data") {
        (void)p.error->write("error processing stream for request " + id + ": data stream already assigned");
      }
      stream->reset(spdy::kProtocolError);
      return;
    }
    slot = std::move(stream);
    if (!p.data || !p.error) return;
    Pair ready = std::move(p);
    pending.erase(it);

    std::string port_text = ready.data->header("port");
    char* end = nullptr;
    unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
    std::string why;
    if (port_text.empty() || *end != '\0' || port == 0 || port > 65535) {
      why = "invalid port '" + port_text + "': a number from 1 to 65535 is required";
    } else if (!pf.ports.empty() &&
               std::find(pf.ports.begin(), pf.ports.end(), static_cast<uint16_t>(port)) == pf.ports.end()) {
      why = "port " + port_text + " was not requested for this port forward";
    }
    if (!why.empty()) {
      (void)ready.error->write(port_forward_error(static_cast<uint16_t>(port), pf.pod_sandbox_id, why));
      ready.error->close();
      ready.data->close();
      return;
    }
    auto& r = running.emplace_back();
    r.forwarder = std::make_unique<PortForwarder>(runtime, pf.pod_sandbox_id, static_cast<uint16_t>(port));
    ready.data->set_sink(&r.forwarder->inbound());
    r.thread = std::thread([f = r.forwarder.get(), ready] { f->run(*ready.data, *ready.error); });
  });
  // The client is gone: end every forwarded connection.
  {
    std::lock_guard lock(mu);
    ended = true;
    cv.notify_all();
  }
  watchdog.join();
  for (auto& r : running) r.forwarder->abort();
  for (auto& r : running) r.thread.join();
  conn.shutdown();
}

// WebSocket port forwarding: the ports are fixed by the request (or the
// "port" query); port i uses channel 2i for data and 2i+1 for errors, and
// each channel's first message is the port (little-endian).
void port_forward_ws(UniqueFd fd, const HttpRequest& req, PortForwardRequest pf, StreamRuntime& runtime,
                     const SessionLimits& limits) {
  std::vector<uint16_t> ports = pf.ports;
  if (ports.empty()) {
    auto [b, e] = req.query.equal_range("port");
    for (auto it = b; it != e; ++it) {
      std::string_view v = it->second;
      while (!v.empty()) {
        size_t comma = v.find(',');
        std::string one(v.substr(0, comma));
        char* end = nullptr;
        unsigned long port = std::strtoul(one.c_str(), &end, 10);
        if (one.empty() || *end != '\0' || port == 0 || port > 65535) {
          send_plain(fd.get(), 400, "invalid port '" + one + "' in the \"port\" query: a number from 1 to 65535 is required");
          return;
        }
        ports.push_back(static_cast<uint16_t>(port));
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
    }
  }
  if (ports.empty()) {
    send_plain(fd.get(), 400, "a WebSocket port forward needs the \"port\" query parameter");
    return;
  }
  if (ports.size() > 127) {
    send_plain(fd.get(), 400, "at most 127 ports per WebSocket port forward");
    return;
  }
  auto protocol = upgrade_websocket(fd.get(), req, ws_port_forward_protocols());
  if (!protocol) return;
  int raw_fd = fd.get();
  WsConnection conn(std::move(fd), req.leftover, is_base64(*protocol));
  std::vector<std::unique_ptr<PortForwarder>> forwarders;
  for (uint16_t port : ports) forwarders.push_back(std::make_unique<PortForwarder>(runtime, pf.pod_sandbox_id, port));

  Reader reader;
  reader.start([&] {
    conn.serve([&](uint8_t channel, std::string data) {
      if (channel % 2 == 0 && channel / 2 < forwarders.size()) forwarders[channel / 2]->inbound().data(data);
    });
    for (auto& f : forwarders) f->abort();
  });
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<OutStream>> channels;
  for (size_t i = 0; i < forwarders.size(); ++i) {
    auto data = conn.channel(static_cast<uint8_t>(2 * i)), error = conn.channel(static_cast<uint8_t>(2 * i + 1));
    char port_bytes[2] = {static_cast<char>(ports[i] & 0xff), static_cast<char>(ports[i] >> 8)};
    (void)data->write(std::string_view(port_bytes, 2));
    (void)error->write(std::string_view(port_bytes, 2));
    threads.emplace_back([f = forwarders[i].get(), data, error] { f->run(*data, *error); });
  }
  for (auto& t : threads) t.join();
  conn.finish();
  if (!reader.wait_for(limits.linger)) ::shutdown(raw_fd, SHUT_RDWR);
  reader.join();
}

}  // namespace

void serve_remote_command(UniqueFd fd, HttpRequest req, CommandRequest cmd, StreamRuntime& runtime,
                          const SessionLimits& limits) {
  if (is_websocket_request(req)) {
    remote_command_ws(std::move(fd), req, std::move(cmd), runtime, limits);
  } else {
    remote_command_spdy(std::move(fd), req, std::move(cmd), runtime, limits);
  }
}

void serve_port_forward(UniqueFd fd, HttpRequest req, PortForwardRequest pf, StreamRuntime& runtime,
                        const SessionLimits& limits) {
  if (is_websocket_request(req)) {
    port_forward_ws(std::move(fd), req, std::move(pf), runtime, limits);
  } else {
    port_forward_spdy(std::move(fd), req, std::move(pf), runtime, limits);
  }
}

}  // namespace berth::kubestream
