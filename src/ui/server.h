// The dashboard's web server (issue 16): berthd serves it when asked
// (--ui-addr), on its own TCP listener, apart from the API sockets. It serves
// the static page set and relays the pages' API calls, as a plain client, to
// berthd's own API socket: same origin for the browser, which never reaches
// the socket. Every call needs the session cookie a login token opens.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "ui/auth.h"

namespace berth::ui {

struct UiOptions {
  std::string addr;          // "127.0.0.1:18601", "[::1]:8080", "0.0.0.0:8443" (port 0: any)
  std::string tls_cert;      // PEM files; both or neither
  std::string tls_key;
  std::string upstream;      // berthd's API: "unix:///run/berth/berth.sock"
};

// Checks the options without binding: a non-loopback address needs TLS, a
// certificate needs its key.
Result<void> validate_options(const UiOptions& opts);

class UiServer {
 public:
  // Binds and starts serving on a thread of its own.
  static Result<std::unique_ptr<UiServer>> start(const UiOptions& opts, std::shared_ptr<Auth> auth);
  ~UiServer();
  // "http://127.0.0.1:18601" (the real port when asked for port 0).
  std::string base_url() const;
  // The URL `berth ui` prints: base_url() + "/#token=TOKEN".
  std::string login_url(const std::string& token) const;
  // Stops accepting, ends open connections and waits for their threads.
  void stop();

  struct Impl;

 private:
  explicit UiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::ui
