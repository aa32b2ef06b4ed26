#include "cluster/netlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

#include <fmt/format.h>

#include "cluster/netns.h"

namespace omx::cluster {
namespace {

constexpr size_t kAlign = 4;  // NLMSG_ALIGNTO == RTA_ALIGNTO

// Builds one netlink message: nlmsghdr, a family header, then (nested) attributes.
class NlBuilder {
 public:
  NlBuilder(uint16_t type, uint16_t flags) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    append(&h, sizeof h);
  }
  template <typename T>
  void header(const T& h) { append(&h, sizeof h); }
  void attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  size_t begin_nest(uint16_t type) {
    size_t off = buf_.size();
    attr(type, nullptr, 0);
    return off;
  }
  void end_nest(size_t off) {
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + off);
    a->rta_len = static_cast<uint16_t>(buf_.size() - off);
  }
  std::vector<char> take() { return std::move(buf_); }

 private:
  void append(const void* p, size_t len) {
    size_t off = buf_.size();
    buf_.resize(off + ((len + kAlign - 1) & ~(kAlign - 1)), 0);
    if (len) std::memcpy(buf_.data() + off, p, len);
  }
  std::vector<char> buf_;
};

// The kernel's extended-ack message, if the error reply carries one.
std::string ext_ack_text(const nlmsghdr* h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return {};
  size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);  // NETLINK_CAP_ACK: request not echoed
  while (off + sizeof(rtattr) <= h->nlmsg_len) {
    auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(h) + off);
    if (a->rta_len < sizeof(rtattr) || off + a->rta_len > h->nlmsg_len) break;
    if (a->rta_type == NLMSGERR_ATTR_MSG)
      return std::string(static_cast<const char*>(RTA_DATA(a)), strnlen(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a)));
    off += RTA_ALIGN(a->rta_len);
  }
  return {};
}

}  // namespace

Result<Netlink> Netlink::open() {
  ScopedFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return sys_error("socket(NETLINK_ROUTE)");
  int one = 1;
  // Best effort: older kernels lack these; errors then carry only errno.
  ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
    return sys_error("bind(NETLINK_ROUTE)");
  timeval tv{5, 0};  // a kernel that never answers must not hang `omx cluster`
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return Netlink(std::move(fd));
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  OMX_ASSIGN(NetnsGuard guard, NetnsGuard::enter(netns_fd));
  return open();
}

Result<std::vector<char>> Netlink::transact(std::vector<char> msg, const std::string& what) {
  auto* h = reinterpret_cast<nlmsghdr*>(msg.data());
  h->nlmsg_len = static_cast<uint32_t>(msg.size());
  h->nlmsg_seq = ++seq_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0)
    return sys_error(fmt::format("netlink {}", what));
  std::vector<char> buf(32768);
  for (int reads = 0; reads < 64; ++reads) {  // bounded: stray replies are skipped
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(fmt::format("netlink {} (waiting for the reply)", what));
    }
    size_t len = static_cast<size_t>(n);
    for (auto* r = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(r, len);
         r = NLMSG_NEXT(r, len)) {
      if (r->nlmsg_seq != seq_) continue;
      if (r->nlmsg_type != NLMSG_ERROR)
        return std::vector<char>(reinterpret_cast<char*>(r), reinterpret_cast<char*>(r) + r->nlmsg_len);
      auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(r));
      if (e->error == 0) return std::vector<char>();
      Error err = sys_error(fmt::format("netlink {}", what), 0, -e->error);
      if (auto text = ext_ack_text(r); !text.empty()) err.what += " (" + text + ")";
      return err;
    }
  }
  return make_error(ErrorCode::kProtocol, fmt::format("netlink {}: no reply", what));
}

Status Netlink::create_bridge(const std::string& name) {
  NlBuilder b(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  b.header(ifinfomsg{});
  b.attr_str(IFLA_IFNAME, name);
  size_t info = b.begin_nest(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, "bridge");
  b.end_nest(info);
  OMX_TRY(transact(b.take(), fmt::format("create bridge {}", name)));
  return ok_status();
}

Status Netlink::create_veth(const std::string& name, const std::string& peer_name,
                            int peer_netns_fd) {
  NlBuilder b(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  b.header(ifinfomsg{});
  b.attr_str(IFLA_IFNAME, name);
  size_t info = b.begin_nest(IFLA_LINKINFO);
  b.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = b.begin_nest(IFLA_INFO_DATA);
  size_t peer = b.begin_nest(VETH_INFO_PEER);
  b.header(ifinfomsg{});  // the peer's own link header, then its attributes
  b.attr_str(IFLA_IFNAME, peer_name);
  b.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  b.end_nest(peer);
  b.end_nest(data);
  b.end_nest(info);
  OMX_TRY(transact(b.take(), fmt::format("create veth {} (peer {})", name, peer_name)));
  return ok_status();
}

Result<int> Netlink::link_index(const std::string& name) {
  NlBuilder b(RTM_GETLINK, 0);
  b.header(ifinfomsg{});
  b.attr_str(IFLA_IFNAME, name);
  OMX_ASSIGN(std::vector<char> reply, transact(b.take(), fmt::format("find link {}", name)));
  if (reply.size() < NLMSG_LENGTH(sizeof(ifinfomsg)))
    return make_error(ErrorCode::kProtocol, fmt::format("netlink find link {}", name));
  auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(reinterpret_cast<nlmsghdr*>(reply.data())));
  return ifi->ifi_index;
}

Status Netlink::set_up(int ifindex) {
  NlBuilder b(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  b.header(ifi);
  OMX_TRY(transact(b.take(), fmt::format("set link {} up", ifindex)));
  return ok_status();
}

Status Netlink::set_master(int ifindex, int master_ifindex) {
  NlBuilder b(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  b.header(ifi);
  b.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master_ifindex));
  OMX_TRY(transact(b.take(), fmt::format("attach link {} to {}", ifindex, master_ifindex)));
  return ok_status();
}

Status Netlink::add_ipv4(int ifindex, Ipv4 addr, int prefix_len) {
  NlBuilder b(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix_len);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(ifindex);
  b.header(ifa);
  uint32_t be = htonl(addr.value);
  b.attr(IFA_LOCAL, &be, sizeof be);
  b.attr(IFA_ADDRESS, &be, sizeof be);
  uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
  uint32_t brd = htonl(addr.value | ~mask);
  b.attr(IFA_BROADCAST, &brd, sizeof brd);
  OMX_TRY(transact(b.take(), fmt::format("add address {}/{}", addr.to_string(), prefix_len)));
  return ok_status();
}

}  // namespace omx::cluster
