// `omx status [--json]`: a one-screen summary of the cluster as this node's omxd sees it
// (status_summary.h): nodes up and down, per-node load, speed, CPUs, memory, guests and local
// processes, cluster totals, migrations in the last minute, and the balancer switches; the
// web dashboard's address ("http") when this omxd serves one.
// Exit: 0 ok, 2 usage, 4 no omxd answering. Single-threaded; blocking.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "daemon/control_client.h"
#include "status_summary.h"

namespace omx::cli {

int cmd_status(const Args& args) {
  CLI::App app("a one-screen summary of the cluster", args[0]);
  std::string address = daemon::default_control_address();
  bool as_json = false;
  app.add_option("--address", address, "omxd control socket")->capture_default_str();
  app.add_flag("--json", as_json, "print the summary as JSON");
  app.footer("Exit: 0 ok, 1 omxd refused, 2 usage, 4 no omxd answering.");
  if (int rc = parse(app, args); rc >= 0) return rc;

  int rc = kExitOk;
  auto nodes = ask_omxd(args[0], {{"op", "nodes"}}, address, rc);
  if (!nodes) return rc;
  auto settings = daemon::control_request({{"op", "settings"}}, address);
  nlohmann::json s = settings.ok() && settings->value("ok", false) ? *settings : nlohmann::json::object();
  StatusSummary summary = make_status_summary(*nodes, s);
  // The web dashboard's address when this omxd serves one (omxd --http; op "http").
  auto http = daemon::control_request({{"op", "http"}}, address);
  std::string dashboard = http.ok() && http->value("ok", false) ? http->value("listen", std::string()) : "";
  if (as_json) {
    nlohmann::json j = status_json(summary);
    if (!dashboard.empty()) j["http"] = dashboard;
    std::puts(j.dump(2).c_str());
  } else {
    std::fputs(status_text(summary).c_str(), stdout);
    if (!dashboard.empty()) std::printf("dashboard: http://%s/ (omx dashboard url)\n", dashboard.c_str());
  }
  return kExitOk;
}

}  // namespace omx::cli
