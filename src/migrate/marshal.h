// Marshal: turns a system call trapped in the body (registers + its memory) into a
// SyscallRequest the deputy can execute, driven by the syscall table's argument descriptions
// (schema/), and writes the reply's output buffers back into the body. Calls whose arguments
// the table marks irregular get hand-written code in forward_<family>.cc.
//
// Single-threaded: the guest supervisor's thread.
#pragma once

#include <optional>

#include "arch/x86_64/regs.h"
#include "migrate/syscall_request.h"
#include "proc/memory.h"

namespace omx::migrate {

struct Marshalled {
  SyscallRequest req;
  std::vector<uint64_t> origin;  // body address of each buffer (0: none), for the reply
  std::optional<int64_t> immediate;  // set: answer the call with this (-EFAULT...) unsent
};

// Returns nullopt when the call cannot be forwarded (the body must go home to make it).
Result<std::optional<Marshalled>> marshal(const arch::Registers& regs, const proc::ProcessMemory& mem);

// Copies the reply's output buffers to where the body expects them.
Status unmarshal(const Marshalled& m, const SyscallReply& reply, const proc::ProcessMemory& mem);

}  // namespace omx::migrate
