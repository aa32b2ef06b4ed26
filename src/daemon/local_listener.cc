#include "daemon/local_listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "daemon/control_address.h"

namespace omx::daemon {

Status LocalListener::listen(const std::string& address) {
  OMX_ASSIGN(UnixAddress addr, make_unix_address(address));
  ScopedFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return sys_error("socket(AF_UNIX, SOCK_SEQPACKET)");
  if (!addr.abstract) {  // a socket file nobody listens on is stale; a live one is another daemon's
    ScopedFd probe(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (probe.valid() &&
        ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) == 0)
      return sys_error(fmt::format("{} (another daemon is listening there)", address), 0, EADDRINUSE);
    ::unlink(addr.sun.sun_path);
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) != 0)
    return sys_error(fmt::format("bind {}", address));
  if (!addr.abstract) {
    path_to_unlink_ = addr.sun.sun_path;
    ::chmod(addr.sun.sun_path, 0666);
  }
  if (::listen(fd.get(), 64) != 0) return sys_error(fmt::format("listen on {}", address));
  asio::error_code ec;
  descriptor_.assign(fd.release(), ec);
  if (ec) return make_error(ErrorCode::kSys, "asio assign " + address + ": " + ec.message());
  address_ = address;
  wait_next();
  return ok_status();
}

void LocalListener::wait_next() {
  descriptor_.async_wait(asio::posix::stream_descriptor::wait_read, [this](asio::error_code ec) {
    if (ec == asio::error::operation_aborted || !descriptor_.is_open()) return;
    accept_ready();
  });
}

void LocalListener::accept_ready() {
  for (int i = 0; i < 64; ++i) {
    int c = ::accept4(descriptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
      on_accept_(ScopedFd(c));
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) break;
    // EMFILE and friends: retry a little later rather than spin.
    log::get("omxd")->warn("{}: accept failed: {}", address_, std::strerror(errno));
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](asio::error_code tec) {
      if (!tec && descriptor_.is_open()) wait_next();
    });
    return;
  }
  wait_next();
}

void LocalListener::close() {
  asio::error_code ignored;
  descriptor_.close(ignored);
  retry_timer_.cancel();
  if (!path_to_unlink_.empty()) {
    ::unlink(path_to_unlink_.c_str());
    path_to_unlink_.clear();
  }
}

}  // namespace omx::daemon
