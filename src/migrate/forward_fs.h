// Hand-written argument handling for forwarded calls whose argument the syscall table marks
// `irregular` (its notes list the cases): the meaning of the pointer depends on another
// argument. Each handler resolves the irregular argument, for this one call, into an ordinary
// ArgSpec the generic marshaller then applies. nullopt: not handled here, the process goes
// home to make the call natively (correct, just slower).
//
// Families: file descriptors and terminals (fcntl, ioctl) here; sockets in forward_net.cc
// when it exists.
#pragma once

#include <optional>

#include "arch/x86_64/regs.h"
#include "syscall/syscall_table.h"

namespace omx::migrate {

std::optional<syscall::ArgSpec> resolve_irregular(int nr, int arg, const arch::Registers& regs);

}  // namespace omx::migrate
