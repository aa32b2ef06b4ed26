// serve_relay: omxd's side of a relay session (protocol.h), run in the forked connection child
// (migrate/guest_acceptor.cc) after the session owner was read and the first request frame
// arrived. Decodes the request, runs it with run_as as the owner's uid/gid (the whitelist is
// checked again here: the client's check is only a courtesy), sends the kRelayReply (or kError
// with the reason when it did not run) and returns the child's exit status (0 when a reply with
// the command's outcome was sent, 2 otherwise). Every request is logged (logger "relay") with
// the owner, the command and its outcome.
//
// `refuse` non-empty: answer kError with it and run nothing (omxd shutting down, feature not
// negotiated).
//
// Threading: blocking; one call per session, in a single-threaded child.
#pragma once

#include <string>

#include "wire/channel.h"
#include "wire/session_owner.h"

namespace omx::relay {

int serve_relay(wire::Channel& ch, const wire::Frame& request, const wire::SessionOwner& owner,
                const std::string& refuse = "");

}  // namespace omx::relay
