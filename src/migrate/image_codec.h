// Serialises a ProcessImage (everything but page contents) for the wire: explicit
// little-endian fields via wire::Writer/Reader. Kernel ABI blobs that are only meaningful to an
// x86-64 kernel (siginfo_t, the XSAVE area) travel as length-prefixed bytes; general registers
// travel field by field. Decoding validates counts and sizes and never trusts a length.
#pragma once

#include <span>
#include <vector>

#include "base/result.h"
#include "proc/image.h"

namespace omx::migrate {

std::vector<uint8_t> encode_image(const proc::ProcessImage& img);
Result<proc::ProcessImage> decode_image(std::span<const uint8_t> bytes);

// Page run frame payload: addr u64, then the page bytes (a whole number of pages). Written
// without a copy of the pages by ChannelPageSink (page_stream.cc).
Result<std::pair<uint64_t, std::span<const uint8_t>>> decode_pages(std::span<const uint8_t> b);

}  // namespace omx::migrate
