#include "proc/memory.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <cstring>

#include <fmt/format.h>

#include "arch/x86_64/regs.h"

namespace omx::proc {

Result<ProcessMemory> ProcessMemory::open(pid_t pid) {
  std::string mem_path = fmt::format("/proc/{}/mem", pid);
  int mem = ::open(mem_path.c_str(), O_RDWR | O_CLOEXEC);
  if (mem < 0) return sys_error("open " + mem_path, pid);
  std::string pm_path = fmt::format("/proc/{}/pagemap", pid);
  int pm = ::open(pm_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (pm < 0) {
    int e = errno;
    ::close(mem);
    return sys_error("open " + pm_path, pid, e);
  }
  return ProcessMemory(pid, ScopedFd(mem), ScopedFd(pm));
}

Status ProcessMemory::read(RemotePtr<void> addr, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    iovec local{out.data() + done, out.size() - done};
    iovec remote{reinterpret_cast<void*>(addr.addr() + done), out.size() - done};
    ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Fall back to /proc/PID/mem (FOLL_FORCE reads pages the process itself could not,
      // e.g. PROT_NONE guard areas it had data in).
      ssize_t m = pread(mem_.get(), out.data() + done, out.size() - done,
                        static_cast<off_t>(addr.addr() + done));
      if (m <= 0) return sys_error(fmt::format("read memory at {:#x}", addr.addr() + done), pid_);
      n = m;
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status ProcessMemory::write(RemotePtr<void> addr, std::span<const uint8_t> data) const {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(mem_.get(), data.data() + done, data.size() - done,
                       static_cast<off_t>(addr.addr() + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return sys_error(fmt::format("write memory at {:#x}", addr.addr() + done), pid_,
                       n == 0 ? EIO : errno);
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status ProcessMemory::write_string(RemotePtr<char> addr, const std::string& s) const {
  return write(addr.cast<void>(),
               std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.c_str()), s.size() + 1));
}

Result<std::vector<uint64_t>> ProcessMemory::pagemap(uint64_t start, uint64_t end) const {
  size_t n = (end - start) / arch::kPageSize;
  std::vector<uint64_t> out(n);
  size_t bytes = n * sizeof(uint64_t);
  size_t done = 0;
  off_t off = static_cast<off_t>(start / arch::kPageSize * sizeof(uint64_t));
  while (done < bytes) {
    ssize_t r = pread(pagemap_.get(), reinterpret_cast<uint8_t*>(out.data()) + done, bytes - done,
                      off + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return sys_error("read pagemap", pid_, r == 0 ? EIO : errno);
    done += static_cast<size_t>(r);
  }
  return out;
}

bool is_zero_page(const uint8_t* p, size_t len) {
  const uint64_t* w = reinterpret_cast<const uint64_t*>(p);
  uint64_t acc = 0;
  for (size_t i = 0; i < len / 8; i += 8)
    acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
  return acc == 0;
}

}  // namespace omx::proc
