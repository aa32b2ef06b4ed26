// Result<T>: the return type of everything that touches the outside world (syscalls, files,
// sockets, other processes). Carries errno, the call that failed and the pid it concerned, so an
// error can be reported as one clear line. "Process vanished" (ESRCH from ptrace, ENOENT from
// /proc) is its own code because callers treat it differently from a real failure.
//
// Not thread-affine; values are plain data.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace omx {

enum class ErrorCode : int {
  kSys = 0,       // a syscall failed; errno is in err
  kVanished = 1,  // the process we were working on no longer exists
  kProtocol = 2,  // a peer sent something malformed or unexpected
  kRefused = 3,   // a policy refused the request (cantmove, auth, version)
  kTimeout = 4,
  kFault = 5,     // an injected fault (OMX_FAULT) fired
  kInvalid = 6,   // bad input from a user or a file
};

struct Error {
  ErrorCode code = ErrorCode::kSys;
  int err = 0;        // errno, when meaningful
  std::string what;   // the call or operation, e.g. "ptrace(GETREGS)"
  pid_t pid = 0;      // the process concerned, 0 if none

  std::string message() const;
};

// Builders.
Error sys_error(std::string what, pid_t pid = 0, int err = errno);
Error make_error(ErrorCode code, std::string what, pid_t pid = 0);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : v_(std::move(e)) {}      // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    OMX_CHECK(ok(), "Result::value() on error: %s", error().message().c_str());
    return std::get<0>(v_);
  }
  T&& value() && {
    OMX_CHECK(ok(), "Result::value() on error: %s", error().message().c_str());
    return std::get<0>(std::move(v_));
  }
  const T& value() const& {
    OMX_CHECK(ok(), "Result::value() on error: %s", error().message().c_str());
    return std::get<0>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)) {}  // NOLINT
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *e_; }
  Error& error() { return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace omx

// Propagate an error: OMX_TRY(expr) evaluates a Result; on error returns it from the caller.
#define OMX_TRY(expr)                              \
  do {                                             \
    auto omx_try_r_ = (expr);                      \
    if (!omx_try_r_.ok())                          \
      return std::move(omx_try_r_.error());        \
  } while (0)

// OMX_ASSIGN(lhs, expr): lhs = value of expr, or return its error.
#define OMX_CONCAT_INNER_(a, b) a##b
#define OMX_CONCAT_(a, b) OMX_CONCAT_INNER_(a, b)
#define OMX_ASSIGN(lhs, expr) OMX_ASSIGN_IMPL_(OMX_CONCAT_(omx_r_, __LINE__), lhs, expr)
#define OMX_ASSIGN_IMPL_(tmp, lhs, expr)  \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return std::move(tmp.error()); \
  lhs = std::move(tmp).value()
