#include "kubestream/spdy_connection.h"

#include <sys/socket.h>

#include <cerrno>

namespace berth::kubestream {

namespace {
constexpr size_t kMaxDataFrame = 32 * 1024;
}

Result<void> SpdyStream::write(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    if (local_closed_) return fail(Errc::Conflict, "SPDY stream " + std::to_string(id_) + " is closed");
  }
  while (!data.empty()) {
    spdy::Frame f;
    f.type = spdy::FrameType::Data;
    f.stream_id = id_;
    size_t n = std::min(data.size(), kMaxDataFrame);
    f.data.assign(data.substr(0, n));
    TRYV(conn_.send(f));
    data.remove_prefix(n);
  }
  return {};
}

void SpdyStream::close() {
  {
    std::lock_guard lock(mu_);
    if (local_closed_) return;
    local_closed_ = true;
  }
  spdy::Frame f;
  f.type = spdy::FrameType::Data;
  f.stream_id = id_;
  f.flags = spdy::kFlagFin;
  (void)conn_.send(f);
}

void SpdyStream::reset(uint32_t status) {
  {
    std::lock_guard lock(mu_);
    if (local_closed_ && remote_ended_) return;
    local_closed_ = true;
  }
  spdy::Frame f;
  f.type = spdy::FrameType::RstStream;
  f.stream_id = id_;
  f.status = status;
  (void)conn_.send(f);
  on_remote_end();
}

void SpdyStream::set_sink(InSink* sink) {
  std::lock_guard lock(mu_);
  sink_ = sink;
  if (!sink_) return;
  if (!early_.empty()) sink_->data(early_);
  early_.clear();
  if (remote_ended_ && !eof_delivered_) {
    eof_delivered_ = true;
    sink_->eof();
  }
}

void SpdyStream::on_data(std::string_view data, bool fin) {
  std::lock_guard lock(mu_);
  if (remote_ended_) return;
  if (!data.empty()) {
    if (sink_) {
      sink_->data(data);
    } else if (early_.size() < (1u << 20)) {
      early_.append(data);  // before the protocol code placed a sink (bounded: a stream nobody reads)
    }
  }
  if (fin) {
    remote_ended_ = true;
    if (sink_ && !eof_delivered_) {
      eof_delivered_ = true;
      sink_->eof();
    }
  }
}

void SpdyStream::on_remote_end() { on_data({}, true); }

void SpdyStream::on_reset() {
  {
    std::lock_guard lock(mu_);
    local_closed_ = true;
  }
  on_remote_end();
}

std::shared_ptr<SpdyStream> SpdyConnection::find(uint32_t id) {
  std::lock_guard lock(streams_mu_);
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

Result<void> SpdyConnection::send(const spdy::Frame& frame) {
  std::lock_guard lock(write_mu_);
  if (write_failed_ || finished_) return fail(Errc::Unavailable, "the SPDY connection is closed");
  auto bytes = write_framer_.encode(frame);
  if (!bytes) return std::unexpected(bytes.error());
  size_t off = 0;
  while (off < bytes->size()) {
    ssize_t n = ::send(fd_.get(), bytes->data() + off, bytes->size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      write_failed_ = true;
      return fail_errno("writing to the SPDY connection");
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

void SpdyConnection::serve(const StreamHandler& on_stream) {
  auto handle = [&](spdy::Frame& f) -> bool {  // false: end the session
    using spdy::FrameType;
    if (f.type != FrameType::Data && f.version != spdy::kVersion) {
      spdy::Frame away;
      away.type = FrameType::GoAway;
      away.status = 1;  // protocol error
      (void)send(away);
      return false;
    }
    switch (f.type) {
      case FrameType::SynStream: {
        uint32_t last;
        {
          std::lock_guard lock(streams_mu_);
          last = last_stream_id_;
        }
        if (f.stream_id % 2 == 0 || f.stream_id <= last) {
          spdy::Frame rst;
          rst.type = FrameType::RstStream;
          rst.stream_id = f.stream_id;
          rst.status = spdy::kProtocolError;
          (void)send(rst);
          return true;
        }
        auto stream = std::make_shared<SpdyStream>(*this, f.stream_id, std::move(f.headers));
        {
          std::lock_guard lock(streams_mu_);
          last_stream_id_ = f.stream_id;
          streams_[f.stream_id] = stream;
        }
        spdy::Frame reply;
        reply.type = FrameType::SynReply;
        reply.stream_id = f.stream_id;
        if (!send(reply)) return false;
        if (f.flags & spdy::kFlagFin) stream->on_remote_end();
        on_stream(stream);
        return true;
      }
      case FrameType::Data:
        if (auto s = find(f.stream_id)) s->on_data(f.data, f.flags & spdy::kFlagFin);
        return true;
      case FrameType::RstStream:
        if (auto s = find(f.stream_id)) {
          s->on_reset();
          // Our side of a reset stream is gone as well: later writes fail quietly.
          std::lock_guard lock(streams_mu_);
          streams_.erase(f.stream_id);
        }
        return true;
      case FrameType::Ping:
        if (f.ping_id % 2 == 1) (void)send(f);  // the client's ping (odd ids): echo it
        return true;
      case FrameType::GoAway:
        return false;
      default:  // SETTINGS, WINDOW_UPDATE, HEADERS, unknown: nothing to do
        return true;
    }
  };

  char buf[64 * 1024];
  bool running = true;
  while (running) {
    // Decode whatever is complete in the buffer.
    size_t at = 0;
    while (running) {
      spdy::Frame f;
      auto used = read_framer_.decode(std::string_view(in_).substr(at), f);
      if (!used) {
        spdy::Frame away;
        away.type = spdy::FrameType::GoAway;
        away.status = 1;
        (void)send(away);
        running = false;
        break;
      }
      if (*used == 0) break;
      at += *used;
      running = handle(f);
    }
    in_.erase(0, at);
    if (!running) break;
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in_.append(buf, static_cast<size_t>(n));
  }
  std::map<uint32_t, std::shared_ptr<SpdyStream>> streams;
  {
    std::lock_guard lock(streams_mu_);
    streams.swap(streams_);
  }
  for (auto& [id, s] : streams) s->on_remote_end();
}

void SpdyConnection::finish() {
  uint32_t last;
  {
    std::lock_guard lock(streams_mu_);
    last = last_stream_id_;
  }
  spdy::Frame away;
  away.type = spdy::FrameType::GoAway;
  away.stream_id = last;
  (void)send(away);
  std::lock_guard lock(write_mu_);
  finished_ = true;
  ::shutdown(fd_.get(), SHUT_WR);
}

void SpdyConnection::shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

}  // namespace berth::kubestream
