// `omx keygen [FILE]`: writes a new cluster key (32 random bytes as 64 hex digits, mode 0600) to
// FILE, default /etc/omx/cluster.key (its directory is created, mode 0755). Copy the same file
// to every node (scp, config management); omxd --key FILE reads it. An existing key is never
// overwritten: remove it first if you mean to change the cluster's key. Exit: 0, 1 failed,
// 2 usage.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "wire/key.h"

namespace omx::cli {

inline constexpr const char* kDefaultKeyFile = "/etc/omx/cluster.key";

int cmd_keygen(const Args& args) {
  CLI::App app("write a new cluster key (mode 0600); never overwrites one", args[0]);
  std::string path = kDefaultKeyFile;
  app.add_option("file", path, "key file")->capture_default_str();
  if (int rc = parse(app, args); rc >= 0) return rc;
  if (path == kDefaultKeyFile && ::mkdir("/etc/omx", 0755) != 0 && errno != EEXIST) {
    print_error(app.get_name(), std::string("cannot create /etc/omx: ") + std::strerror(errno));
    return kExitFailed;
  }
  if (auto st = wire::save_key(wire::generate_key(), path); !st.ok()) {
    std::string why = st.error().message();
    if (st.error().err == EEXIST) why += " (a key is there already; remove it to make a new one)";
    print_error(app.get_name(), why);
    return kExitFailed;
  }
  std::printf("wrote a new cluster key to %s (mode 0600); copy it to every node\n", path.c_str());
  return kExitOk;
}

}  // namespace omx::cli
