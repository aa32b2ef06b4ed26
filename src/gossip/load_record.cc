#include "gossip/load_record.h"

#include <fmt/format.h>

#include <algorithm>

#include "wire/codec.h"

namespace omx::gossip {
namespace {

Error bad(std::string detail) {
  return make_error(ErrorCode::kProtocol, "decode gossip: " + detail);
}

void write_record(wire::Writer& w, const LoadRecord& r) {
  w.u32(r.node);
  w.u64(r.generation);
  w.u32(r.seq);
  w.u32(r.age_ms);
  w.u32(r.load);
  w.u32(r.speed);
  w.u16(r.ncpus);
  w.u8(r.util);
  w.u16(r.status);
  w.u32(r.free_mem_mib);
  w.u32(r.total_mem_mib);
  w.u16(r.local_procs);
  w.u16(r.guests);
  w.u16(r.migrations_1m);
}

// Reads one record; the reader's sticky error covers truncation (checked by the caller).
LoadRecord read_record(wire::Reader& r) {
  LoadRecord x;
  auto get = [](auto res, auto& out) {
    if (res.ok()) out = *res;
  };
  get(r.u32("node"), x.node);
  get(r.u64("generation"), x.generation);
  get(r.u32("seq"), x.seq);
  get(r.u32("age_ms"), x.age_ms);
  get(r.u32("load"), x.load);
  get(r.u32("speed"), x.speed);
  get(r.u16("ncpus"), x.ncpus);
  get(r.u8("util"), x.util);
  get(r.u16("status"), x.status);
  get(r.u32("free_mem_mib"), x.free_mem_mib);
  get(r.u32("total_mem_mib"), x.total_mem_mib);
  get(r.u16("local_procs"), x.local_procs);
  get(r.u16("guests"), x.guests);
  get(r.u16("migrations_1m"), x.migrations_1m);
  return x;
}

}  // namespace

Status validate_record(const LoadRecord& r) {
  auto fail = [&](std::string what) {
    return make_error(ErrorCode::kProtocol, fmt::format("record of node {}: {}", r.node, what));
  };
  if (r.node < kMinNodeId || r.node > kMaxNodeId) return fail("node id outside 1..65535");
  if (r.age_ms > kMaxAgeMs) return fail(fmt::format("age {} ms is beyond {}", r.age_ms, kMaxAgeMs));
  if (r.speed == 0) return fail("speed 0");
  if (r.ncpus == 0) return fail("ncpus 0");
  if (r.util > 100) return fail(fmt::format("util {} > 100", r.util));
  if (r.free_mem_mib > r.total_mem_mib) {
    return fail(fmt::format("free memory {} MiB > total {} MiB", r.free_mem_mib, r.total_mem_mib));
  }
  if ((r.status & ~kKnownStatusMask) != 0) {
    return fail(fmt::format("unknown status bits 0x{:x}", r.status & ~kKnownStatusMask));
  }
  return ok_status();
}

std::vector<uint8_t> encode_gossip(std::span<const LoadRecord> records, uint8_t flags) {
  OMX_CHECK(!records.empty() && records.size() <= kMaxRecordsPerMessage,
            "gossip message with %zu records", records.size());
  OMX_CHECK((flags & ~kWantReply) == 0, "gossip flags 0x%x", flags);
  wire::Writer w(kGossipHeaderSize + records.size() * kRecordWireSize);
  w.u8(kGossipFormat);
  w.u8(flags);
  w.u16(static_cast<uint16_t>(records.size()));
  for (const LoadRecord& r : records) write_record(w, r);
  return std::move(w).take();
}

Result<GossipMessage> decode_gossip(std::span<const uint8_t> payload) {
  wire::Reader r(payload, "gossip");
  OMX_ASSIGN(uint8_t format, r.u8("format"));
  OMX_ASSIGN(uint8_t flags, r.u8("flags"));
  OMX_ASSIGN(uint16_t count, r.u16("count"));
  if (format != kGossipFormat) return bad(fmt::format("unknown format {}", format));
  if ((flags & ~kWantReply) != 0) {
    return bad(fmt::format("reserved flags 0x{:x} set", flags & ~kWantReply));
  }
  if (count == 0) return bad("no records (the sender's own record is required)");
  if (count > kMaxRecordsPerMessage) {
    return bad(fmt::format("count {} exceeds {}", count, kMaxRecordsPerMessage));
  }
  // Checked before anything is allocated: a huge count costs nothing.
  if (r.remaining() != size_t{count} * kRecordWireSize) {
    return bad(fmt::format("count {} needs {} bytes of records, {} follow", count,
                           size_t{count} * kRecordWireSize, r.remaining()));
  }
  GossipMessage msg;
  msg.flags = flags;
  std::vector<LoadRecord>& out = msg.records;
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    LoadRecord rec = read_record(r);
    OMX_TRY(r.status());
    if (auto st = validate_record(rec); !st.ok()) {
      return bad(fmt::format("record {}: {}", i, st.error().what));
    }
    out.push_back(rec);
  }
  std::vector<NodeId> ids(out.size());
  for (size_t i = 0; i < out.size(); ++i) ids[i] = out[i].node;
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end()) {
    return bad(fmt::format("node {} appears twice", *dup));
  }
  OMX_TRY(r.expect_end());
  return msg;
}

}  // namespace omx::gossip
