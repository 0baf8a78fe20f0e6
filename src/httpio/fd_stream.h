// A Beast SyncReadStream/SyncWriteStream over a blocking socket fd. The
// server and the API client use it instead of Asio sockets: no io_context
// (so no epoll/eventfd set-up per client process), hijack hands out the very
// fd, and writes use MSG_NOSIGNAL so a vanished peer is an EPIPE, never a
// SIGPIPE. Header-only: the HTTP server, the API client and the CLI's streams.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

namespace berth::httpio {

class FdStream {
 public:
  explicit FdStream(int fd = -1) : fd_(fd) {}
  int fd() const { return fd_; }
  void reset(int fd) { fd_ = fd; }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    iovec iov[kMaxIov];
    int n = gather<boost::asio::mutable_buffer>(buffers, iov);
    if (n == 0) {
      ec = {};
      return 0;
    }
    ssize_t r;
    do {
      r = ::readv(fd_, iov, n);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      ec.assign(errno, boost::system::system_category());
      return 0;
    }
    if (r == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    return static_cast<size_t>(r);
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    iovec iov[kMaxIov];
    int n = gather<boost::asio::const_buffer>(buffers, iov);
    if (n == 0) {
      ec = {};
      return 0;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    ssize_t r;
    do {
      r = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      ec.assign(errno, boost::system::system_category());
      return 0;
    }
    ec = {};
    return static_cast<size_t>(r);
  }

  // The throwing forms complete the Beast stream concepts; berth calls only
  // the error_code forms above.
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  static constexpr int kMaxIov = 32;

  template <class Buffer, class Sequence>
  static int gather(const Sequence& buffers, iovec* iov) {
    int n = 0;
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != end && n < kMaxIov; ++it) {
      Buffer b(*it);
      if (b.size() == 0) continue;
      iov[n].iov_base = const_cast<void*>(static_cast<const void*>(b.data()));
      iov[n].iov_len = b.size();
      ++n;
    }
    return n;
  }

  int fd_;
};

}  // namespace berth::httpio
