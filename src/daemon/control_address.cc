#include "daemon/control_address.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace omx::daemon {

std::string default_control_address() {
  const char* env = std::getenv("OMX_CONTROL");
  if (env && *env) return env;
  return kDefaultControlAddress;
}

std::string broker_address(const std::string& control_address) {
  return control_address + ".broker";
}

Result<UnixAddress> make_unix_address(const std::string& address) {
  UnixAddress a;
  a.sun.sun_family = AF_UNIX;
  a.abstract = !address.empty() && address[0] == '@';
  std::string name = a.abstract ? address.substr(1) : address;
  if (name.empty())
    return make_error(ErrorCode::kInvalid,
                      fmt::format("control socket address '{}' is empty", address));
  // Abstract: a leading NUL then the name, not terminated; path: the name plus its NUL.
  size_t needed = name.size() + 1;
  if (needed > sizeof(a.sun.sun_path))
    return make_error(ErrorCode::kInvalid,
                      fmt::format("control socket address '{}' is longer than {} bytes", address,
                                  sizeof(a.sun.sun_path) - 1));
  if (name.find('\0') != std::string::npos)
    return make_error(ErrorCode::kInvalid, "control socket address contains a NUL byte");
  std::memcpy(a.sun.sun_path + (a.abstract ? 1 : 0), name.data(), name.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + (a.abstract ? 1 : 0) +
                                 name.size() + (a.abstract ? 0 : 1));
  return a;
}

}  // namespace omx::daemon
