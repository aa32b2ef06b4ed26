// Daemon: one omxd. Owns the event loop (one asio io_context, run on the calling thread), the
// node map, the control socket, the wire-port listener and the signal handling.
//
//   create()  checks the options against the world (map file — the one given, else the first
//             of cluster::kDefaultMapFiles —, node id in it, key, state dir, ready fd) without
//             opening any socket;
//   start()   listens on the control socket and the wire port, arms SIGTERM/SIGINT, then
//             writes "ready\n" to the ready fd and closes it;
//   run()     runs the loop until SIGTERM/SIGINT or stop(), then closes everything.
//
// Clean shutdown (SIGTERM, SIGINT, request_shutdown() for mosctl shutdown): with a drain set
// (omxd: its guests leave, daemon/guest_drain.h), the daemon first runs it — still serving
// control requests, gossip and discovery — and only when it reports done runs the shutdown
// hooks (saying "leaving" to the others) and stops. A second SIGTERM/SIGINT meanwhile cuts
// the drain short and stops at once. stop() never drains.
//
// Threading: all work happens on the thread that calls run(); stop() may be called from any
// thread (it posts to the loop).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "base/result.h"
#include "base/scoped_fd.h"
#include "cluster/live_map.h"
#include "cluster/node_map.h"
#include "daemon/connection_handler.h"
#include "daemon/control_ops.h"
#include "daemon/control_server.h"
#include "daemon/local_listener.h"
#include "daemon/map_service.h"
#include "daemon/node_settings.h"
#include "daemon/options.h"
#include "daemon/tcp_listener.h"

namespace omx::daemon {

// Reads a cluster key file: 64 hex digits (32 bytes), optional trailing newline.
Result<std::string> read_cluster_key(const std::string& path);

// Work a clean shutdown waits for before the node leaves (omxd: sending its guests away).
class ShutdownDrain {
 public:
  virtual ~ShutdownDrain() = default;
  // Starts the work on the loop thread; calls `done` there once finished (possibly at once).
  virtual void start(std::function<void()> done) = 0;
  // Stop waiting (a second signal); `done` is not called after this.
  virtual void cut_short(const std::string& why) = 0;
};

class Daemon {
 public:
  // handler: where accepted wire connections go (default: LoggingConnectionHandler).
  static Result<std::unique_ptr<Daemon>> create(const DaemonOptions& options,
                                                std::unique_ptr<ConnectionHandler> handler = {});
  ~Daemon();

  Status start();
  void run();
  void stop();
  // A clean shutdown, as on SIGTERM (mosctl shutdown). Posted: returns at once. False if one
  // is already under way.
  bool request_shutdown(const std::string& why);
  bool shutting_down() const { return draining_ || stopped_; }
  // What a clean shutdown waits for (none: it stops at once).
  void set_drain(std::unique_ptr<ShutdownDrain> drain) { drain_ = std::move(drain); }

  // A local SOCK_SEQPACKET service on the event loop (local_listener.h); closed at shutdown.
  Status listen_local(const std::string& address, LocalListener::OnAccept on_accept);

  // Called first when the daemon shuts down (on the loop thread), e.g. to say goodbye to peers.
  void on_shutdown(std::function<void()> f) { shutdown_hooks_.push_back(std::move(f)); }

  asio::io_context& io() { return io_; }
  const cluster::NodeMap& map() const { return map_.map(); }  // the current table
  // This node's address: --listen, else its address in the map.
  const std::string& listen_ip() const { return listen_ip_; }

  ControlServer& control() { return control_; }
  SettingsStore& settings() { return settings_; }
  uint16_t wire_port() const { return listener_.port(); }
  const std::string& control_address() const { return control_address_; }
  cluster::NodeId node_id() const { return node_.self; }
  // The node's cluster table; changed at run time by setpe (MapService). Membership code
  // observes it with live_map().on_map_changed(...).
  cluster::LiveMap& live_map() { return map_; }

 private:
  Daemon(DaemonOptions options, cluster::NodeMap map, std::unique_ptr<ConnectionHandler> handler);
  void arm_signals();
  void begin_shutdown(const std::string& why);
  void shutdown(const std::string& why);
  void write_ready();

  DaemonOptions options_;
  cluster::LiveMap map_;
  std::unique_ptr<ConnectionHandler> handler_;
  MapGate gate_;  // handler_ behind it: no wire connections after setpe -off
  asio::io_context io_;
  asio::signal_set signals_;
  ControlServer control_;
  TcpListener listener_;
  std::vector<std::unique_ptr<LocalListener>> local_services_;
  NodeContext node_;  // node_.map points at map_.map(); node_.self follows map changes
  SettingsStore settings_;
  std::unique_ptr<MapService> map_service_;
  std::string control_address_;
  std::string listen_ip_;
  ScopedFd state_dir_;
  ScopedFd ready_fd_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::unique_ptr<ShutdownDrain> drain_;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace omx::daemon
