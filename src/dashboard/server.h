// DashboardServer: `omx dashboard serve`, the HTTP API of docs/api/openapi.yaml (the contract)
// plus the front-end's static files, on cpp-httplib.
//
// Every request first passes, in order (pre-routing):
//   1. Host check (request_guard.h): 403 against DNS rebinding;
//   2. identity: a token (Authorization: Bearer, or cookie omx_token) names a uid; else, when
//      the server listens on a loopback address and the peer is loopback, the uid owning the
//      peer's socket (peer_uid.h); else anonymous. A token that does not verify is a 401; on a
//      non-loopback listen address every request but /login needs a valid token (401);
//   3. POST: Content-Type application/json (403), a body that is a JSON object (400), and a
//      uid (401: "a caller without a uid may read but not act").
// Errors are {"ok":false,"error":"one line"} with the status the contract lists; bodies over
// kMaxBody are refused (413) by the HTTP layer and answered the same way.
//
// Actions run through the NodeRunner as the caller (actions.h); the history routes read the
// Store given (none: 404 "no collector on this node").
//
// Threading: run() blocks in the HTTP server's accept loop; requests are handled on its worker
// pool (kMaxStreams event streams plus room for the REST routes); stop() may be called from
// any thread (a signal handler must not: use a thread or the self-pipe).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "dashboard/cluster_source.h"
#include "dashboard/node_runner.h"
#include "dashboard/request_guard.h"
#include "dashboard/token.h"

namespace omx::history {
class Store;
}

namespace omx::dashboard {

inline constexpr size_t kMaxBody = 64 * 1024;
inline constexpr std::chrono::seconds kActionTimeout{20};

struct ServerOptions {
  ListenAddress listen{"127.0.0.1", 8750};
  std::string control;                // omxd's control address
  std::string web_root;               // static files
  std::optional<TokenKey> token_key;  // none: tokens are not accepted (loopback identity only)
  history::Store* history = nullptr;  // the collector's store, when this node runs one
  std::chrono::milliseconds collector_interval{0};
};

class Server {
 public:
  Server(ServerOptions options, NodeRunner runner);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listen address (kSys with the reason when it cannot).
  Status bind();
  // Serves until stop(); returns an error when the accept loop failed.
  Status run();
  void stop();

  ClusterSource& source();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace omx::dashboard
