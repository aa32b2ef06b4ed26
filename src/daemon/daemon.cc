#include "daemon/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_address.h"

namespace omx::daemon {
namespace {

std::shared_ptr<spdlog::logger> logger() { return log::get("omxd"); }

Result<ScopedFd> open_state_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return sys_error(fmt::format("create state directory {}", path));
  ScopedFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open state directory {}", path));
  return fd;
}

Result<ScopedFd> adopt_ready_fd(int fd) {
  if (fd < 0) return ScopedFd();
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return sys_error(fmt::format("--ready-fd {}", fd));
  if ((flags & O_ACCMODE) == O_RDONLY)
    return make_error(ErrorCode::kInvalid, fmt::format("--ready-fd {} is not open for writing", fd));
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // children of omxd must not hold it open
  return ScopedFd(fd);
}

}  // namespace

Result<std::string> read_cluster_key(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return sys_error(fmt::format("open key file {}", path));
  char buf[130];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0) return sys_error(fmt::format("read key file {}", path));
  std::string key(buf, static_cast<size_t>(n));
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  bool hex = key.size() == 64;
  for (char c : key) hex = hex && std::isxdigit(static_cast<unsigned char>(c));
  if (!hex)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("key file {}: expected 64 hex digits (32 bytes)", path));
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && (st.st_mode & 077))
    logger()->warn("key file {} is readable by group or others (chmod 600 it)", path);
  return key;
}

Result<std::unique_ptr<Daemon>> Daemon::create(const DaemonOptions& options,
                                               std::unique_ptr<ConnectionHandler> handler) {
  DaemonOptions opts = options;
  std::optional<cluster::NodeMap> self_only;
  if (opts.map_self_only) {
    auto addr = cluster::Ipv4::parse(opts.listen);
    if (!addr) return make_error(ErrorCode::kInvalid, "a map of this node alone needs its address");
    OMX_ASSIGN(self_only, cluster::parse_node_map(fmt::format("{} {} 1\n", opts.node_id, opts.listen),
                                                  "(this node only)", cluster::resolve_host_ipv4));
    opts.map_path = "(this node only: discovery finds the others)";
  } else if (opts.map_path.empty()) {
    auto found = cluster::find_map_file();
    if (!found.ok())
      return make_error(ErrorCode::kInvalid, found.error().message() + " (give one with --map)");
    opts.map_path = std::move(*found);
  }
  cluster::NodeMap map;
  if (self_only) {
    map = std::move(*self_only);
  } else {
    OMX_ASSIGN(map, cluster::load_node_map(opts.map_path));
  }
  if (!map.find(opts.node_id))
    return make_error(ErrorCode::kInvalid,
                      fmt::format("node {} is not in the map {}", opts.node_id, opts.map_path));
  if (!opts.key_file.empty()) OMX_TRY(read_cluster_key(opts.key_file));
  if (!handler) handler = std::make_unique<LoggingConnectionHandler>();
  std::unique_ptr<Daemon> d(new Daemon(std::move(opts), std::move(map), std::move(handler)));
  if (!d->options_.state_dir.empty()) {
    OMX_ASSIGN(d->state_dir_, open_state_dir(d->options_.state_dir));
  }
  OMX_TRY(d->settings_.load(d->state_dir_.valid() ? d->state_dir_.get() : -1));
  OMX_ASSIGN(d->ready_fd_, adopt_ready_fd(d->options_.ready_fd));
  return d;
}

Daemon::Daemon(DaemonOptions options, cluster::NodeMap map,
               std::unique_ptr<ConnectionHandler> handler)
    : options_(std::move(options)),
      map_(std::move(map), options_.node_id),
      handler_(std::move(handler)),
      gate_(map_, *handler_),
      signals_(io_),
      control_(io_),
      listener_(io_, gate_) {
  node_.self = options_.node_id;
  node_.map = &map_.map();  // the same object for the LiveMap's lifetime
  map_.on_map_changed([this](const cluster::MapChange& c) {
    if (c.new_self != 0) node_.self = c.new_self;
  });
  node_.key_file = options_.key_file;
  control_address_ = options_.control.empty() ? default_control_address() : options_.control;
  listen_ip_ =
      options_.listen.empty() ? map_.map().find(node_.self)->addr.to_string() : options_.listen;
}

Daemon::~Daemon() = default;

Status Daemon::start() {
  OMX_TRY(control_.listen(control_address_));
  OMX_TRY(listener_.listen(listen_ip_, options_.port));
  node_.port = listener_.port();
  add_node_ops(control_, node_);
  settings_.add_ops(control_);
  map_service_ = std::make_unique<MapService>(map_, listen_ip_);
  map_service_->add_ops(control_);
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  arm_signals();
  logger()->info("node {} of {} (map {}): wire port {}:{}, control socket {}", node_.self,
                 map_.map().size(), options_.map_path, listen_ip_, node_.port, control_address_);
  write_ready();
  return ok_status();
}

Status Daemon::listen_local(const std::string& address, LocalListener::OnAccept on_accept) {
  auto l = std::make_unique<LocalListener>(io_, std::move(on_accept));
  OMX_TRY(l->listen(address));
  local_services_.push_back(std::move(l));
  return ok_status();
}

void Daemon::write_ready() {
  if (!ready_fd_.valid()) return;
  const char msg[] = "ready\n";
  ssize_t n;
  do {
    n = ::write(ready_fd_.get(), msg, sizeof msg - 1);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof msg - 1))
    logger()->warn("could not write to --ready-fd {}: {}", ready_fd_.get(),
                   n < 0 ? std::strerror(errno) : "short write");
  ready_fd_.reset();
}

void Daemon::run() {
  io_.run();
  shutdown("event loop finished");
}

void Daemon::stop() {
  asio::post(io_, [this] { shutdown("stop requested"); });
}

void Daemon::arm_signals() {
  signals_.async_wait([this](asio::error_code ec, int signo) {
    if (!ec) begin_shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

bool Daemon::request_shutdown(const std::string& why) {
  if (shutting_down()) return false;
  asio::post(io_, [this, why] {
    if (!shutting_down()) begin_shutdown(why);
  });
  return true;
}

void Daemon::begin_shutdown(const std::string& why) {
  if (stopped_) return;
  if (draining_) {  // a second signal: admins expect it to stop now
    logger()->info("{} during the clean shutdown: stopping now", why);
    drain_->cut_short(why);
    shutdown(why);
    return;
  }
  if (!drain_) return shutdown(why);
  draining_ = true;
  logger()->info("{}: clean shutdown: guests leave first (another SIGTERM or SIGINT stops at once)",
                 why);
  arm_signals();
  drain_->start([this, why] { shutdown(why); });
}

void Daemon::shutdown(const std::string& why) {
  if (stopped_) return;
  stopped_ = true;
  logger()->info("{}: shutting down", why);
  for (auto& f : shutdown_hooks_) f();
  asio::error_code ignored;
  signals_.cancel(ignored);
  listener_.close();
  control_.close();
  for (auto& l : local_services_) l->close();
  io_.stop();
}

}  // namespace omx::daemon
