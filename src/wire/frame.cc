#include "wire/frame.h"

#include <fmt/format.h>

#include "wire/codec.h"

namespace omx::wire {
namespace {

const char* known_name(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kHello: return "hello";
    case MsgType::kAuth: return "auth";
    case MsgType::kPing: return "ping";
    case MsgType::kPong: return "pong";
    case MsgType::kClose: return "close";
    case MsgType::kError: return "error";
    case MsgType::kSessionOwner: return "session-owner";
    case MsgType::kMigrateOffer: return "migrate-offer";
    case MsgType::kMigrateAccept: return "migrate-accept";
    case MsgType::kMigrateImageChunk: return "migrate-image-chunk";
    case MsgType::kMigrateCommit: return "migrate-commit";
    case MsgType::kMigrateAck: return "migrate-ack";
    case MsgType::kMigrateAbort: return "migrate-abort";
    case MsgType::kMigrateImage: return "migrate-image";
    case MsgType::kMigratePages: return "migrate-pages";
    case MsgType::kMigratePagesEnd: return "migrate-pages-end";
    case MsgType::kMigrateHome: return "migrate-home";
    case MsgType::kGoHome: return "go-home";
    case MsgType::kBalancePolicy: return "balance-policy";
    case MsgType::kBalanceMove: return "balance-move";
    case MsgType::kBodyStats: return "body-stats";
    case MsgType::kSyscallCancel: return "syscall-cancel";
    case MsgType::kStopped: return "stopped";
    case MsgType::kFdQuery: return "fd-query";
    case MsgType::kFdInfo: return "fd-info";
    case MsgType::kSyscallRequest: return "syscall-request";
    case MsgType::kSyscallReply: return "syscall-reply";
    case MsgType::kSignal: return "signal";
    case MsgType::kExit: return "exit";
    case MsgType::kGossipLoad: return "gossip-load";
    case MsgType::kDiscoverAnnounce: return "discover-announce";
    case MsgType::kControlRequest: return "control-request";
    case MsgType::kControlReply: return "control-reply";
    case MsgType::kMfsRequest: return "mfs-request";
    case MsgType::kMfsReply: return "mfs-reply";
    case MsgType::kRelayRequest: return "relay-request";
    case MsgType::kRelayReply: return "relay-reply";
  }
  return nullptr;
}

Error reject(std::string why) {
  return make_error(ErrorCode::kProtocol, "frame rejected: " + std::move(why));
}

}  // namespace

bool is_known_type(uint16_t type) { return known_name(type) != nullptr; }

std::string msg_type_name(uint16_t type) {
  if (const char* n = known_name(type)) return n;
  return fmt::format("unknown(0x{:04x})", type);
}

void encode_header(const FrameHeader& h, std::span<uint8_t, kHeaderSize> out) {
  uint8_t* p = out.data();
  store_le32(p + 0, h.magic);
  store_le16(p + 4, h.version);
  store_le16(p + 6, h.type);
  store_le16(p + 8, h.flags);
  store_le16(p + 10, h.reserved);
  store_le32(p + 12, h.length);
  store_le64(p + 16, h.sequence);
}

Result<FrameHeader> decode_header(std::span<const uint8_t, kHeaderSize> in) {
  const uint8_t* p = in.data();
  FrameHeader h;
  h.magic = load_le32(p + 0);
  h.version = load_le16(p + 4);
  h.type = load_le16(p + 6);
  h.flags = load_le16(p + 8);
  h.reserved = load_le16(p + 10);
  h.length = load_le32(p + 12);
  h.sequence = load_le64(p + 16);
  if (h.magic != kMagic) {
    return reject(fmt::format("bad magic 0x{:08x} (expected 0x{:08x} \"OMX1\"; not an omx peer?)",
                              h.magic, kMagic));
  }
  if (h.version != kProtocolVersion) {
    return reject(fmt::format("protocol version {} (this build speaks version {})", h.version,
                              kProtocolVersion));
  }
  if (!is_known_type(h.type)) return reject(fmt::format("unknown type 0x{:04x}", h.type));
  if (h.flags != 0) return reject(fmt::format("unknown flags 0x{:04x}", h.flags));
  if (h.reserved != 0) return reject(fmt::format("reserved field is 0x{:04x}, not 0", h.reserved));
  if (h.length > kMaxPayload) {
    return reject(fmt::format("{} payload of {} bytes exceeds the limit of {}",
                              msg_type_name(h.type), h.length, kMaxPayload));
  }
  return h;
}

}  // namespace omx::wire
