// Announce: the discovery message (kDiscoverAnnounce, sent as an authenticated datagram to the
// discovery multicast group; wire/datagram.h seals it and names the sender's node id).
//
// Payload (little-endian): address u32 (IPv4, host order) | wire port u16 | flags u8 |
// incarnation u64 (the sender's start time in ms: a restarted node is a new incarnation).
// Flags: kLeaving (the node stops: mark it down now, not after the timeout).
//
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "cluster/node_map.h"

namespace omx::membership {

inline constexpr uint8_t kAnnounceLeaving = 1;

struct Announce {
  cluster::Ipv4 addr;
  uint16_t port = 0;
  uint8_t flags = 0;
  uint64_t incarnation = 0;
  bool leaving() const { return flags & kAnnounceLeaving; }
};

std::vector<uint8_t> encode_announce(const Announce& a);
Result<Announce> decode_announce(std::span<const uint8_t> payload);

// The openMosix omdiscd node id of an address: third octet * 256 + fourth (192.168.10.220 ->
// 2780). 0 (invalid) for x.y.0.0.
cluster::NodeId node_id_from_address(cluster::Ipv4 addr);

}  // namespace omx::membership
