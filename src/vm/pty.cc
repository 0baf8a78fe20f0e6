#include "vm/pty.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "sys/fdpass.h"

namespace berth::vm {

Result<UniqueFd> pty_for_console(const std::string& console_socket) {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return fail_errno("opening a pty");
  if (::grantpt(master.get()) != 0 || ::unlockpt(master.get()) != 0) return fail_errno("unlocking the pty");
  char name[128];
  if (::ptsname_r(master.get(), name, sizeof name) != 0) return fail_errno("naming the pty");
  ::setsid();
  UniqueFd slave(::open(name, O_RDWR | O_CLOEXEC));
  if (!slave) return fail_errno(std::string("opening ") + name);
  ::ioctl(slave.get(), TIOCSCTTY, 0);
  termios t{};
  if (::tcgetattr(slave.get(), &t) == 0) {
    ::cfmakeraw(&t);
    ::tcsetattr(slave.get(), TCSANOW, &t);
  }
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("creating a socket");
  // Through its directory's fd: the path can exceed sun_path's 108 bytes.
  auto slash = console_socket.rfind('/');
  std::string dir = slash == std::string::npos ? "." : console_socket.substr(0, slash);
  std::string base = slash == std::string::npos ? console_socket : console_socket.substr(slash + 1);
  UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail_errno("opening " + dir);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd.get(), base.c_str());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("connecting to the console socket " + console_socket);
  TRYV(sys::send_fd(sock.get(), master.get(), "vm"));
  return slave;
}

}  // namespace berth::vm
