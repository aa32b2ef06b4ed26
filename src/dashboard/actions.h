// Dashboard actions as CLI commands (docs/api/openapi.yaml, "Rights"): each POST becomes the
// very command a user would type, run as that user on the node that owns the process or
// setting, so omx/kill/renice/mosctl decide what is allowed. This file is the pure part: the
// request body -> argv, and the command's outcome -> the HTTP answer.
//
//   migrate {to: N|"home"|"best"}   omx migrate PID N|home|balance      (at the process's home)
//   lock / unlock                   omx lock|unlock PID
//   signal {signal: STOP|...}       kill -s SIG PID
//   renice {nice: -20..19}          renice -n N -p PID
//   settings {speed,stay,lstay,block,quiet,mfs}  omx mosctl setspeed N | [no]stay | ... (in
//                                   that order; on that node, or every up node for "all")
//   expel / bring                   omx mosctl expel|bring
//
// Outcome: exit 0 -> 200 {ok:true,output}; another exit status -> 422 {ok:false,error: the
// command's last error line, output}; killed at the timeout -> 504; not run because the node
// did not answer -> 502; not run for another reason (refused by the runner) -> 500.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "dashboard/node_runner.h"

namespace omx::dashboard {

using Argv = std::vector<std::string>;

struct HttpReply {
  int status = 200;
  nlohmann::json body;
};

HttpReply error_reply(int status, const std::string& message);

// action: migrate, lock, unlock, signal, renice. kInvalid (-> 400) names the bad field.
Result<Argv> process_action_argv(const std::string& action, long pid, const nlohmann::json& body);
// One mosctl command per field present, in the documented order; kInvalid when none or bad.
Result<std::vector<Argv>> settings_argvs(const nlohmann::json& body);

// The last non-empty line of a command's stderr (or stdout), "" when both are empty.
std::string last_line(const std::string& text);
// The HTTP answer for one command's outcome on `node`.
HttpReply command_reply(const Result<CommandResult>& r, uint32_t node);

}  // namespace omx::dashboard
