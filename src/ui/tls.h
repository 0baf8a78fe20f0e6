// TLS for a dashboard served to other hosts (--ui-tls-cert/--ui-tls-key):
// OpenSSL terminates it, and the connection is handed on as a plain socket
// (one end of a socketpair) so the HTTP and WebSocket code is the same for
// both; a pump thread moves the bytes between the two. OpenSSL writes to the
// socket with write(): the process must ignore SIGPIPE (berthd does).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::ui {

class TlsContext {
 public:
  // Reads the certificate chain and key (PEM) and checks they match.
  static Result<std::unique_ptr<TlsContext>> load(const std::string& cert_file, const std::string& key_file);
  ~TlsContext();

  struct Wrapped {
    UniqueFd plain;     // speak HTTP on this; closing it ends the TLS session
    std::thread pump;   // join after closing `plain`
  };
  // Runs the handshake (bounded by the socket's timeouts) on the caller's
  // thread; `tcp` is owned by the pump afterwards.
  Result<Wrapped> accept(UniqueFd tcp);

 private:
  TlsContext() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::ui
