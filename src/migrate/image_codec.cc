#include "migrate/image_codec.h"

#include <cstring>

#include "wire/codec.h"

namespace omx::migrate {
namespace {

using proc::ImageVma;
using proc::ProcessImage;
using wire::Reader;
using wire::Writer;

constexpr uint32_t kMaxVmas = 1 << 16;  // Linux's default vm.max_map_count is 65530
constexpr uint32_t kMaxPending = 1 << 12;
constexpr int kRegCount = sizeof(user_regs_struct) / sizeof(uint64_t);
static_assert(sizeof(user_regs_struct) == 27 * sizeof(uint64_t));

template <typename T>
void put_blob(Writer& w, const T& v) {
  w.bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), sizeof v));
}

template <typename T>
Status get_blob(Reader& r, const char* field, T& v) {
  OMX_ASSIGN(auto b, r.bytes(field, sizeof(T)));
  if (b.size() != sizeof(T)) return make_error(ErrorCode::kProtocol, std::string("image: bad ") + field);
  std::memcpy(&v, b.data(), sizeof v);
  return ok_status();
}

void put_vma(Writer& w, const ImageVma& iv) {
  const proc::Vma& v = iv.vma;
  w.u64(v.start);
  w.u64(v.end);
  w.u64(v.offset);
  w.u64(v.inode);
  w.u32(v.dev_major);
  w.u32(v.dev_minor);
  uint16_t bits = (v.read << 0) | (v.write << 1) | (v.exec << 2) | (v.shared << 3) |
                  (v.deleted << 4) | (v.locked << 5) | (v.io_or_pfn << 6) |
                  (v.grows_down << 7) | (v.dont_dump << 8) | (v.hugetlb << 9) |
                  (v.may_write << 10);
  w.u16(bits);
  w.u8(static_cast<uint8_t>(iv.source));
  w.str(v.path);
}

Result<ImageVma> get_vma(Reader& r) {
  ImageVma iv;
  proc::Vma& v = iv.vma;
  OMX_ASSIGN(v.start, r.u64("vma.start"));
  OMX_ASSIGN(v.end, r.u64("vma.end"));
  OMX_ASSIGN(v.offset, r.u64("vma.offset"));
  OMX_ASSIGN(v.inode, r.u64("vma.inode"));
  OMX_ASSIGN(v.dev_major, r.u32("vma.dev_major"));
  OMX_ASSIGN(v.dev_minor, r.u32("vma.dev_minor"));
  OMX_ASSIGN(uint16_t bits, r.u16("vma.flags"));
  v.read = bits & 1; v.write = bits & 2; v.exec = bits & 4; v.shared = bits & 8;
  v.deleted = bits & 16; v.locked = bits & 32; v.io_or_pfn = bits & 64;
  v.grows_down = bits & 128; v.dont_dump = bits & 256; v.hugetlb = bits & 512;
  v.may_write = bits & 1024;
  OMX_ASSIGN(uint8_t src, r.u8("vma.source"));
  if (src > 2) return make_error(ErrorCode::kProtocol, "image: bad vma source");
  iv.source = static_cast<proc::VmaSource>(src);
  OMX_ASSIGN(v.path, r.str("vma.path", 4096));
  if (v.end <= v.start || (v.start | v.end) % arch::kPageSize)
    return make_error(ErrorCode::kProtocol, "image: bad vma range");
  return iv;
}

}  // namespace

std::vector<uint8_t> encode_image(const ProcessImage& img) {
  Writer w(4096 + img.vmas.size() * 96);
  w.u32(img.version);
  w.str(img.kernel_release);
  w.u32(static_cast<uint32_t>(img.home_pid));
  w.u32(static_cast<uint32_t>(img.home_ppid));
  w.str(img.comm);
  w.u32(static_cast<uint32_t>(img.vmas.size()));
  for (const ImageVma& iv : img.vmas) put_vma(w, iv);
  w.u64(img.start_brk);
  w.u64(img.brk);
  const auto* regs = reinterpret_cast<const uint64_t*>(&img.regs.raw());
  for (int i = 0; i < kRegCount; ++i) w.u64(regs[i]);
  w.u64(img.sleep_timespec);
  w.u64(img.captured_realtime_ns);
  w.bytes(img.xstate.xsave);
  w.u64(img.sigmask);
  for (const auto& a : img.sigactions) {
    w.u64(a.handler);
    w.u64(a.flags);
    w.u64(a.restorer);
    w.u64(a.mask);
  }
  w.u64(reinterpret_cast<uint64_t>(img.altstack.ss_sp));
  w.u32(static_cast<uint32_t>(img.altstack.ss_flags));
  w.u64(img.altstack.ss_size);
  w.u32(static_cast<uint32_t>(img.pending.size()));
  for (const siginfo_t& si : img.pending) put_blob(w, si);
  w.u64(img.rseq.addr);
  w.u32(img.rseq.len);
  w.u32(img.rseq.sig);
  w.u32(img.rseq.flags);
  w.u64(img.robust_list);
  w.u64(img.robust_list_len);
  w.u64(img.clear_child_tid);
  for (const itimerval& it : img.itimers) {
    w.i64(it.it_interval.tv_sec);
    w.i64(it.it_interval.tv_usec);
    w.i64(it.it_value.tv_sec);
    w.i64(it.it_value.tv_usec);
  }
  for (const rlimit& rl : img.rlimits) {
    w.u64(rl.rlim_cur);
    w.u64(rl.rlim_max);
  }
  w.u64(img.personality);
  w.u32(img.umask);
  return std::move(w).take();
}

