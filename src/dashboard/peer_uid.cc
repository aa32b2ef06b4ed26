#include "dashboard/peer_uid.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "base/scoped_fd.h"

namespace omx::dashboard {
namespace {

struct Parsed {
  int family = 0;
  uint32_t words[4] = {};  // network byte order, as inet_diag_sockid wants
};

bool parse_addr(const std::string& text, Parsed& out) {
  in_addr a4;
  in6_addr a6;
  if (::inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    out.family = AF_INET;
    std::memcpy(out.words, &a4, 4);
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    out.family = AF_INET6;
    std::memcpy(out.words, &a6, 16);
    return true;
  }
  return false;
}

bool v4_mapped(const Parsed& p) {
  return p.family == AF_INET6 && p.words[0] == 0 && p.words[1] == 0 && p.words[2] == htonl(0xffff);
}

Parsed unmap(const Parsed& p) {
  Parsed v4;
  v4.family = AF_INET;
  v4.words[0] = p.words[3];
  return v4;
}

// One exact-match request; kVanished when the kernel has no such socket (ENOENT).
Result<uid_t> query(const Parsed& client, uint16_t cport, const Parsed& server, uint16_t sport) {
  ScopedFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd.valid()) return sys_error("socket(NETLINK_SOCK_DIAG)");
  struct {
    nlmsghdr nh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nh.nlmsg_len = sizeof msg;
  msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nh.nlmsg_flags = NLM_F_REQUEST;
  msg.nh.nlmsg_seq = 1;
  msg.req.sdiag_family = static_cast<uint8_t>(client.family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;
  msg.req.id.idiag_sport = htons(cport);
  msg.req.id.idiag_dport = htons(sport);
  std::memcpy(msg.req.id.idiag_src, client.words, sizeof client.words);
  std::memcpy(msg.req.id.idiag_dst, server.words, sizeof server.words);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return sys_error("sendto(NETLINK_SOCK_DIAG)");
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return sys_error("recv(NETLINK_SOCK_DIAG)");
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<size_t>(n));
       h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      if (e->error == -ENOENT) return make_error(ErrorCode::kVanished, "sock_diag: no such connection");
      return sys_error("sock_diag", 0, -e->error);
    }
    if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      auto* d = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
      return static_cast<uid_t>(d->idiag_uid);
    }
  }
  return make_error(ErrorCode::kProtocol, "sock_diag: no answer");
}

}  // namespace

bool is_loopback_address(const std::string& addr) {
  Parsed p;
  if (!parse_addr(addr, p)) return false;
  if (v4_mapped(p)) p = unmap(p);
  if (p.family == AF_INET) return (ntohl(p.words[0]) >> 24) == 127;
  return p.words[0] == 0 && p.words[1] == 0 && p.words[2] == 0 && p.words[3] == htonl(1);
}

Result<uid_t> loopback_peer_uid(const std::string& client_addr, uint16_t client_port,
                                const std::string& server_addr, uint16_t server_port) {
  Parsed c, s;
  if (!parse_addr(client_addr, c) || !parse_addr(server_addr, s) || c.family != s.family)
    return make_error(ErrorCode::kInvalid,
                      fmt::format("sock_diag: bad address pair {} {}", client_addr, server_addr));
  auto r = query(c, client_port, s, server_port);
  // A dual-stack listener reports an IPv4 client as ::ffff:a.b.c.d; its socket is AF_INET.
  if (!r.ok() && r.error().code == ErrorCode::kVanished && v4_mapped(c) && v4_mapped(s))
    return query(unmap(c), client_port, unmap(s), server_port);
  return r;
}

}  // namespace omx::dashboard
