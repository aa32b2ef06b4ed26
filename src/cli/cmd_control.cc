// `omx control`: send one request to omxd's control socket and print the reply line. For
// scripts, tests and debugging; the friendly commands (mosctl, mps, ...) build on the same
// client.
//
//   omx control [--address A] OP [KEY=VALUE...]   e.g. omx control node id=2
//   omx control [--address A] '{"op":"nodes"}'    a raw JSON request
//
// VALUE is taken as JSON when it parses (2, true, "x", [1]) and as a string otherwise. The
// address defaults to $OMX_CONTROL, else @omx/omxd. Exit: 0 reply ok, 1 reply not ok,
// 2 usage, 4 no daemon answering.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "daemon/control_client.h"
#include "daemon/control_protocol.h"

namespace omx::cli {
namespace {

using nlohmann::json;

// Builds the request from the positional words; an empty result means bad usage (reported).
json build_request(const std::vector<std::string>& words) {
  if (words.size() == 1 && !words[0].empty() && words[0][0] == '{') {
    json raw = json::parse(words[0], nullptr, false);
    if (raw.is_discarded() || !raw.is_object()) {
      std::fprintf(stderr, "omx control: '%s' is not a JSON object\n", words[0].c_str());
      return {};
    }
    return raw;
  }
  json req{{"op", words[0]}};
  for (size_t i = 1; i < words.size(); ++i) {
    auto eq = words[i].find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "omx control: '%s' is not KEY=VALUE\n", words[i].c_str());
      return {};
    }
    std::string value = words[i].substr(eq + 1);
    json v = json::parse(value, nullptr, false);
    req[words[i].substr(0, eq)] = v.is_discarded() ? json(value) : v;
  }
  return req;
}

}  // namespace

int cmd_control(const Args& args) {
  CLI::App app("send one request to omxd's control socket and print the reply", "omx control");
  std::string address = daemon::default_control_address();
  std::vector<std::string> words;
  app.add_option("--address", address, "control socket: @name or a path")->capture_default_str();
  app.add_option("request", words, "OP [KEY=VALUE...] or one JSON object")->required();
  if (int rc = parse(app, args); rc >= 0) return rc;
  json req = build_request(words);
  if (req.is_null()) return kExitUsage;
  auto reply = daemon::control_request(req, address);
  if (!reply.ok()) {
    std::fprintf(stderr, "omx control: %s\n", reply.error().message().c_str());
    return kExitUnavailable;
  }
  std::puts(daemon::serialize_message(*reply).c_str());
  return reply->value("ok", false) ? kExitOk : kExitFailed;
}

}  // namespace omx::cli
