#include "migrate/seccomp_filter.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>

#include <fmt/format.h>

#include "base/scoped_fd.h"
#include "syscall/syscall_table.h"

namespace omx::migrate {
namespace {

using Ctx = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;
constexpr int64_t kMaxExpandedValues = 256;

Status allow_if(const Ctx& ctx, int nr, scmp_arg_cmp cmp) {
  int rc = seccomp_rule_add_exact_array(ctx.get(), SCMP_ACT_ALLOW, nr, 1, &cmp);
  if (rc < 0) return sys_error(fmt::format("seccomp_rule_add({}, guard)", nr), 0, -rc);
  return ok_status();
}

// One ALLOW rule per case in which the guard holds (libseccomp ORs rules). Guards look at the
// low 32 bits of an argument as a C int.
Status add_guard(const Ctx& ctx, int nr, const syscall::LocalGuard& g) {
  uint64_t mask = g.mask;
  if (g.op == syscall::GuardOp::kAnyBit) {
    for (int bit = 0; bit < 32; ++bit)
      if (mask & (1ull << bit))
        OMX_TRY(allow_if(ctx, nr, SCMP_CMP(g.arg, SCMP_CMP_MASKED_EQ, 1ull << bit, 1ull << bit)));
    return ok_status();
  }
  for (int i = 0; i < g.nranges; ++i) {
    int64_t lo = g.ranges[i].lo, hi = g.ranges[i].hi;
    if (hi - lo >= kMaxExpandedValues)
      return make_error(ErrorCode::kInvalid, fmt::format("guard of syscall {} too wide", nr));
    for (int64_t v = lo; v <= hi; ++v)
      OMX_TRY(allow_if(ctx, nr, SCMP_CMP(g.arg, SCMP_CMP_MASKED_EQ, mask,
                                          static_cast<uint32_t>(static_cast<int32_t>(v)))));
  }
  return ok_status();
}

}  // namespace

Result<std::vector<sock_filter>> build_body_filter() {
  Ctx ctx(seccomp_init(SCMP_ACT_TRACE(0)), seccomp_release);
  if (!ctx) return make_error(ErrorCode::kSys, "seccomp_init");
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);  // restore sets no_new_privs itself
  for (int nr = 0; nr <= syscall::max_syscall_number(); ++nr) {
    const syscall::SyscallInfo* info = syscall::syscall_info(nr);
    if (!info) continue;
    if (info->cls == syscall::SyscallClass::kLocal) {
      int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0);
      if (rc < 0) return sys_error(fmt::format("seccomp_rule_add({})", nr), 0, -rc);
    } else if (info->local_if.present()) {
      OMX_TRY(add_guard(ctx, nr, info->local_if));
    }
  }
  ScopedFd mem(memfd_create("omx-bpf", MFD_CLOEXEC));
  if (!mem.valid()) return sys_error("memfd_create");
  int rc = seccomp_export_bpf(ctx.get(), mem.get());
  if (rc < 0) return sys_error("seccomp_export_bpf", 0, -rc);
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter))
    return make_error(ErrorCode::kProtocol, "seccomp_export_bpf produced a bad program");
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(mem.get(), prog.data(), static_cast<size_t>(size), 0) != size)
    return sys_error("read exported BPF");
  return prog;
}

}  // namespace omx::migrate
