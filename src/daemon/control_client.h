// Blocking client for omxd's control socket: connect, send one JSON request line, read one
// reply line. For the CLI and other processes (not for code running on omxd's event loop).
// Each call opens its own connection; a reply that is not a JSON object, or no reply within
// the timeout, is an error. An {"ok":false} reply is returned as a value: the caller decides.
//
// Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "daemon/control_address.h"

namespace omx::daemon {

inline constexpr std::chrono::milliseconds kControlTimeout{5000};

Result<nlohmann::json> control_request(const nlohmann::json& request,
                                       std::string address = default_control_address(),
                                       std::chrono::milliseconds timeout = kControlTimeout);

// Fire and forget: sends one request line and closes without waiting for the reply (home
// supervisors telling omxd about a move). Never blocks: a full or absent socket is an error.
Status control_notify(const nlohmann::json& request, std::string address = default_control_address());

}  // namespace omx::daemon
