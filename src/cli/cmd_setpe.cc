// `setpe` / `omx setpe`: load, check, print or drop this node's cluster map in the running
// omxd (options and messages: setpe_options.h; daemon side: daemon/map_service.h). Like
// openMosix's setpe, the map is parsed and host names are resolved here; omxd gets the table
// in map syntax with addresses only and checks it again.
//
// Exit codes (docs/exit-codes.md): 0 ok, 1 bad map or not applied, 2 usage, 3 not root,
// 4 no omxd answering. Single-threaded; blocking.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "cluster/node_map.h"
#include "commands.h"
#include "daemon/control_client.h"
#include "daemon/control_protocol.h"
#include "setpe_options.h"

namespace omx::cli {
namespace {

using nlohmann::json;

int fail(int rc, const std::string& msg) {
  std::fprintf(stderr, "setpe: %s\n", msg.c_str());
  return rc;
}

Result<cluster::NodeMap> read_map(const SetpeOptions& o) {
  if (!o.from_stdin()) return cluster::load_node_map(o.file);
  std::string text(std::istreambuf_iterator<char>(std::cin), {});
  return cluster::parse_node_map(text, "stdin");
}

// Sends a request; a transport failure or a refusal becomes the exit status in *rc.
std::optional<json> ask(const SetpeOptions& o, const json& req, int* rc) {
  auto reply = o.control.empty() ? daemon::control_request(req)
                                 : daemon::control_request(req, o.control);
  if (!reply.ok()) {
    *rc = fail(kExitUnavailable, reply.error().message());
    return std::nullopt;
  }
  if (!reply->value("ok", false)) {
    *rc = fail(reply->value("refused", false) ? kExitRefused : kExitFailed,
               reply->value("error", std::string("omxd refused the request")));
    return std::nullopt;
  }
  return std::move(*reply);
}

// -w, -c: parse here (file:line errors, names resolved), then check or send the table.
int load_or_check(const SetpeOptions& o) {
  auto map = read_map(o);
  if (!map.ok()) return fail(kExitFailed, map.error().message());
  if (o.node && !map->find(o.node))
    return fail(kExitFailed, fmt::format("node {} (-p) is not in {}", o.node, o.source_name()));
  if (o.action == SetpeAction::kCheck) {
    std::fputs(format_check_ok(o.source_name(), *map, o.node).c_str(), stdout);
    return kExitOk;
  }
  json req{{"op", "setmap"}, {"map", map->format()}, {"source", o.source_name()}};
  if (o.node) req["node"] = o.node;
  if (size_t size = req.dump().size(); size >= daemon::kMaxRequestBytes)
    return fail(kExitFailed,
                fmt::format("{}: the table takes {} bytes as a request, more than omxd's control "
                            "socket accepts ({}); write consecutive nodes as ranges",
                            o.source_name(), size, daemon::kMaxRequestBytes));
  int rc = kExitOk;
  auto reply = ask(o, req, &rc);
  if (!reply) return rc;
  std::fputs(format_setmap_reply(*reply).c_str(), stdout);
  return kExitOk;
}

int read_running(const SetpeOptions& o) {
  int rc = kExitOk;
  auto reply = ask(o, {{"op", "map"}}, &rc);
  if (!reply) return rc;
  if (!reply->value("configured", false))
    std::fprintf(stderr, "setpe: this node is not configured (setpe -off); no map to print\n");
  std::string text = reply->value("map", std::string());
  if (o.from_stdin()) {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  std::ofstream out(o.file, std::ios::trunc);
  if (!(out << text) || !out.flush())
    return fail(kExitFailed, fmt::format("cannot write {}", o.file));
  return kExitOk;
}

int set_id(const SetpeOptions& o) {
  int rc = kExitOk;
  auto reply = ask(o, {{"op", "setmap"}, {"node", o.node}}, &rc);
  if (!reply) return rc;
  std::fputs(format_setmap_reply(*reply).c_str(), stdout);
  return kExitOk;
}

int leave(const SetpeOptions& o) {
  int rc = kExitOk;
  auto reply = ask(o, {{"op", "clearmap"}}, &rc);
  if (!reply) return rc;
  if (!reply->value("was_configured", true))
    std::puts("this node was not configured: nothing to do");
  else
    std::printf("omx #%u left the cluster (map cleared; setpe -w loads one again)\n",
                reply->value("node", 0u));
  return kExitOk;
}

}  // namespace

int cmd_setpe(const Args& args) {
  auto cl = parse_setpe_args(args);
  if (!cl.ok()) return fail(kExitUsage, cl.error().message());
  if (!cl->options) {
    std::fputs(cl->help.c_str(), stdout);
    return kExitOk;
  }
  const SetpeOptions& o = *cl->options;
  if (o.gateways)
    std::fprintf(stderr, "setpe: -g %d has no effect: omx nodes reach each other directly\n",
                 *o.gateways);
  switch (o.action) {
    case SetpeAction::kWrite:
    case SetpeAction::kCheck:
      return load_or_check(o);
    case SetpeAction::kRead:
      return read_running(o);
    case SetpeAction::kOff:
      return leave(o);
    case SetpeAction::kSetId:
      return set_id(o);
  }
  return kExitUsage;
}

}  // namespace omx::cli
