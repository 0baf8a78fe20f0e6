// Signal names as Docker accepts them (StopSignal, kill ?signal=).
#include <csignal>
#include <string>

#include "base/strings.h"
#include "specgen/specgen.h"

namespace berth::specgen {
namespace {

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

// SIGRTMIN is 34 for programs in the container (glibc reserves 32, 33 in the
// daemon's own process, so the kernel's numbers are used, as Docker does).
constexpr int kRtMin = 34, kRtMax = 64;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

Result<int> parse_stop_signal(std::string_view text) {
  auto bad = [&] { return fail(Errc::InvalidArgument, "Invalid signal: " + std::string(text)); };
  if (auto n = parse_int(text)) {
    if (*n <= 0 || *n > kRtMax) return bad();
    return static_cast<int>(*n);
  }
  std::string name = upper(text);
  if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
  for (const auto& s : kSignals)
    if (name == s.name) return s.number;
  auto offset = [&](std::string_view prefix, int base, int sign) -> std::optional<int> {
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    std::string_view rest = std::string_view(name).substr(prefix.size());
    if (rest.empty()) return base;
    if (rest[0] != (sign > 0 ? '+' : '-')) return std::nullopt;
    auto k = parse_int(rest.substr(1));
    if (!k || *k < 0 || *k > kRtMax - kRtMin) return std::nullopt;
    return base + sign * static_cast<int>(*k);
  };
  if (auto v = offset("RTMIN", kRtMin, +1)) return *v;
  if (auto v = offset("RTMAX", kRtMax, -1)) return *v;
  return bad();
}

}  // namespace berth::specgen