Result<ProcessImage> decode_image(std::span<const uint8_t> bytes) {
  Reader r(bytes, "process image");
  ProcessImage img;
  OMX_ASSIGN(img.version, r.u32("version"));
  if (img.version != proc::kImageVersion)
    return make_error(ErrorCode::kRefused, "process image version " + std::to_string(img.version) +
                                               " is not supported here (run the same omx release on every node)");
  OMX_ASSIGN(img.kernel_release, r.str("kernel_release", 256));
  OMX_ASSIGN(uint32_t pid, r.u32("home_pid"));
  OMX_ASSIGN(uint32_t ppid, r.u32("home_ppid"));
  img.home_pid = static_cast<pid_t>(pid);
  img.home_ppid = static_cast<pid_t>(ppid);
  OMX_ASSIGN(img.comm, r.str("comm", 64));
  OMX_ASSIGN(uint32_t nvmas, r.u32("vma count"));
  if (nvmas > kMaxVmas) return make_error(ErrorCode::kProtocol, "image: too many vmas");
  for (uint32_t i = 0; i < nvmas; ++i) {
    OMX_ASSIGN(ImageVma iv, get_vma(r));
    img.vmas.push_back(std::move(iv));
  }
  OMX_ASSIGN(img.start_brk, r.u64("start_brk"));
  OMX_ASSIGN(img.brk, r.u64("brk"));
  auto* regs = reinterpret_cast<uint64_t*>(&img.regs.raw());
  for (int i = 0; i < kRegCount; ++i) {
    OMX_ASSIGN(regs[i], r.u64("regs"));
  }
  OMX_ASSIGN(img.sleep_timespec, r.u64("sleep_timespec"));
  OMX_ASSIGN(img.captured_realtime_ns, r.u64("captured_realtime_ns"));
  OMX_ASSIGN(auto xs, r.bytes("xstate", 1 << 16));
  img.xstate.xsave.assign(xs.begin(), xs.end());
  OMX_ASSIGN(img.sigmask, r.u64("sigmask"));
  for (auto& a : img.sigactions) {
    OMX_ASSIGN(a.handler, r.u64("sigaction"));
    OMX_ASSIGN(a.flags, r.u64("sigaction"));
    OMX_ASSIGN(a.restorer, r.u64("sigaction"));
    OMX_ASSIGN(a.mask, r.u64("sigaction"));
  }
  OMX_ASSIGN(uint64_t sp, r.u64("altstack.sp"));
  OMX_ASSIGN(uint32_t ssf, r.u32("altstack.flags"));
  OMX_ASSIGN(uint64_t sss, r.u64("altstack.size"));
  img.altstack = {reinterpret_cast<void*>(sp), static_cast<int>(ssf), sss};
  OMX_ASSIGN(uint32_t npend, r.u32("pending count"));
  if (npend > kMaxPending) return make_error(ErrorCode::kProtocol, "image: too many pending signals");
  img.pending.resize(npend);
  for (siginfo_t& si : img.pending) OMX_TRY(get_blob(r, "pending", si));
  OMX_ASSIGN(img.rseq.addr, r.u64("rseq.addr"));
  OMX_ASSIGN(img.rseq.len, r.u32("rseq.len"));
  OMX_ASSIGN(img.rseq.sig, r.u32("rseq.sig"));
  OMX_ASSIGN(img.rseq.flags, r.u32("rseq.flags"));
  OMX_ASSIGN(img.robust_list, r.u64("robust_list"));
  OMX_ASSIGN(img.robust_list_len, r.u64("robust_list_len"));
  OMX_ASSIGN(img.clear_child_tid, r.u64("clear_child_tid"));
  for (itimerval& it : img.itimers) {
    OMX_ASSIGN(it.it_interval.tv_sec, r.i64("itimer"));
    OMX_ASSIGN(it.it_interval.tv_usec, r.i64("itimer"));
    OMX_ASSIGN(it.it_value.tv_sec, r.i64("itimer"));
    OMX_ASSIGN(it.it_value.tv_usec, r.i64("itimer"));
  }
  for (rlimit& rl : img.rlimits) {
    OMX_ASSIGN(rl.rlim_cur, r.u64("rlimit"));
    OMX_ASSIGN(rl.rlim_max, r.u64("rlimit"));
  }
  OMX_ASSIGN(img.personality, r.u64("personality"));
  OMX_ASSIGN(img.umask, r.u32("umask"));
  OMX_TRY(r.expect_end());
  return img;
}

Result<std::pair<uint64_t, std::span<const uint8_t>>> decode_pages(std::span<const uint8_t> b) {
  Reader r(b, "page run");
  OMX_ASSIGN(uint64_t addr, r.u64("addr"));
  OMX_ASSIGN(auto data, r.raw("pages", b.size() - 8));
  if (addr % arch::kPageSize || data.size() % arch::kPageSize || data.empty())
    return make_error(ErrorCode::kProtocol, "page run not page aligned");
  return std::make_pair(addr, data);
}

}  // namespace omx::migrate
