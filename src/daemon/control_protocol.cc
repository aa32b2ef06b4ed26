#include "daemon/control_protocol.h"

namespace omx::daemon {

using nlohmann::json;

json ok_reply(json fields) {
  json r = json::object();
  r["ok"] = true;
  for (auto& [k, v] : fields.items()) r[k] = v;
  return r;
}

json error_reply(const std::string& message) { return json{{"ok", false}, {"error", message}}; }

std::string serialize_message(const json& reply) {
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (!reply.is_object()) return dump(reply);
  std::string out = "{";
  for (const char* first : {"ok", "error", "op"}) {
    if (auto it = reply.find(first); it != reply.end())
      out += (out.size() > 1 ? "," : "") + dump(json(first)) + ":" + dump(*it);
  }
  for (const auto& [key, value] : reply.items()) {
    if (key == "ok" || key == "error" || key == "op") continue;
    out += (out.size() > 1 ? "," : "") + dump(json(key)) + ":" + dump(value);
  }
  return out + "}";
}

}  // namespace omx::daemon
