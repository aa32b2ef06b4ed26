// Control socket addresses (docs/design.md "Addresses, ports, control socket"): "@name" is the
// abstract unix socket "name" (per network namespace, no file, gone with the daemon); anything
// else is a filesystem path. The default is $OMX_CONTROL if set, else "@omx/omxd"; omxd and its
// clients resolve it the same way, so they agree without flags.
//
// Pure functions; thread-safe.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "base/result.h"

namespace omx::daemon {

inline constexpr const char kDefaultControlAddress[] = "@omx/omxd";

// $OMX_CONTROL, or kDefaultControlAddress when unset or empty.
std::string default_control_address();

struct UnixAddress {
  sockaddr_un sun{};
  socklen_t len = 0;   // the length to pass to bind/connect (abstract names are not NUL-ended)
  bool abstract = false;
};

// The channel broker's socket beside a control socket: "<control>.broker" (migrate/channel_broker.h).
std::string broker_address(const std::string& control_address);

// Validates and converts an address; an empty or too long one is an error.
Result<UnixAddress> make_unix_address(const std::string& address);

}  // namespace omx::daemon
