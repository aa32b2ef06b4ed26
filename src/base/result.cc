#include "base/result.h"

#include <cstring>

#include <fmt/format.h>

namespace omx {

std::string Error::message() const {
  std::string s = what;
  if (pid) s += fmt::format(" (pid {})", pid);
  switch (code) {
    case ErrorCode::kSys:
      s += fmt::format(": {}", std::strerror(err));
      break;
    case ErrorCode::kVanished:
      s += ": process vanished";
      break;
    case ErrorCode::kProtocol:
      if (what.rfind("peer: ", 0) != 0) s += ": protocol error";
      break;
    case ErrorCode::kRefused:  // refusals say why in their own words
      break;
    case ErrorCode::kTimeout:
      s += ": timed out";
      break;
    case ErrorCode::kFault:
      s += ": injected fault";
      break;
    case ErrorCode::kInvalid:
      break;
  }
  return s;
}

Error sys_error(std::string what, pid_t pid, int err) {
  Error e;
  e.code = (err == ESRCH && pid != 0) ? ErrorCode::kVanished : ErrorCode::kSys;
  e.err = err;
  e.what = std::move(what);
  e.pid = pid;
  return e;
}

Error make_error(ErrorCode code, std::string what, pid_t pid) {
  Error e;
  e.code = code;
  e.what = std::move(what);
  e.pid = pid;
  return e;
}

}  // namespace omx
