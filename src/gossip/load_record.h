// LoadRecord: what one node tells the cluster about itself (openMosix /proc/hpc/nodes/<ID>/*:
// load, speed, CPUs, memory, utilizability, status), and the gossip message that carries a
// sender's own record plus a window of records about other nodes (MOSIX infod).
//
// Which of two records about a node is newer is decided without synchronised clocks: the origin
// stamps each record with (generation, seq). `generation` is fixed for one run of the origin's
// daemon (the caller picks it, normally the wall clock in ms at start, so a restarted daemon's
// records beat its previous run's); `seq` counts the records the origin produced in that run.
// (generation, seq) compares lexicographically. `age_ms` is how old the record is *as known to
// the holder that sends it* (the origin sends 0); receivers turn it into a local time.
//
// Gossip payload (inside a wire datagram of type kGossipLoad; all fields little-endian):
//
//   offset size field
//        0    1 format     kGossipFormat (2; format 1 had 45-byte records without migrations_1m)
//        1    1 flags      kWantReply (bit 0: push-pull, please answer); others reserved
//        2    2 count      number of records, 1..kMaxRecordsPerMessage
//        4  47*count records; records[0] is the sender's own record (its node == datagram sender)
//
//   record (kRecordWireSize = 47 bytes):
//     u32 node  u64 generation  u32 seq  u32 age_ms  u32 load  u32 speed  u16 ncpus  u8 util
//     u16 status  u32 free_mem_mib  u32 total_mem_mib  u16 local_procs  u16 guests
//     u16 migrations_1m
//
// The decoder rejects, with the reason: truncation, trailing bytes, a count that does not match
// the length (so a huge count allocates nothing), unknown format or reserved flags, node ids
// outside 1..65535, a node twice in one message, util > 100, speed or ncpus 0, free > total memory,
// unknown status bits, ages beyond kMaxAgeMs.
//
// Threading: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace omx::gossip {

using NodeId = uint32_t;  // same ids as cluster::NodeId (1..65535)
inline constexpr NodeId kMinNodeId = 1;
inline constexpr NodeId kMaxNodeId = 65535;

// MOSIX_STD_SPEED: a node as fast as the reference machine has speed 10000.
inline constexpr uint32_t kStdSpeed = 10000;

// Status bits, with the values MOSIX tools use (gossimon msx_common.h; reference §2.2). CONF (1)
// and UP (2) are what a holder concludes, never sent; only these four travel.
enum class StatusBit : uint16_t {
  kStay = 4,    // mosctl stay: no automatic migration out of this node
  kLstay = 8,   // mosctl lstay: local processes stay; guests may leave
  kBlock = 16,  // mosctl block: refuse arriving guests
  kQuiet = 32,  // mosctl quiet: this node stops sending its load information
};
inline constexpr uint16_t kKnownStatusMask = 4 | 8 | 16 | 32;
inline constexpr uint16_t bit(StatusBit b) { return static_cast<uint16_t>(b); }

inline constexpr uint8_t kGossipFormat = 2;
inline constexpr uint8_t kWantReply = 0x01;  // header flag: the sender asks for a reply (push-pull)
inline constexpr size_t kGossipHeaderSize = 4;
inline constexpr size_t kRecordWireSize = 47;
inline constexpr size_t kMaxRecordsPerMessage = 255;
inline constexpr uint32_t kMaxAgeMs = 0x7fffffff;  // ~24.8 days; older is nonsense
// Default payload budget: a sealed datagram (kDatagramOverhead = 68 bytes more) stays within
// 1400 bytes, under a 1500-byte MTU with IP/UDP headers and some tunnel slack: no fragments.
inline constexpr size_t kDefaultMaxPayload = 1400 - 68;

struct LoadRecord {         // fields ordered to keep the struct small (48 bytes; held N times)
  uint64_t generation = 0;  // origin's run (see above)
  NodeId node = 0;
  uint32_t seq = 0;     // origin's record counter within the run
  uint32_t age_ms = 0;  // as known to the holder that sent it
  uint32_t load = 0;    // speed-normalised load (LoadMeter; 100 = one process, std CPU)
  uint32_t speed = kStdSpeed;
  uint32_t free_mem_mib = 0;
  uint32_t total_mem_mib = 0;
  uint16_t ncpus = 1;
  uint16_t status = 0;       // StatusBit values or'ed
  uint16_t local_procs = 0;  // migratable processes whose home is this node, running here
  uint16_t guests = 0;       // processes from other nodes running here
  uint16_t migrations_1m = 0;  // moves completed in the last 60 s by processes homed here
  uint8_t util = 100;        // utilizability, percent

  bool has(StatusBit b) const { return (status & bit(b)) != 0; }
  // Strictly newer version (generation, seq); ages are not compared.
  bool newer_than(const LoadRecord& o) const {
    return generation != o.generation ? generation > o.generation : seq > o.seq;
  }
  bool operator==(const LoadRecord&) const = default;
};

// Checks the field constraints listed above; the error names the field.
Status validate_record(const LoadRecord& r);

struct GossipMessage {
  uint8_t flags = 0;
  std::vector<LoadRecord> records;  // records[0] is the sender's own
};

// Encodes records (records[0] = the sender's own). OMX_CHECKs 1 <= size <= kMaxRecordsPerMessage
// and that flags has only known bits.
std::vector<uint8_t> encode_gossip(std::span<const LoadRecord> records, uint8_t flags = 0);

// Decodes and validates a gossip payload; kProtocol with the reason otherwise.
Result<GossipMessage> decode_gossip(std::span<const uint8_t> payload);

// How many records fit in a payload of max_payload bytes.
constexpr size_t records_that_fit(size_t max_payload) {
  if (max_payload < kGossipHeaderSize + kRecordWireSize) return 0;
  size_t n = (max_payload - kGossipHeaderSize) / kRecordWireSize;
  return n < kMaxRecordsPerMessage ? n : kMaxRecordsPerMessage;
}

}  // namespace omx::gossip
