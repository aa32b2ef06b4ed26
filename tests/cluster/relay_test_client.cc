// relay::run_on as the web dashboard calls it (relay_test.sh): relay_test_client NODE UID GID
// -- COMMAND ARGS... prints the command's stdout and stderr and exits with its status; on an
// error Result it prints "error: CODE MESSAGE" on stderr and exits 99.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "relay/client.h"

int main(int argc, char** argv) {
  if (argc < 6 || std::strcmp(argv[4], "--") != 0) {
    std::fprintf(stderr, "usage: relay_test_client NODE UID GID -- COMMAND ARGS...\n");
    return 2;
  }
  uint32_t node = static_cast<uint32_t>(std::atoi(argv[1]));
  omx::relay::RunAs as{static_cast<uid_t>(std::atoi(argv[2])), static_cast<gid_t>(std::atoi(argv[3]))};
  std::vector<std::string> cmd(argv + 5, argv + argc);
  auto r = omx::relay::run_on(node, as, cmd, std::chrono::seconds(20));
  if (!r.ok()) {
    std::fprintf(stderr, "error: %d %s\n", static_cast<int>(r.error().code), r.error().message().c_str());
    return 99;
  }
  std::fwrite(r->out.data(), 1, r->out.size(), stdout);
  std::fwrite(r->err.data(), 1, r->err.size(), stderr);
  return r->exit_code >= 0 ? r->exit_code : 128 - r->exit_code;
}
