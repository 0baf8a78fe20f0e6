#include "kubestream/stream_io.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

#include <cerrno>

namespace berth::kubestream {

FdWriter::~FdWriter() { stop(); }

void FdWriter::start(int fd, std::function<void()> at_eof) {
  std::lock_guard lock(mu_);
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this, fd, at_eof = std::move(at_eof)] { loop(fd, at_eof); });
}

void FdWriter::data(std::string_view bytes) {
  if (bytes.empty()) return;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopped_ || !started_ || queued_ < kMaxQueued; });
  if (stopped_ || eof_) return;
  queue_.emplace_back(bytes);
  queued_ += bytes.size();
  cv_.notify_all();
}

void FdWriter::eof() {
  std::lock_guard lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

void FdWriter::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    queue_.clear();
    queued_ = 0;
    cv_.notify_all();
  }
  // stop() may come from two threads at once (the session ending, the client leaving).
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void FdWriter::loop(int fd, std::function<void()> at_eof) {
  // A write into a pipe whose reader is gone raises SIGPIPE in this thread:
  // keep it blocked here and take it back after EPIPE, so the process (berthd)
  // never dies of it, whatever its own disposition.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  for (;;) {
    std::string chunk;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopped_ || eof_ || !queue_.empty(); });
      if (stopped_) return;
      if (queue_.empty()) break;  // eof and drained
      chunk = std::move(queue_.front());
      queue_.pop_front();
      queued_ -= chunk.size();
      cv_.notify_all();
    }
    size_t off = 0;
    while (off < chunk.size()) {
      ssize_t n = ::write(fd, chunk.data() + off, chunk.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (errno == EPIPE) {
          timespec zero{0, 0};
          sigtimedwait(&pipe_set, nullptr, &zero);
        }
        // The reader went away (EPIPE): nothing more can be delivered; drop the rest.
        std::lock_guard lock(mu_);
        stopped_ = true;
        queue_.clear();
        queued_ = 0;
        cv_.notify_all();
        break;
      }
      off += static_cast<size_t>(n);
    }
    std::lock_guard lock(mu_);
    if (stopped_) break;
  }
  if (at_eof) at_eof();
}

Wakeup::Wakeup() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

void Wakeup::fire() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

PumpEnd pump(int fd, OutStream& out, const Wakeup* stop) {
  char buf[32 * 1024];
  bool draining = false;
  for (;;) {
    if (!draining) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop ? stop->fd() : -1, POLLIN, 0}};
      int r = ::poll(fds, stop ? 2 : 1, -1);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PumpEnd::ReadFailed;
      }
      if (stop && (fds[1].revents & POLLIN) && !(fds[0].revents & (POLLIN | POLLHUP))) {
        // Stopped: take what is buffered without waiting for more.
        draining = true;
        int flags = ::fcntl(fd, F_GETFL);
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        continue;
      }
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (draining) return PumpEnd::Stopped;
      continue;
    }
    if (n < 0) return errno == ECONNRESET ? PumpEnd::Eof : PumpEnd::ReadFailed;
    if (n == 0) return PumpEnd::Eof;
    if (!out.write(std::string_view(buf, static_cast<size_t>(n)))) return PumpEnd::WriteFailed;
  }
}

}  // namespace berth::kubestream
