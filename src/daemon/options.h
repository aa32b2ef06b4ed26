// omxd's command line (docs/design.md "omxd command line"):
//
//   omxd --foreground --node-id N [--map FILE] [--listen ADDR] [--port 4660]
//        [--control @omx/omxd] [--state-dir DIR] [--ready-fd FD] [--key FILE]
//        [--shutdown-timeout 30] [--nice -5] ...
//
// parse_daemon_options only checks syntax and ranges; Daemon::create checks what the values
// point at (map contents, key, state directory). Errors are one line naming the flag.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace omx::daemon {

inline constexpr uint16_t kDefaultWirePort = 4660;

struct DaemonOptions {
  bool foreground = false;
  uint32_t node_id = 0;
  std::string map_path;  // empty: the first of cluster::kDefaultMapFiles that exists
  // With --discovery and no map file anywhere: the map is just this node (set by main.cc).
  bool map_self_only = false;
  std::string listen;    // empty: this node's address in the map
  uint16_t port = kDefaultWirePort;
  std::string control;   // empty: default_control_address()
  std::string state_dir; // empty: none
  int ready_fd = -1;     // -1: none
  std::string key_file;  // empty: none (then no process can migrate to this node)
  bool allow_root_guests = false;  // accept processes owned by uid 0 (test clusters)
  bool mfs_root = false;  // serve root's /mfs requests as root (default: squashed to 65534)
  // Automatic discovery (omdiscd): multicast announcements (membership/discovery.h).
  bool discovery = false;
  std::string discovery_interface;        // -i: empty = the interface holding our address
  std::string discovery_group = "239.255.77.77";
  uint16_t discovery_port = 5429;
  int multicast_ttl = 1;
  uint16_t gossip_port = 5428;  // UDP, load information (membership/gossip_service.h)
  uint32_t speed = 0;           // 0: calibrate at start-up
  bool load_cgroup = false;     // load = runnable tasks of omxd's own CPU cgroup (shared machines)
  // Clean shutdown: how long to wait for the guests to leave before leaving anyway (0: not at all).
  uint32_t shutdown_timeout_s = 30;
  // omxd's own scheduling priority (nice): a node loaded with user processes must still answer
  // its supervisors and balance; guest supervisors and the bodies they host go back to 0.
  int nice = -5;
  // /mfs: mount the cluster file system here (omx mfs serve as a child); empty: not at all.
  std::string mfs_mount;
  // DFSA (docs/mfs-dfsa-design.md §3): directories identical on every node that lists them
  // (an NFS mount at the same path). Default: $OMX_DFSA_DIRS (colon-separated). omxd puts
  // the list in its environment for its guest supervisors and answers op "dfsa" with it.
  std::vector<std::string> dfsa_dirs;
  // The web dashboard: `omx dashboard serve --listen HTTP` as a child (daemon/child_service.h);
  // empty: none. With http_collector it also records the history in that database.
  std::string http;
  std::string http_collector;
  double http_collector_interval_s = 5;
};

struct CommandLine {
  std::optional<DaemonOptions> options;  // empty when only help was asked for
  std::string help;                      // the text to print in that case
};

Result<CommandLine> parse_daemon_options(int argc, const char* const* argv);

}  // namespace omx::daemon
