// The control protocol's message helpers, shared by omxd's ControlServer and its clients:
// JSON lines, one request object with a string "op" per line, one reply object per line,
// {"ok":true,...} or {"ok":false,"error":"one clear line"}. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace omx::daemon {

inline constexpr size_t kMaxRequestBytes = 64 * 1024;

nlohmann::json ok_reply(nlohmann::json fields = nlohmann::json::object());
nlohmann::json error_reply(const std::string& message);

// One message line (without the newline): "ok", "error" and "op" first, then the other keys (in
// nlohmann's sorted order), so people reading the socket see the verdict or the op first.
std::string serialize_message(const nlohmann::json& reply);

}  // namespace omx::daemon
