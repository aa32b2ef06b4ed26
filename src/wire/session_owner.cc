#include "wire/session_owner.h"

#include <grp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "wire/codec.h"

namespace omx::wire {

std::string SessionOwner::to_string() const {
  return fmt::format("uid {} gid {} groups {}", uid, gid,
                     groups.empty() ? std::string("-") : fmt::format("{}", fmt::join(groups, ",")));
}

std::vector<uint8_t> encode_owner(const SessionOwner& o) {
  Writer w(12 + 4 * o.groups.size());
  w.u32(o.uid);
  w.u32(o.gid);
  w.u32(static_cast<uint32_t>(o.groups.size()));
  for (uint32_t g : o.groups) w.u32(g);
  return std::move(w).take();
}

Result<SessionOwner> decode_owner(std::span<const uint8_t> payload) {
  Reader r(payload, "session owner");
  SessionOwner o;
  OMX_ASSIGN(o.uid, r.u32("uid"));
  OMX_ASSIGN(o.gid, r.u32("gid"));
  OMX_ASSIGN(uint32_t n, r.u32("group count"));
  if (n > kMaxGroups || n > r.remaining() / 4)
    return make_error(ErrorCode::kProtocol, fmt::format("session owner: {} groups", n));
  o.groups.resize(n);
  for (uint32_t& g : o.groups) {
    OMX_ASSIGN(g, r.u32("group"));
  }
  OMX_TRY(r.expect_end());
  return o;
}

Result<SessionOwner> self_owner() {
  SessionOwner o{static_cast<uint32_t>(::geteuid()), static_cast<uint32_t>(::getegid()), {}};
  int n = ::getgroups(0, nullptr);
  if (n < 0) return sys_error("getgroups");
  std::vector<gid_t> g(static_cast<size_t>(n));
  n = ::getgroups(n, g.data());
  if (n < 0) return sys_error("getgroups");
  o.groups.assign(g.begin(), g.begin() + n);
  return o;
}

Result<SessionOwner> peer_owner(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return sys_error("SO_PEERCRED");
  SessionOwner o{cred.uid, cred.gid, {}};
  std::vector<gid_t> g(64);
  len = static_cast<socklen_t>(g.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g.data(), &len) != 0) {
    if (errno != ERANGE) return sys_error("SO_PEERGROUPS");
    g.resize(len / sizeof(gid_t));  // the kernel said how much room it needs
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g.data(), &len) != 0)
      return sys_error("SO_PEERGROUPS");
  }
  o.groups.assign(g.begin(), g.begin() + len / sizeof(gid_t));
  return o;
}

}  // namespace omx::wire
