#include "membership/announce.h"

#include <fmt/format.h>

#include "wire/codec.h"

namespace omx::membership {

std::vector<uint8_t> encode_announce(const Announce& a) {
  wire::Writer w(15);
  w.u32(a.addr.value);
  w.u16(a.port);
  w.u8(a.flags);
  w.u64(a.incarnation);
  return std::move(w).take();
}

Result<Announce> decode_announce(std::span<const uint8_t> payload) {
  wire::Reader r(payload, "discovery announce");
  Announce a;
  OMX_ASSIGN(a.addr.value, r.u32("address"));
  OMX_ASSIGN(a.port, r.u16("port"));
  OMX_ASSIGN(a.flags, r.u8("flags"));
  OMX_ASSIGN(a.incarnation, r.u64("incarnation"));
  OMX_TRY(r.expect_end());
  if (a.flags & ~kAnnounceLeaving)
    return make_error(ErrorCode::kProtocol, fmt::format("discovery announce: unknown flags 0x{:x}", a.flags));
  if (a.port == 0) return make_error(ErrorCode::kProtocol, "discovery announce: port 0");
  return a;
}

cluster::NodeId node_id_from_address(cluster::Ipv4 addr) { return addr.value & 0xffff; }

}  // namespace omx::membership
