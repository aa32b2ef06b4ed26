#include "dashboard/actions.h"

#include <fmt/format.h>

namespace omx::dashboard {

using nlohmann::json;

HttpReply error_reply(int status, const std::string& message) {
  return {status, {{"ok", false}, {"error", message}}};
}

Result<Argv> process_action_argv(const std::string& action, long pid, const json& body) {
  std::string p = std::to_string(pid);
  if (action == "lock" || action == "unlock") return Argv{"omx", action, p};
  if (action == "migrate") {
    auto to = body.find("to");
    if (to == body.end()) return make_error(ErrorCode::kInvalid, "migrate needs \"to\": a node id, \"home\" or \"best\"");
    if (to->is_number_integer() && to->get<long>() >= 1) return Argv{"omx", "migrate", p, std::to_string(to->get<long>())};
    if (to->is_string() && *to == "home") return Argv{"omx", "migrate", p, "home"};
    if (to->is_string() && *to == "best") return Argv{"omx", "migrate", p, "balance"};
    return make_error(ErrorCode::kInvalid, "\"to\" must be a node id (1 or more), \"home\" or \"best\"");
  }
  if (action == "signal") {
    static const char* kSignals[] = {"STOP", "CONT", "TERM", "KILL", "INT", "HUP", "USR1", "USR2"};
    auto s = body.find("signal");
    if (s != body.end() && s->is_string())
      for (const char* k : kSignals)
        if (*s == k) return Argv{"kill", "-s", k, p};
    return make_error(ErrorCode::kInvalid,
                      "\"signal\" must be one of STOP, CONT, TERM, KILL, INT, HUP, USR1, USR2");
  }
  if (action == "renice") {
    auto n = body.find("nice");
    if (n == body.end() || !n->is_number_integer() || n->get<long>() < -20 || n->get<long>() > 19)
      return make_error(ErrorCode::kInvalid, "\"nice\" must be an integer from -20 to 19");
    return Argv{"renice", "-n", std::to_string(n->get<long>()), "-p", p};
  }
  return make_error(ErrorCode::kInvalid, fmt::format("unknown action '{}'", action));
}

Result<std::vector<Argv>> settings_argvs(const json& body) {
  if (!body.is_object()) return make_error(ErrorCode::kInvalid, "the body must be a JSON object");
  for (const auto& [k, v] : body.items())
    if (k != "speed" && k != "stay" && k != "lstay" && k != "block" && k != "quiet" && k != "mfs")
      return make_error(ErrorCode::kInvalid,
                        fmt::format("unknown setting '{}' (speed, stay, lstay, block, quiet, mfs)", k));
  std::vector<Argv> out;
  if (body.contains("speed")) {
    const json& s = body["speed"];
    if (!s.is_number_integer() || s.get<long>() < 1)
      return make_error(ErrorCode::kInvalid, "\"speed\" must be a positive integer (10000 = a standard CPU)");
    out.push_back({"omx", "mosctl", "setspeed", std::to_string(s.get<long>())});
  }
  for (const char* k : {"stay", "lstay", "block", "quiet", "mfs"}) {
    if (!body.contains(k)) continue;
    if (!body[k].is_boolean()) return make_error(ErrorCode::kInvalid, fmt::format("\"{}\" must be true or false", k));
    out.push_back({"omx", "mosctl", std::string(body[k].get<bool>() ? "" : "no") + k});
  }
  if (out.empty()) return make_error(ErrorCode::kInvalid, "no setting given (speed, stay, lstay, block, quiet, mfs)");
  return out;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

HttpReply command_reply(const Result<CommandResult>& r, uint32_t node) {
  if (!r.ok()) {
    const Error& e = r.error();
    if (e.code == ErrorCode::kTimeout) return error_reply(504, fmt::format("node {} did not answer in time: {}", node, e.message()));
    if (e.code == ErrorCode::kSys || e.code == ErrorCode::kProtocol)
      return error_reply(502, fmt::format("node {} is unreachable: {}", node, e.message()));
    return error_reply(500, fmt::format("node {}: the command was not run: {}", node, e.message()));
  }
  if (r->timed_out) return error_reply(504, fmt::format("node {}: the command did not finish in time", node));
  if (r->exit_code == 0) return {200, {{"ok", true}, {"output", r->out}}};
  std::string why = last_line(r->err);
  if (why.empty()) why = last_line(r->out);
  if (why.empty()) why = r->exit_code < 0 ? fmt::format("killed by signal {}", -r->exit_code)
                                          : fmt::format("exit status {}", r->exit_code);
  return {422, {{"ok", false}, {"error", why}, {"output", r->out}}};
}

}  // namespace omx::dashboard
