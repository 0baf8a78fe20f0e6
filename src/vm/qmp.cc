#include "vm/qmp.h"

#include <sys/socket.h>
#include <unistd.h>

namespace berth::vm {

Result<nlohmann::json> Qmp::read_message() {
  while (true) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return fail(Errc::Internal, "QEMU's monitor sent a line that is not a JSON object");
      return j;
    }
    char chunk[4096];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("reading QEMU's monitor");
    if (n == 0) return fail(Errc::Unavailable, "QEMU closed its monitor (it has exited)");
    buf_.append(chunk, static_cast<size_t>(n));
    if (buf_.size() > (1u << 20)) return fail(Errc::Internal, "QEMU's monitor sent a line over 1 MiB");
  }
}

Result<void> Qmp::handshake() {
  auto greeting = TRY(read_message());
  if (!greeting.contains("QMP")) return fail(Errc::Internal, "QEMU's monitor did not greet with QMP");
  TRYV(execute("qmp_capabilities"));
  return {};
}

Result<nlohmann::json> Qmp::execute(const std::string& command, nlohmann::json args) {
  nlohmann::json cmd = {{"execute", command}};
  if (!args.is_null()) cmd["arguments"] = std::move(args);
  std::string line = cmd.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("writing to QEMU's monitor");
    off += static_cast<size_t>(n);
  }
  while (true) {
    auto m = TRY(read_message());
    if (m.contains("event")) {
      events_.push_back(std::move(m));
      continue;
    }
    if (m.contains("return")) return m["return"];
    if (m.contains("error")) {
      std::string desc = m["error"].is_object() && m["error"].contains("desc") && m["error"]["desc"].is_string()
                             ? m["error"]["desc"].get<std::string>()
                             : m["error"].dump();
      return fail(Errc::Internal, "QEMU refused " + command + ": " + desc);
    }
  }
}

std::vector<nlohmann::json> Qmp::take_events() { return std::exchange(events_, {}); }

}  // namespace berth::vm
