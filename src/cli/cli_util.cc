#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"

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

}  // namespace omx::cli
