#include "daemon/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace omx::daemon {
namespace {

// CLI11 reports some errors as several lines; keep the first one.
std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

void add_flags(CLI::App& app, DaemonOptions& o) {
  app.add_flag("--foreground", o.foreground, "stay in the foreground (required for now)");
  app.add_option("--node-id", o.node_id,
                 "this node's id in the map (1..65535; with --discovery, default: the last two "
                 "octets of its address, as omdiscd)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--map", o.map_path,
                 "cluster map file (openMosix grammar; default: the first of "
                 "/etc/omx/openmosix.map, /etc/openmosix.map, /etc/mosix.map, /etc/hpc.map)");
  app.add_option("--listen", o.listen, "IPv4 address for the wire port (default: this node's "
                                       "address in the map)");
  app.add_option("--port", o.port, "TCP port of the wire protocol")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--control", o.control,
                 "control socket: @name (abstract) or a path (default: $OMX_CONTROL or @omx/omxd)");
  app.add_option("--state-dir", o.state_dir, "directory for the daemon's state (created if absent)");
  app.add_option("--ready-fd", o.ready_fd, "write \"ready\\n\" to this fd once listening, then close it")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--key", o.key_file, "cluster key file (64 hex digits)");
  app.add_flag("--allow-root-guests", o.allow_root_guests,
               "accept migrated processes owned by root (off: root's processes stay home)");
  app.add_flag("--mfs-root", o.mfs_root,
               "serve other nodes' /mfs requests made by root as root (off: as nobody, 65534)");
  app.add_flag("--discovery", o.discovery,
               "find other nodes by authenticated multicast announcements (omdiscd; needs --key)");
  app.add_option("-i,--interface", o.discovery_interface,
                 "interface for discovery (default: the one holding this node's address)");
  app.add_option("--discovery-group", o.discovery_group, "multicast group for discovery")
      ->capture_default_str();
  app.add_option("--discovery-port", o.discovery_port, "UDP port for discovery")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--gossip-port", o.gossip_port, "UDP port for load information")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--speed", o.speed, "this node's speed (10000 = standard; default: measured at start)")
      ->check(CLI::Range(1, 1000000000));
  app.add_flag("--load-cgroup", o.load_cgroup,
               "count the load of omxd's own CPU cgroup, not the machine's (several nodes on one "
               "machine, each in a cgroup: omx cluster up --cpu)");
  app.add_option("--shutdown-timeout", o.shutdown_timeout_s,
                 "seconds a clean shutdown (SIGTERM, SIGINT, mosctl shutdown) waits for the guests "
                 "it sends home before stopping anyway (a second signal stops at once)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_option("--nice", o.nice,
                 "omxd's scheduling priority, so a node loaded with user processes still answers "
                 "and balances (guests run at 0; raising priority needs root: otherwise a warning)")
      ->check(CLI::Range(-20, 19))
      ->capture_default_str();
  app.add_option("--dfsa-dir", o.dfsa_dirs,
                 "DFSA: an absolute directory identical on every node that lists it (e.g. an NFS "
                 "mount at the same path); a migrated process's I/O on files there runs where it "
                 "is (repeatable; default: $OMX_DFSA_DIRS, colon-separated)");
  app.add_option("-m,--multicast-ttl", o.multicast_ttl, "multicast TTL (1: this link only)")
      ->check(CLI::Range(1, 255))
      ->capture_default_str();
  app.add_option("--mfs-mount", o.mfs_mount,
                 "mount the /mfs cluster file system at this absolute path (runs omx mfs serve; "
                 "default: off)");
  app.add_option("--http", o.http,
                 "serve the web dashboard on ADDR:PORT (runs omx dashboard serve; e.g. "
                 "127.0.0.1:8750; default: off)");
  app.add_option("--http-collector", o.http_collector,
                 "with --http: record load and processes in this database (the dashboard's history)");
  app.add_option("--http-collector-interval", o.http_collector_interval_s,
                 "with --http-collector: seconds between samples")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
}

}  // namespace

Result<CommandLine> parse_daemon_options(int argc, const char* const* argv) {
  CommandLine cl;
  DaemonOptions o;
  CLI::App app("omxd: the omx node daemon", "omxd");
  add_flags(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    cl.help = app.help();
    return cl;
  } catch (const CLI::ParseError& e) {
    return make_error(ErrorCode::kInvalid, first_line(e.what()) + " (omxd --help for usage)");
  }
  if (o.node_id == 0 && !o.discovery)
    return make_error(ErrorCode::kInvalid, "--node-id is required unless --discovery is given (omxd --help for usage)");
  if (!o.foreground)
    return make_error(ErrorCode::kInvalid,
                      "only --foreground is supported: run omxd under a supervisor (systemd, "
                      "omx cluster up) that keeps it in the background");
  for (const std::string& d : o.dfsa_dirs)
    if (d.empty() || d[0] != '/' || d.find("/..") != std::string::npos)
      return make_error(ErrorCode::kInvalid,
                        fmt::format("--dfsa-dir {}: not an absolute path without '..'", d));
  if (!o.http_collector.empty() && o.http.empty())
    return make_error(ErrorCode::kInvalid, "--http-collector needs --http ADDR:PORT (omxd --help for usage)");
  cl.options = std::move(o);
  return cl;
}

}  // namespace omx::daemon
