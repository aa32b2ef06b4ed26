// Builds the seccomp filter installed in a migrated process's body on the remote node, from the
// syscall table (schema/): `local` calls, and calls whose `local_if` guard holds on their
// arguments, run without any trap; everything else stops the body for its guest supervisor
// (SECCOMP_RET_TRACE, ARCHITECTURE §1 first step). The program is produced by libseccomp and
// returned as raw BPF so restore can inject it (the body cannot call libseccomp). Calls through
// another ABI (x32, i386 int 0x80) kill the process: their numbers mean other calls.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "base/result.h"

namespace omx::migrate {

Result<std::vector<sock_filter>> build_body_filter();

}  // namespace omx::migrate
