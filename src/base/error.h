// Errors are values: every fallible function returns Result<T>.
// The code is a closed set mapped once to exit codes / HTTP statuses; nothing
// matches on message text.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace berth {

enum class Errc {
  NotFound,
  AlreadyExists,
  InvalidArgument,
  Conflict,
  PermissionDenied,
  Unavailable,
  Unsupported,
  Internal,
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::Internal;
  int sys_errno = 0;    // errno of the failing syscall, 0 when not a syscall
  std::string message;  // what failed, on what, and why

  // One line: the message, then strerror(sys_errno) if any.
  std::string str() const;
  // Prepends context ("creating container x: ") to the message.
  Error& wrap(const std::string& context) &;
  Error&& wrap(const std::string& context) &&;
};

template <class T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, int sys_errno = 0) {
  return std::unexpected(Error{code, sys_errno, std::move(message)});
}

// Errc derived from an errno value (ENOENT -> NotFound, EEXIST -> AlreadyExists, ...).
Errc errc_from_errno(int err);

// A failed syscall: message is "what", errno is captured now.
inline std::unexpected<Error> fail_errno(std::string what, int err = errno) {
  return std::unexpected(Error{errc_from_errno(err), err, std::move(what)});
}

}  // namespace berth

// Propagate an error from an expression returning Result<T>; yields the value.
#define TRY(expr)                                                   \
  ({                                                                \
    auto&& try_result_ = (expr);                                    \
    if (!try_result_) return std::unexpected(std::move(try_result_).error()); \
    std::move(*try_result_);                                        \
  })

// Same for Result<void>.
#define TRYV(expr)                                                  \
  do {                                                              \
    auto&& try_result_ = (expr);                                    \
    if (!try_result_) return std::unexpected(std::move(try_result_).error()); \
  } while (0)

// Same, adding context to the message on the way up.
#define TRY_CTX(expr, ctx)                                          \
  ({                                                                \
    auto&& try_result_ = (expr);                                    \
    if (!try_result_) return std::unexpected(std::move(try_result_).error().wrap(ctx)); \
    std::move(*try_result_);                                        \
  })
#define TRYV_CTX(expr, ctx)                                         \
  do {                                                              \
    auto&& try_result_ = (expr);                                    \
    if (!try_result_) return std::unexpected(std::move(try_result_).error().wrap(ctx)); \
  } while (0)
