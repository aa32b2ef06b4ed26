#include "daemon/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "base/scoped_fd.h"
#include "daemon/control_address.h"

namespace omx::daemon {

using nlohmann::json;
using local_socket = asio::local::stream_protocol::socket;

namespace {

std::shared_ptr<spdlog::logger> logger() { return log::get("omxd"); }

Caller peer_caller(int fd) {
  Caller c;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    c.pid = cred.pid;
    c.uid = cred.uid;
    c.gid = cred.gid;
  }
  return c;
}

// A path socket left behind by a dead daemon refuses connections: then it may be replaced.
Status remove_stale_socket(const UnixAddress& addr, const std::string& address) {
  struct stat st;
  if (::lstat(addr.sun.sun_path, &st) != 0) return ok_status();
  if (!S_ISSOCK(st.st_mode))
    return make_error(ErrorCode::kInvalid,
                      fmt::format("control socket path {} exists and is not a socket", address));
  ScopedFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return sys_error("socket(AF_UNIX)");
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) == 0)
    return sys_error(fmt::format("control socket {} (another daemon is listening there)", address),
                     0, EADDRINUSE);
  if (::unlink(addr.sun.sun_path) != 0) return sys_error(fmt::format("unlink {}", address));
  return ok_status();
}

}  // namespace

class ControlConnection;

struct ControlServer::Core {
  std::map<std::string, OpHandler> ops;
  std::set<ControlConnection*> connections;

  json dispatch(const std::string& line, const Caller& caller) const;
};

json ControlServer::Core::dispatch(const std::string& line, const Caller& caller) const {
  json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) return error_reply("malformed JSON request");
  if (!req.is_object()) return error_reply("a request must be a JSON object");
  auto op = req.find("op");
  if (op == req.end() || !op->is_string())
    return error_reply("a request needs an \"op\" string, e.g. {\"op\":\"ping\"}");
  const std::string& name = op->get_ref<const std::string&>();
  auto it = ops.find(name);
  if (it == ops.end()) return error_reply(fmt::format("unknown op '{}'", name));
  try {
    return it->second(ControlRequest{req, caller});
  } catch (const json::exception& e) {
    return error_reply(fmt::format("bad arguments for op '{}': {}", name, e.what()));
  }
}

// One accepted control connection: read a line, dispatch, write the reply, repeat. Kept alive
// by the shared_ptr its pending asio operation holds.
class ControlConnection : public std::enable_shared_from_this<ControlConnection> {
 public:
  ControlConnection(local_socket socket, std::shared_ptr<ControlServer::Core> core)
      : socket_(std::move(socket)), core_(std::move(core)), in_(kMaxRequestBytes) {
    caller_ = peer_caller(socket_.native_handle());
    core_->connections.insert(this);
  }
  ~ControlConnection() { core_->connections.erase(this); }

  void start() {
    logger()->debug("control connection from pid {} uid {} gid {}", caller_.pid, caller_.uid,
                    caller_.gid);
    read_next();
  }
  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void read_next() {
    asio::async_read_until(socket_, in_, '\n',
                           [self = shared_from_this()](asio::error_code ec, size_t n) {
                             self->on_read(ec, n);
                           });
  }

  void on_read(asio::error_code ec, size_t n) {
    if (ec == asio::error::not_found) {  // the buffer filled up without a newline
      write_reply(error_reply(fmt::format("request longer than {} bytes", kMaxRequestBytes)),
                  /*then_close=*/true);
      return;
    }
    if (ec) return;  // EOF, reset or shutdown: the connection just ends
    std::string line(asio::buffers_begin(in_.data()), asio::buffers_begin(in_.data()) + n - 1);
    in_.consume(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return read_next();
    write_reply(core_->dispatch(line, caller_), /*then_close=*/false);
  }

  void write_reply(const json& reply, bool then_close) {
    out_ = serialize_message(reply) + "\n";
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), then_close](asio::error_code ec, size_t) {
                        if (ec || then_close) return self->close();
                        self->read_next();
                      });
  }

  local_socket socket_;
  std::shared_ptr<ControlServer::Core> core_;
  asio::streambuf in_;
  std::string out_;
  Caller caller_;
};

ControlServer::ControlServer(asio::io_context& io)
    : acceptor_(io), retry_timer_(io), core_(std::make_shared<Core>()) {}

ControlServer::~ControlServer() { close(); }

void ControlServer::add_op(const std::string& name, OpHandler handler) {
  core_->ops[name] = std::move(handler);
}

json ControlServer::dispatch(const std::string& line, const Caller& caller) const {
  return core_->dispatch(line, caller);
}

Status ControlServer::listen(const std::string& address) {
  OMX_ASSIGN(UnixAddress addr, make_unix_address(address));
  if (!addr.abstract) OMX_TRY(remove_stale_socket(addr, address));
  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return sys_error("socket(AF_UNIX)");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) != 0) {
    if (errno == EADDRINUSE)
      return sys_error(fmt::format("bind control socket {} (is another omxd running?)", address));
    return sys_error(fmt::format("bind control socket {}", address));
  }
  if (!addr.abstract) {
    path_to_unlink_ = addr.sun.sun_path;
    ::chmod(addr.sun.sun_path, 0666);  // anyone may ask; ops authorise by SO_PEERCRED
  }
  if (::listen(fd.get(), 64) != 0) return sys_error(fmt::format("listen on {}", address));
  asio::error_code ec;
  acceptor_.assign(asio::local::stream_protocol(), fd.release(), ec);
  if (ec) return make_error(ErrorCode::kSys, "asio assign control socket: " + ec.message());
  address_ = address;
  accept_next();
  return ok_status();
}

void ControlServer::accept_next() {
  acceptor_.async_accept([this](asio::error_code ec, local_socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (core_->connections.size() >= kMaxControlConnections) {
        logger()->warn("control: {} connections open, refusing one more", kMaxControlConnections);
      } else {
        std::make_shared<ControlConnection>(std::move(socket), core_)->start();
      }
      accept_next();
      return;
    }
    // EMFILE and friends: retry a little later rather than spin.
    logger()->warn("control: accept failed: {}", ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](asio::error_code tec) {
      if (!tec && acceptor_.is_open()) accept_next();
    });
  });
}

void ControlServer::close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  for (ControlConnection* c : std::set<ControlConnection*>(core_->connections)) c->close();
  if (!path_to_unlink_.empty()) {
    ::unlink(path_to_unlink_.c_str());
    path_to_unlink_.clear();
  }
}

}  // namespace omx::daemon
