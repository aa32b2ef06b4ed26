// TcpListener: omxd's listening socket for the wire protocol (TCP, default port 4660). Accepts
// connections for ever and hands each accepted socket, as a blocking close-on-exec fd, to a
// ConnectionHandler. Binding errors are reported by listen(); accept errors are logged and
// retried after a short pause (EMFILE must not make the loop spin).
//
// Threading: runs on the io_context's thread; the handler is called there.
#pragma once

#include <cstdint>
#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "daemon/connection_handler.h"

namespace omx::daemon {

class TcpListener {
 public:
  TcpListener(asio::io_context& io, ConnectionHandler& handler)
      : acceptor_(io), retry_timer_(io), handler_(handler) {}
  ~TcpListener() { close(); }
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // ip: a dotted quad ("0.0.0.0" for all addresses); port 0 picks a free port.
  Status listen(const std::string& ip, uint16_t port);
  uint16_t port() const { return port_; }
  void close();

 private:
  void accept_next();

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  ConnectionHandler& handler_;
  uint16_t port_ = 0;
};

}  // namespace omx::daemon
