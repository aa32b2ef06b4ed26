// Fault points for testing failure paths. OMX_FAULT="name[@N][,name2...]" arms named points;
// a point fires on its Nth hit (default: first). Code on a failure path asks
//
//   if (omx::fault::hit("migrate.restore.mmap")) return make_error(ErrorCode::kFault, ...);
//
// Some points kill the calling process instead (fault::hit_or_die), to emulate a daemon crash.
// The names are listed in docs/fault-points.md and each has a test. Thread-safe.
#pragma once

#include <string_view>

#include "base/result.h"

namespace omx::fault {

bool hit(std::string_view name);

// Returns a kFault error if the point fires, else ok.
Status check(std::string_view name);

// If the point fires, the process dies at once with SIGKILL (a crash, not a clean exit).
void hit_or_die(std::string_view name);

}  // namespace omx::fault
