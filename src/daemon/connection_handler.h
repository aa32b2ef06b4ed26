// ConnectionHandler: what omxd does with each TCP connection its listener accepts on the wire
// port. The listener hands over the accepted socket as a ScopedFd (blocking mode, close-on-exec
// set) plus the peer's address; from then on the handler owns it. The migration engine plugs in
// here (it will fork/exec a guest supervisor that inherits the fd); until then
// LoggingConnectionHandler logs the peer and closes the socket.
//
// Threading: on_connection runs on omxd's event loop thread and must not block.
#pragma once

#include <cstdint>
#include <string>

#include "base/scoped_fd.h"

namespace omx::daemon {

struct PeerAddress {
  std::string ip;   // dotted quad (or an IPv6 literal)
  uint16_t port = 0;
  std::string to_string() const { return ip + ":" + std::to_string(port); }
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void on_connection(ScopedFd fd, const PeerAddress& peer) = 0;
};

// Logs "connection from A:P" at info level and closes the socket.
class LoggingConnectionHandler : public ConnectionHandler {
 public:
  void on_connection(ScopedFd fd, const PeerAddress& peer) override;
};

}  // namespace omx::daemon
