#include "migrate/page_stream.h"

#include <sys/uio.h>

#include "base/fault.h"
#include "migrate/image_codec.h"
#include "wire/codec.h"

namespace omx::migrate {

Status ChannelPageSink::pages(uint64_t addr, std::span<const uint8_t> data) {
  uint8_t head[8];
  wire::store_le64(head, addr);
  iovec iov[2] = {{head, sizeof head}, {const_cast<uint8_t*>(data.data()), data.size()}};
  OMX_TRY(ch_.send_iov(wire::MsgType::kMigratePages, iov));
  bytes_ += data.size();
  return ok_status();
}

Result<bool> ChannelPageSource::next(uint64_t& addr, std::span<const uint8_t>& data) {
  if (fault_) fault::hit_or_die(fault_);  // a node dying in the middle of a transfer
  OMX_TRY(ch_.recv(frame_, timeout_));
  if (frame_.type == wire::MsgType::kMigratePagesEnd) return false;
  if (frame_.type != wire::MsgType::kMigratePages)
    return make_error(ErrorCode::kProtocol, "expected page runs");
  OMX_ASSIGN(auto run, decode_pages(frame_.payload));
  addr = run.first;
  data = run.second;
  bytes_ += data.size();
  return true;
}

}  // namespace omx::migrate
