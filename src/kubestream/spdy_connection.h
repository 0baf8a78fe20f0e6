// The server's end of a SPDY/3.1 session on an upgraded HTTP connection.
// The client (spdystream) opens the streams; each SYN_STREAM is answered at
// once with a SYN_REPLY (the client waits for it) and handed to the protocol
// code, which either writes to the stream or gives it a sink for the
// client's data. Flow control: spdystream neither sends nor honours windows
// beyond the defaults, so WINDOW_UPDATE and SETTINGS are accepted and ignored.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/unique_fd.h"
#include "kubestream/spdy_frame.h"
#include "kubestream/stream_io.h"

namespace berth::kubestream {

class SpdyConnection;

class SpdyStream : public OutStream {
 public:
  SpdyStream(SpdyConnection& conn, uint32_t id, spdy::Headers headers) : conn_(conn), id_(id), headers_(std::move(headers)) {}
  uint32_t id() const { return id_; }
  const spdy::Headers& headers() const { return headers_; }
  std::string header(std::string_view name) const { return spdy::header_value(headers_, name); }

  Result<void> write(std::string_view data) override;
  void close() override;  // FIN, once
  void reset(uint32_t status);

  // Where the client's data goes; data that came before is delivered now.
  void set_sink(InSink* sink);

  // The connection's reader calls these.
  void on_data(std::string_view data, bool fin);
  void on_remote_end();
  void on_reset();  // the client reset the stream: nothing more goes either way

 private:
  SpdyConnection& conn_;
  uint32_t id_;
  spdy::Headers headers_;
  std::mutex mu_;
  InSink* sink_ = nullptr;
  std::string early_;
  bool remote_ended_ = false, eof_delivered_ = false, local_closed_ = false;
};

class SpdyConnection {
 public:
  using StreamHandler = std::function<void(std::shared_ptr<SpdyStream>)>;
  SpdyConnection(UniqueFd fd, std::string buffered) : fd_(std::move(fd)), in_(std::move(buffered)) {}

  // Reads frames until the client leaves, sends GOAWAY, breaks the protocol or
  // shutdown() is called; then every stream gets its end of data.
  void serve(const StreamHandler& on_stream);
  // Sends one frame; thread-safe. Fails once the connection is broken.
  Result<void> send(const spdy::Frame& frame);
  // Graceful end: GOAWAY, then no more writes (the reader keeps reading
  // until the client closes, so its last bytes are not answered with a reset).
  void finish();
  // Hard end: wakes the reader.
  void shutdown();

 private:
  std::shared_ptr<SpdyStream> find(uint32_t id);

  UniqueFd fd_;
  std::string in_;
  spdy::Framer read_framer_;  // only the reader decodes

  std::mutex write_mu_;
  spdy::Framer write_framer_;
  bool write_failed_ = false, finished_ = false;

  std::mutex streams_mu_;
  std::map<uint32_t, std::shared_ptr<SpdyStream>> streams_;
  uint32_t last_stream_id_ = 0;
};

}  // namespace berth::kubestream
