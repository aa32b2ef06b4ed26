// SessionOwner: whom a session acts for. The initiator's first sealed frame (kSessionOwner) names
// the uid, gid and supplementary groups on whose behalf everything that follows is done; the
// responder runs what the session asks for (a migrated body, later file access through /mfs)
// with exactly these credentials.
//
// Who may state it: only holders of the cluster key can open a session, and the key is root's.
// For an ordinary user omxd opens the session (migrate/channel_broker.h) and states the owner
// from the kernel's SO_PEERCRED/SO_PEERGROUPS of the user's socket, before the user's process
// gets the channel, so a user cannot claim to be anyone else. A root process holding the key
// states its own identity (self_owner()).
//
// Payload (little-endian): uid u32 | gid u32 | group count u32 (<= kMaxGroups) | groups u32...
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace omx::wire {

inline constexpr uint32_t kMaxGroups = 65536;  // NGROUPS_MAX on Linux

struct SessionOwner {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  bool operator==(const SessionOwner&) const = default;
  std::string to_string() const;  // "uid 1000 gid 1000 groups 24,27"
};

std::vector<uint8_t> encode_owner(const SessionOwner& o);
Result<SessionOwner> decode_owner(std::span<const uint8_t> payload);

// The calling process's effective uid/gid and supplementary groups.
Result<SessionOwner> self_owner();
// The credentials of the process at the other end of a connected unix socket (SO_PEERCRED for
// uid/gid, SO_PEERGROUPS for the groups).
Result<SessionOwner> peer_owner(int unix_fd);

}  // namespace omx::wire
