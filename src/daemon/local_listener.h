// LocalListener: a listening unix SOCK_SEQPACKET socket on omxd's event loop for services that
// hand the accepted connection to someone else at once (the channel broker forks a child per
// request). Each accepted socket is passed, blocking and close-on-exec, to the callback.
// The address syntax is the control socket's ("@name" abstract, else a path; control_address.h).
// Anyone on the node may connect; services authorise by the peer's credentials (SO_PEERCRED).
//
// Threading: runs on the io_context's thread; the callback is called there and must not block.
#pragma once

#include <functional>
#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "base/scoped_fd.h"

namespace omx::daemon {

class LocalListener {
 public:
  using OnAccept = std::function<void(ScopedFd)>;
  LocalListener(asio::io_context& io, OnAccept on_accept)
      : descriptor_(io), retry_timer_(io), on_accept_(std::move(on_accept)) {}
  ~LocalListener() { close(); }
  LocalListener(const LocalListener&) = delete;
  LocalListener& operator=(const LocalListener&) = delete;

  Status listen(const std::string& address);
  void close();
  const std::string& address() const { return address_; }

 private:
  void wait_next();
  void accept_ready();

  asio::posix::stream_descriptor descriptor_;
  asio::steady_timer retry_timer_;
  OnAccept on_accept_;
  std::string address_;
  std::string path_to_unlink_;
};

}  // namespace omx::daemon
