#include "setpe_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace omx::cli {
namespace {

std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

constexpr const char kSynopsis[] =
    "usage: setpe -w|-W [-c] [-p ID] [-g N] [-f FILE|-]   load a map (stdin without -f)\n"
    "       setpe -c [-p ID] [-f FILE|-]                   only check a map\n"
    "       setpe -r [-f FILE|-]                           print the running map\n"
    "       setpe -off                                     this node leaves the cluster\n"
    "       setpe -p ID                                    set this node's id\n"
    "Map grammar: 'first-id host-or-IP count' or 'id IP ALIAS' per line, # comments.\n"
    "Exit: 0 ok, 1 bad map or not applied, 2 usage, 3 not root, 4 no omxd answering.";

struct Flags {
  bool w = false, big_w = false, r = false, c = false, off = false;
};

Result<SetpeAction> pick_action(const Flags& f, const SetpeOptions& o) {
  bool write = f.w || f.big_w;
  int modes = int(write) + int(f.r) + int(f.off);
  if (modes > 1) return make_error(ErrorCode::kInvalid, "give only one of -w, -r and -off");
  if (f.off) {
    if (f.c || o.node || !o.file.empty() || o.gateways)
      return make_error(ErrorCode::kInvalid, "-off takes no other option");
    return SetpeAction::kOff;
  }
  if (f.r) {
    if (f.c || o.node || o.gateways)
      return make_error(ErrorCode::kInvalid, "-r takes only -f FILE");
    return SetpeAction::kRead;
  }
  if (f.c) return SetpeAction::kCheck;
  if (write) return SetpeAction::kWrite;
  if (o.node) {
    if (!o.file.empty() || o.gateways)
      return make_error(ErrorCode::kInvalid, "-f and -g need -w or -c");
    return SetpeAction::kSetId;
  }
  return make_error(ErrorCode::kInvalid, "say what to do: -w, -c, -r, -off or -p ID");
}

}  // namespace

Result<SetpeCommandLine> parse_setpe_args(const std::vector<std::string>& args) {
  SetpeCommandLine cl;
  SetpeOptions o;
  Flags f;
  const std::string prog = args.empty() ? "setpe" : args[0];
  CLI::App app("setpe: load, check, print or drop this node's cluster map (openMosix setpe)",
               prog);
  app.footer(kSynopsis);
  app.add_flag("-w", f.w, "load the map (from -f FILE, or stdin) into the running omxd");
  app.add_flag("-W", f.big_w, "the same as -w");
  app.add_flag("-r", f.r, "print the running map in map-file syntax (to -f FILE, or stdout)");
  app.add_flag("-c", f.c, "only check the map: report errors, apply nothing");
  app.add_flag("--off", f.off, "this node leaves the cluster (written -off)");
  app.add_option("-f", o.file, "map file; - for stdin (stdout with -r)")->option_text("FILE");
  app.add_option("-p", o.node, "this node's id (must be in the map)")
      ->check(CLI::Range(1, 65535))
      ->option_text("ID");
  app.add_option("-g", o.gateways, "gateways between node groups (0..2; no effect in omx)")
      ->check(CLI::Range(0, 2))
      ->option_text("N");
  app.add_option("--control", o.control, "omxd's control socket (@name or a path)")
      ->option_text("ADDR");
  // openMosix spells it -off; CLI11 only knows one-letter short options.
  std::vector<std::string> rev;
  for (auto it = args.rbegin(); it + 1 < args.rend(); ++it)
    rev.push_back(*it == "-off" ? "--off" : *it);
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    cl.help = app.help();
    return cl;
  } catch (const CLI::ParseError& e) {
    return make_error(ErrorCode::kInvalid, first_line(e.what()) + " (setpe --help for usage)");
  }
  auto action = pick_action(f, o);
  if (!action.ok())
    return make_error(ErrorCode::kInvalid, action.error().message() + " (setpe --help for usage)");
  o.action = *action;
  cl.options = std::move(o);
  return cl;
}

std::string format_setmap_reply(const nlohmann::json& reply) {
  auto ids = [&](const char* key) {
    return cluster::format_id_list(reply.value(key, std::vector<cluster::NodeId>{}));
  };
  std::string added = ids("added"), removed = ids("removed"), changed = ids("modified");
  bool nodes_same = added == "-" && removed == "-" && changed == "-";
  bool same = nodes_same && reply.value("previous_node", 0u) == reply.value("node", 0u);
  std::string out = fmt::format("omx configuration {}: This is omx #{} (of {} configured)\n",
                                same ? "unchanged" : "changed", reply.value("node", 0u),
                                reply.value("count", 0u));
  if (!nodes_same) out += fmt::format("nodes added: {}; removed: {}; changed: {}\n", added, removed, changed);
  return out;
}

std::string format_check_ok(const std::string& source, const cluster::NodeMap& map,
                            cluster::NodeId self) {
  std::vector<cluster::NodeId> ids;
  ids.reserve(map.size());
  for (const auto& [id, node] : map.nodes()) ids.push_back(id);
  std::string out = fmt::format("{}: ok: {} node{} ({})", source, map.size(),
                                map.size() == 1 ? "" : "s", cluster::format_id_list(ids));
  if (self) out += fmt::format(", this node #{}", self);
  return out + "\n";
}

}  // namespace omx::cli
