// ControlServer: omxd's control socket. A unix stream socket (abstract "@name" or a path)
// speaking JSON lines: each request is one JSON object on one line with a string "op"; each
// reply is one line, {"ok":true,...} or {"ok":false,"error":"one clear line"}. Requests on one
// connection are answered in order. A malformed line, an unknown op or a handler that rejects
// its arguments gets an error reply and the connection stays usable; only a line longer than
// kMaxRequestBytes closes it (there is no way to find the next request boundary reliably).
//
// Ops live in a table: adding one is add_op("name", handler). The caller's pid/uid/gid come
// from SO_PEERCRED at accept time and are passed to every handler (for authorisation later).
//
// Threading: everything runs on the io_context's thread; handlers must not block.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <asio.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"
#include "daemon/control_protocol.h"

namespace omx::daemon {

inline constexpr size_t kMaxControlConnections = 256;

// Who is on the other end of a control connection (SO_PEERCRED).
struct Caller {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

struct ControlRequest {
  const nlohmann::json& body;  // the whole request object, "op" included
  const Caller& caller;
};

// A handler returns the complete reply object (ok_reply()/error_reply() help). It may throw
// nlohmann::json::exception for ill-typed arguments; that becomes an error reply.
using OpHandler = std::function<nlohmann::json(const ControlRequest&)>;

class ControlServer {
 public:
  explicit ControlServer(asio::io_context& io);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void add_op(const std::string& name, OpHandler handler);

  // Binds and listens on `address`; for a path, a stale socket nobody listens on is replaced.
  Status listen(const std::string& address);
  // Stops accepting, closes every connection and removes a path socket.
  void close();

  // Parses one request line and runs its handler; the reply object (used by connections, and
  // directly by tests).
  nlohmann::json dispatch(const std::string& line, const Caller& caller) const;

  const std::string& address() const { return address_; }

 // The op table and the set of open connections; shared with the connections so that they
  // may outlive the server object during shutdown.
  struct Core;

 private:
  void accept_next();

  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<Core> core_;
  std::string address_;
  std::string path_to_unlink_;
};

}  // namespace omx::daemon
