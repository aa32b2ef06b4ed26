#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "daemon/control_client.h"
#include "status_summary.h"

namespace omx::cli {

void print_error(const std::string& prog, const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", prog.c_str(), msg.c_str());
}

int parse(CLI::App& app, const Args& args) {
  std::vector<std::string> rev(args.rbegin(), args.rend() - 1);
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    print_error(app.get_name(), what.substr(0, what.find('\n')) + " (--help for usage)");
    return kExitUsage;
  }
  return -1;
}

std::optional<nlohmann::json> ask_omxd(const std::string& prog, const nlohmann::json& req,
                                       const std::string& address, int& rc, int refused_rc) {
  auto reply = daemon::control_request(req, address);
  if (!reply.ok()) {
    print_error(prog, no_omxd(address, reply.error()));
    rc = kExitUnavailable;
    return std::nullopt;
  }
  if (!reply->value("ok", false)) {
    std::string why = reply->value("error", std::string("refused"));
    print_error(prog, why);
    bool rights = why.find("only root") != std::string::npos ||
                  why.find("only it or root") != std::string::npos ||
                  why.find("permission") != std::string::npos;
    rc = rights ? kExitRefused : refused_rc;
    return std::nullopt;
  }
  rc = kExitOk;
  return std::move(*reply);
}

}  // namespace omx::cli
