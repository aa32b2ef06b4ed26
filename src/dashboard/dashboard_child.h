// DashboardChild: omxd's side of the web dashboard (omxd --http ADDR:PORT). Runs `omx dashboard
// serve` as a child service (daemon/child_service.h; it keeps omxd's working directory, so
// relative paths on omxd's command line mean the same to it) and answers two control ops:
//
//   {"op":"http"}             -> {"ok":true,"listen":"ADDR:PORT" ("" when none),"collector":DB,
//                                 "wanted":B,"running":B,"pid":P,"restarts":N}
//   {"op":"dashboard_token"}  -> {"ok":true,"token":"UID.MAC","uid":U}   (for the caller's own
//                                 uid, from SO_PEERCRED; dashboard/token.h)
//
// The token secret is omxd's cluster key file (--key) when there is one, else
// STATE_DIR/dashboard.secret (a random key made on first start, mode 0600).
//
// Threading: omxd's event loop only.
#pragma once

#include <optional>
#include <string>

#include <asio.hpp>

#include "base/result.h"
#include "daemon/child_service.h"
#include "daemon/control_server.h"
#include "dashboard/token.h"

namespace omx::dashboard {

struct ChildOptions {
  std::string omx;        // the omx binary
  std::string control;    // omxd's control address
  std::string listen;     // ADDR:PORT ("" = no dashboard; the ops still answer)
  std::string collector;  // database ("" = none)
  double collector_interval_s = 5;
  std::string key_file;   // omxd's --key ("" = none)
  std::string state_dir;  // omxd's --state-dir ("" = none)
};

class DashboardChild {
 public:
  DashboardChild(asio::io_context& io, ChildOptions options);
  void add_ops(daemon::ControlServer& server);
  // Loads (or makes) the token secret and starts the server; nothing to do without a listen.
  Status start();
  void stop();

 private:
  ChildOptions o_;
  std::string secret_file_;
  std::optional<TokenKey> key_;
  daemon::ChildService child_;
};

}  // namespace omx::dashboard
