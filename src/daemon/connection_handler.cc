#include "daemon/connection_handler.h"

#include "base/log.h"

namespace omx::daemon {

void LoggingConnectionHandler::on_connection(ScopedFd fd, const PeerAddress& peer) {
  log::get("omxd")->info("connection from {} (no migration engine yet: closing it)",
                         peer.to_string());
  fd.reset();
}

}  // namespace omx::daemon
