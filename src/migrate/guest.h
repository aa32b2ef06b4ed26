// Guest supervisor: hosts one migrated process on this node (ARCHITECTURE §1). Started by omxd
// for an incoming kMigrateOffer; rebuilds the body from the image under a seccomp filter,
// then runs it: local calls run untouched, emulated calls are answered here, forwarded calls
// go to the deputy at home, and calls only home can make send the process home. Signals from
// home are delivered with their siginfo. See protocol.h for the message flow.
//
// Single-threaded (it is the body's ptrace tracer). Runs as root until the body is rebuilt;
// the body itself runs with the owner's credentials.
#pragma once

#include "wire/channel.h"

namespace omx::migrate {

struct GuestConfig {
  uint32_t node_id = 0;
  bool allow_root = false;  // accept processes owned by uid 0
};

// `offer` is the first frame received on `ch`. Returns the guest's exit status.
int run_guest(wire::Channel ch, const wire::Frame& offer, const GuestConfig& cfg);

}  // namespace omx::migrate
