#include "daemon/tcp_listener.h"

#include <fcntl.h>

#include <fmt/format.h>

#include "base/log.h"

namespace omx::daemon {

Status TcpListener::listen(const std::string& ip, uint16_t port) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(ip, ec);
  if (ec) return make_error(ErrorCode::kInvalid, fmt::format("'{}' is not an IP address", ip));
  asio::ip::tcp::endpoint ep(addr, port);
  std::string where = fmt::format("{}:{}", ip, port);
  if (acceptor_.open(ep.protocol(), ec); ec)
    return sys_error(fmt::format("socket for {}", where), 0, ec.value());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
  if (acceptor_.bind(ep, ec); ec) {
    acceptor_.close();
    return sys_error(fmt::format("bind {}", where), 0, ec.value());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec)
    return sys_error(fmt::format("listen on {}", where), 0, ec.value());
  port_ = acceptor_.local_endpoint(ec).port();
  accept_next();
  return ok_status();
}

void TcpListener::accept_next() {
  acceptor_.async_accept([this](asio::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      asio::error_code ignored;
      auto remote = socket.remote_endpoint(ignored);
      PeerAddress peer{remote.address().to_string(), remote.port()};
      int fd = socket.release(ignored);
      if (fd >= 0) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        handler_.on_connection(ScopedFd(fd), peer);
      }
      accept_next();
      return;
    }
    log::get("omxd")->warn("accept on port {} failed: {}", port_, ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](asio::error_code tec) {
      if (!tec && acceptor_.is_open()) accept_next();
    });
  });
}

void TcpListener::close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
}

}  // namespace omx::daemon
