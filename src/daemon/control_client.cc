#include "daemon/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/scoped_fd.h"
#include "daemon/control_protocol.h"

namespace omx::daemon {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until fd is ready for `events` or the deadline passes.
Status wait_for(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return make_error(ErrorCode::kTimeout, what);
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return ok_status();
    if (n < 0 && errno != EINTR) return sys_error(what);
  }
}

Status send_all(int fd, const std::string& data, Clock::time_point deadline,
                const std::string& address) {
  size_t off = 0;
  while (off < data.size()) {
    OMX_TRY(wait_for(fd, POLLOUT, deadline, fmt::format("send to control socket {}", address)));
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EINTR && errno != EAGAIN)
      return sys_error(fmt::format("send to control socket {}", address));
    if (n > 0) off += static_cast<size_t>(n);
  }
  return ok_status();
}

Result<std::string> read_line(int fd, Clock::time_point deadline, const std::string& address) {
  std::string line;
  char buf[4096];
  while (line.size() <= kMaxRequestBytes * 16) {
    OMX_TRY(wait_for(fd, POLLIN, deadline, fmt::format("reply from control socket {}", address)));
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return sys_error(fmt::format("read from control socket {}", address));
    if (n == 0)
      return make_error(ErrorCode::kProtocol,
                        fmt::format("control socket {} closed without a reply", address));
    line.append(buf, static_cast<size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      return line;
    }
  }
  return make_error(ErrorCode::kProtocol,
                    fmt::format("reply from control socket {} is too long", address));
}

}  // namespace

Result<nlohmann::json> control_request(const nlohmann::json& request, std::string address,
                                       std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  OMX_ASSIGN(UnixAddress addr, make_unix_address(address));
  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return sys_error("socket(AF_UNIX)");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) != 0) {
    Error e = sys_error(fmt::format("connect to omxd control socket {}", address));
    if (errno == ECONNREFUSED || errno == ENOENT) e.what += " (is omxd running on this node?)";
    return e;
  }
  std::string text = serialize_message(request);
  OMX_TRY(send_all(fd.get(), text + "\n", deadline, address));
  OMX_ASSIGN(std::string line, read_line(fd.get(), deadline, address));
  auto reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object())
    return make_error(ErrorCode::kProtocol,
                      fmt::format("control socket {} sent a reply that is not a JSON object",
                                  address));
  return reply;
}

Status control_notify(const nlohmann::json& request, std::string address) {
  OMX_ASSIGN(UnixAddress addr, make_unix_address(address));
  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return sys_error("socket(AF_UNIX)");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr.sun), addr.len) != 0)
    return sys_error(fmt::format("connect to control socket {}", address));
  std::string text = serialize_message(request) + "\n";
  ssize_t n = ::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n != static_cast<ssize_t>(text.size()))
    return n < 0 ? sys_error(fmt::format("send to control socket {}", address))
                 : make_error(ErrorCode::kSys, fmt::format("short send to control socket {}", address));
  return ok_status();
}

}  // namespace omx::daemon
