// Page runs over a wire::Channel: ChannelPageSink sends each run as one kMigratePages frame
// (addr + bytes, gathered without copying the bytes); ChannelPageSource yields them at the
// receiver until kMigratePagesEnd. Runs are at most 1 MiB (capture's run size), well under the
// frame limit.
#pragma once

#include "proc/image.h"
#include "wire/channel.h"

namespace omx::migrate {

class ChannelPageSink final : public proc::PageSink {
 public:
  explicit ChannelPageSink(wire::Channel& ch) : ch_(ch) {}
  Status pages(uint64_t addr, std::span<const uint8_t> data) override;
  uint64_t bytes() const { return bytes_; }

 private:
  wire::Channel& ch_;
  uint64_t bytes_ = 0;
};

class ChannelPageSource final : public proc::PageSource {
 public:
  // `fault`: a fault point hit (kill this process) before each run is received, or nullptr.
  ChannelPageSource(wire::Channel& ch, wire::Duration timeout, const char* fault = nullptr)
      : ch_(ch), timeout_(timeout), fault_(fault) {}
  Result<bool> next(uint64_t& addr, std::span<const uint8_t>& data) override;
  uint64_t bytes() const { return bytes_; }

 private:
  wire::Channel& ch_;
  wire::Duration timeout_;
  const char* fault_;
  wire::Frame frame_;
  uint64_t bytes_ = 0;
};

}  // namespace omx::migrate
