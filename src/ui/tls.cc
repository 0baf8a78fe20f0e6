#include "ui/tls.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace berth::ui {

namespace {

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

bool write_plain(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// Waits for what OpenSSL asked for on the (non-blocking) TCP socket.
bool wait_for(int fd, int ssl_err) {
  pollfd p{fd, static_cast<short>(ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  for (;;) {
    int r = ::poll(&p, 1, 30000);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

bool ssl_write_all(SSL* ssl, int tcp, const char* data, size_t len) {
  while (len > 0) {
    int n = SSL_write(ssl, data, static_cast<int>(len));
    if (n > 0) {
      data += n;
      len -= static_cast<size_t>(n);
      continue;
    }
    int err = SSL_get_error(ssl, n);
    if ((err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) || !wait_for(tcp, err)) return false;
  }
  return true;
}

// Moves bytes both ways until either side ends.
void pump(SSL* ssl, UniqueFd tcp, UniqueFd plain) {
  int fl = ::fcntl(tcp.get(), F_GETFL);
  ::fcntl(tcp.get(), F_SETFL, fl | O_NONBLOCK);
  char buf[16384];
  for (;;) {
    // Drain what TLS has decrypted (or can decrypt now) first.
    bool tcp_open = true;
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0) {
        if (!write_plain(plain.get(), buf, static_cast<size_t>(n))) tcp_open = false;
        if (!tcp_open) break;
        continue;
      }
      int err = SSL_get_error(ssl, n);
      if (err == SSL_ERROR_WANT_READ) break;
      if (err == SSL_ERROR_WANT_WRITE) {
        if (!wait_for(tcp.get(), err)) tcp_open = false;
        if (!tcp_open) break;
        continue;
      }
      tcp_open = false;  // close_notify, reset or a protocol error
      break;
    }
    if (!tcp_open) {
      ::shutdown(plain.get(), SHUT_RDWR);
      break;
    }
    pollfd p[2] = {{tcp.get(), POLLIN, 0}, {plain.get(), POLLIN, 0}};
    int r = ::poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (p[1].revents) {
      ssize_t n = ::read(plain.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        SSL_shutdown(ssl);  // the server's side is done: close_notify
        break;
      }
      if (!ssl_write_all(ssl, tcp.get(), buf, static_cast<size_t>(n))) {
        ::shutdown(plain.get(), SHUT_RDWR);
        break;
      }
    }
    if (p[0].revents & (POLLERR | POLLNVAL)) {
      ::shutdown(plain.get(), SHUT_RDWR);
      break;
    }
  }
  SSL_free(ssl);
}

}  // namespace

struct TlsContext::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() {
    if (ctx) SSL_CTX_free(ctx);
  }
};

TlsContext::~TlsContext() = default;

Result<std::unique_ptr<TlsContext>> TlsContext::load(const std::string& cert_file, const std::string& key_file) {
  std::unique_ptr<TlsContext> t(new TlsContext);
  t->impl_ = std::make_unique<Impl>();
  t->impl_->ctx = SSL_CTX_new(TLS_server_method());
  if (!t->impl_->ctx) return fail(Errc::Internal, "creating the TLS context: " + ssl_error_text());
  SSL_CTX* ctx = t->impl_->ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return fail(Errc::InvalidArgument, "--ui-tls-cert " + cert_file + ": not a readable PEM certificate (" + ssl_error_text() + ")");
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return fail(Errc::InvalidArgument, "--ui-tls-key " + key_file + " does not match the certificate " + cert_file);
    }
    return fail(Errc::InvalidArgument, "--ui-tls-key " + key_file + ": not a readable PEM private key (" + ssl_error_text() + ")");
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail(Errc::InvalidArgument, "--ui-tls-key " + key_file + " does not match the certificate " + cert_file);
  return t;
}

Result<TlsContext::Wrapped> TlsContext::accept(UniqueFd tcp) {
  SSL* ssl = SSL_new(impl_->ctx);
  if (!ssl) return fail(Errc::Internal, "TLS: " + ssl_error_text());
  SSL_set_fd(ssl, tcp.get());
  if (SSL_accept(ssl) != 1) {
    std::string why = ssl_error_text();
    SSL_free(ssl);
    return fail(Errc::InvalidArgument, "TLS handshake: " + why);
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    SSL_free(ssl);
    return fail_errno("socketpair");
  }
  Wrapped w;
  w.plain = UniqueFd(sv[0]);
  w.pump = std::thread(pump, ssl, std::move(tcp), UniqueFd(sv[1]));
  return w;
}

}  // namespace berth::ui
