// omxd: the omx node daemon. Parses the command line, checks it against the world, then runs
// the Daemon's event loop until SIGTERM/SIGINT or mosctl shutdown (a clean shutdown: the
// guests are sent home first, daemon/guest_drain.h; a second signal stops at once). Exit
// status: 0 after an orderly shutdown, 2 for bad arguments or inputs (map, key, node id), 1 when
// the daemon could not start.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "base/log.h"
#include "cluster/node_map.h"
#include "daemon/daemon.h"
#include "daemon/guest_drain.h"
#include "daemon/mfs_child.h"
#include "daemon/mfs_context.h"
#include "daemon/options.h"
#include "daemon/control_address.h"
#include "daemon/control_protocol.h"
#include "daemon/process_registry.h"
#include "dashboard/dashboard_child.h"
#include "migrate/channel_broker.h"
#include "migrate/dfsa_paths.h"
#include "migrate/guest_acceptor.h"
#include "membership/announce.h"
#include "membership/discovery.h"
#include "membership/gossip_service.h"
#include "membership/service.h"
#include "wire/key.h"

namespace {

// omdiscd's rules for a node found by discovery: without --node-id the id is the last two octets
// of its address; the address is --listen, else that of -i's interface, else of the default
// route's; with no map file anywhere the map is this node alone (the others are discovered).
omx::Status discovery_identity(omx::daemon::DaemonOptions& o) {
  using namespace omx;
  bool have_map = !o.map_path.empty() || cluster::find_map_file().ok();
  if (o.node_id != 0 && have_map) return ok_status();
  std::string addr = o.listen;
  if (addr.empty()) {
    std::string iface = o.discovery_interface;
    if (iface.empty()) {
      OMX_ASSIGN(iface, membership::default_route_interface());
    }
    OMX_ASSIGN(cluster::Ipv4 a, membership::interface_address(iface));
    addr = a.to_string();
  }
  auto ip = cluster::Ipv4::parse(addr);
  if (!ip) return make_error(ErrorCode::kInvalid, "--listen must be an IPv4 address");
  if (o.node_id == 0) {
    o.node_id = membership::node_id_from_address(*ip);
    if (o.node_id == 0)
      return make_error(ErrorCode::kInvalid, fmt::format("address {} gives node id 0: give --node-id", addr));
  }
  if (!have_map) {
    o.map_self_only = true;
    o.listen = addr;
  }
  return ok_status();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace omx;
  auto cl = daemon::parse_daemon_options(argc, argv);
  if (!cl.ok()) {
    std::fprintf(stderr, "omxd: %s\n", cl.error().message().c_str());
    return 2;
  }
  if (!cl->options) {
    std::fputs(cl->help.c_str(), stdout);
    return 0;
  }
  daemon::DaemonOptions& opts = *cl->options;
  ::signal(SIGPIPE, SIG_IGN);  // a vanished peer is an EPIPE error, not a death
  // DFSA's shared directories: --dfsa-dir, else $OMX_DFSA_DIRS; the guest supervisors (forked
  // from here) read them from the environment, home supervisors ask op "dfsa".
  if (opts.dfsa_dirs.empty())
    if (const char* env = std::getenv("OMX_DFSA_DIRS")) opts.dfsa_dirs = migrate::split_dir_list(env);
  opts.dfsa_dirs = migrate::clean_dirs(opts.dfsa_dirs);
  if (opts.dfsa_dirs.empty()) {
    ::unsetenv("OMX_DFSA_DIRS");
  } else {
    std::string joined;
    for (const std::string& d : opts.dfsa_dirs) joined += (joined.empty() ? "" : ":") + d;
    ::setenv("OMX_DFSA_DIRS", joined.c_str(), 1);
  }
  log::set_default_level("info");
  if (opts.discovery) {  // omdiscd: the id and address may come from the interface
    if (auto st = discovery_identity(opts); !st.ok()) {
      std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
      return 2;
    }
  }

  log::set_process_tag(fmt::format("node{}", opts.node_id));
  if (::setpriority(PRIO_PROCESS, 0, opts.nice) != 0)
    log::get("omxd")->warn("cannot set nice {}: {} (running at {})", opts.nice, strerror(errno),
                           ::getpriority(PRIO_PROCESS, 0));

  // Incoming wire connections: each gets a forked guest supervisor (migrate/guest_acceptor.h).
  // Children are reaped by the kernel (SIGCHLD ignored); they reset SIGCHLD for themselves.
  std::unique_ptr<daemon::ConnectionHandler> handler;
  std::optional<wire::Key> key;
  migrate::GuestAcceptor* acceptor = nullptr;  // owned by `handler`
  if (!opts.key_file.empty()) {
    auto loaded = wire::load_key(opts.key_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "omxd: %s\n", loaded.error().message().c_str());
      return 2;
    }
    key = *loaded;
    acceptor = new migrate::GuestAcceptor(opts.node_id, *key, opts.allow_root_guests);
    handler.reset(acceptor);
    ::signal(SIGCHLD, SIG_IGN);
  }
  auto d = daemon::Daemon::create(opts, std::move(handler));
  if (!d.ok()) {
    std::fprintf(stderr, "omxd: %s\n", d.error().message().c_str());
    return 2;
  }
  // What the supervisors tell about their processes: ops home_procs, migrated, migrations,
  // guest_started, procs (daemon/process_registry.h).
  daemon::ProcessRegistry registry(opts.node_id);
  if (acceptor) registry.set_guest_check([acceptor](pid_t p) { return acceptor->is_guest(p); });
  registry.add_ops((*d)->control());
  // /mfs: magic-path answers (mfs_whois, select) and the FUSE client child (op mfs).
  daemon::MfsContext mfs_context(opts.node_id, registry);
  mfs_context.add_ops((*d)->control());
  daemon::MfsChild mfs_child((*d)->io(), daemon::omx_beside_self(), (*d)->control_address(),
                             opts.state_dir.empty() ? "" : opts.state_dir + "/mfs.log");
  mfs_child.add_ops((*d)->control());
  // The web dashboard (omxd --http): omx dashboard serve as a child; ops http, dashboard_token.
  dashboard::DashboardChild dashboard_child(
      (*d)->io(), {daemon::omx_beside_self(), (*d)->control_address(), opts.http, opts.http_collector,
                   opts.http_collector_interval_s, opts.key_file, opts.state_dir});
  dashboard_child.add_ops((*d)->control());
  if (acceptor) {
    daemon::Daemon* dp = d->get();
    acceptor->set_block_check([dp] { return dp->settings().get().block; });
    acceptor->set_control_address(dp->control_address());
    acceptor->set_nomfs_check([dp] { return dp->settings().get().nomfs; });
    acceptor->set_mfs_root(opts.mfs_root);
    // mosctl expel: block, then send every guest home; "guests" counts those still here.
    dp->control().add_op("expel", [dp, acceptor](const daemon::ControlRequest& r) {
      if (r.caller.uid != 0) return daemon::error_reply("only root may expel guests");
      if (auto st = dp->settings().update({{"block", true}}); !st.ok())
        return daemon::error_reply(st.error().message());
      return daemon::ok_reply({{"signalled", acceptor->signal_all(SIGUSR1)}});
    });
    dp->control().add_op("guests", [acceptor](const daemon::ControlRequest&) {
      return daemon::ok_reply({{"guests", acceptor->guests()}});
    });
    // Clean shutdown (SIGTERM, SIGINT, mosctl shutdown): refuse guests, send them home, wait.
    daemon::GuestDrainHooks hooks{[acceptor] { acceptor->close(); },
                                  [acceptor] { return acceptor->signal_all(SIGUSR1); },
                                  [acceptor] { return acceptor->describe_guests(); }};
    dp->set_drain(std::make_unique<daemon::GuestDrain>(
        dp->io(), std::move(hooks), std::chrono::seconds(opts.shutdown_timeout_s)));
  }
  // DFSA: the shared directories of this node (home supervisors put them in their offers).
  (*d)->control().add_op("dfsa", [&opts](const daemon::ControlRequest&) {
    return daemon::ok_reply({{"dirs", opts.dfsa_dirs}});
  });
  // mosctl shutdown: as SIGTERM. The reply goes out before the guests are asked to leave.
  {
    daemon::Daemon* dp = d->get();
    dp->control().add_op("shutdown", [dp, acceptor, &opts](const daemon::ControlRequest& r) {
      if (r.caller.uid != 0) return daemon::error_reply("only root may shut the node down");
      if (!dp->request_shutdown(fmt::format("mosctl shutdown (pid {})", r.caller.pid)))
        return daemon::error_reply("this node is already shutting down");
      return daemon::ok_reply({{"guests", acceptor ? acceptor->guests() : 0},
                               {"timeout_s", opts.shutdown_timeout_s}});
    });
  }
  // Channels for local users' home supervisors (migrate/channel_broker.h): the key stays here.
  std::unique_ptr<migrate::ChannelBroker> broker;
  membership::Service* members_ptr = nullptr;  // set once the node table exists
  if (key) {
    daemon::Daemon* dp = d->get();
    broker = std::make_unique<migrate::ChannelBroker>(
        opts.node_id, *key,
        [&members_ptr](uint32_t node) -> std::optional<migrate::ChannelBroker::Endpoint> {
          auto e = members_ptr ? members_ptr->endpoint(node) : std::nullopt;
          if (!e) return std::nullopt;
          return migrate::ChannelBroker::Endpoint{e->addr, e->port};
        });
    auto st = dp->listen_local(daemon::broker_address(dp->control_address()),
                               [&broker](ScopedFd fd) { broker->on_connection(std::move(fd)); });
    if (!st.ok()) {
      std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
      return 1;
    }
  }
  if (auto st = (*d)->start(); !st.ok()) {
    std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
    return 1;
  }
  // The node table: map, discovery, liveness (membership/service.h). Its "nodes" op replaces
  // the daemon's map-only one; no request is served before run().
  membership::ServiceOptions mopts;
  mopts.discovery = opts.discovery;
  mopts.discovery_options.interface = opts.discovery_interface;
  mopts.discovery_options.port = opts.discovery_port;
  mopts.discovery_options.ttl = opts.multicast_ttl;
  auto group = cluster::Ipv4::parse(opts.discovery_group);
  auto self_addr = cluster::Ipv4::parse((*d)->listen_ip());
  if (!group || !self_addr) {
    std::fprintf(stderr, "omxd: --discovery-group and the node address must be IPv4 addresses\n");
    return 2;
  }
  mopts.discovery_options.group = *group;
  membership::Service members((*d)->io(), opts.node_id, *self_addr, (*d)->wire_port(), key, mopts);
  if (auto st = members.start((*d)->map()); !st.ok()) {
    std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
    return 1;
  }
  members.add_ops((*d)->control());
  // Load information (membership/gossip_service.h): needs the key, as every datagram is sealed.
  std::unique_ptr<membership::GossipService> gossip;
  if (key) {
    membership::GossipOptions gopts;
    gopts.port = opts.gossip_port;
    if (opts.speed) gopts.speed = opts.speed;
    gopts.load_own_cgroup = opts.load_cgroup;
    gossip = std::make_unique<membership::GossipService>((*d)->io(), *key, members,
                                                         (*d)->settings(), gopts);
    if (auto st = gossip->start(); !st.ok()) {
      std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
      return 1;
    }
    gossip->add_ops((*d)->control());
    if (acceptor) gossip->set_guest_count([acceptor] { return acceptor->guests(); });
    gossip->set_process_counts([&registry] { return registry.local_procs(); },
                               [&registry] { return registry.migrations_1m(); });
  }
  members_ptr = &members;
  // A map loaded by setpe (daemon/map_service.h) replaces the map nodes at once: those missing
  // from it leave, new ones join (down until heard from). After setpe -off only self is left.
  (*d)->live_map().on_map_changed(
      [&members](const cluster::MapChange& c) { members.set_map(c.new_map); });
  if (!opts.mfs_mount.empty() && !key) {
    std::fprintf(stderr, "omxd: --mfs-mount needs --key (the /mfs client opens authenticated sessions)\n");
    return 2;
  }
  if (!opts.mfs_mount.empty()) {
    if (auto st = mfs_child.start(opts.mfs_mount); !st.ok())
      log::get("omxd")->error("/mfs: {}", st.error().message());
  }
  if (auto st = dashboard_child.start(); !st.ok()) {
    std::fprintf(stderr, "omxd: %s\n", st.error().message().c_str());
    return 2;
  }
  (*d)->on_shutdown([&members, &gossip, &mfs_child, &dashboard_child] {
    mfs_child.stop();
    dashboard_child.stop();
    members.stop();
    if (gossip) gossip->stop();
  });
  (*d)->run();
  return 0;
}
