#include "dashboard/dashboard_child.h"

#include <fmt/format.h>

#include "daemon/control_protocol.h"
#include "dashboard/request_guard.h"

namespace omx::dashboard {

DashboardChild::DashboardChild(asio::io_context& io, ChildOptions options)
    : o_(std::move(options)),
      child_(io, "omx dashboard serve", o_.state_dir.empty() ? "" : o_.state_dir + "/dashboard.log",
             /*keep_cwd=*/true) {
  if (!o_.key_file.empty()) secret_file_ = o_.key_file;
  else if (!o_.state_dir.empty()) secret_file_ = o_.state_dir + "/dashboard.secret";
}

void DashboardChild::add_ops(daemon::ControlServer& server) {
  server.add_op("http", [this](const daemon::ControlRequest&) {
    nlohmann::json j = child_.status();
    j["listen"] = o_.listen;
    j["collector"] = o_.collector;
    return daemon::ok_reply(j);
  });
  server.add_op("dashboard_token", [this](const daemon::ControlRequest& r) {
    if (!key_) {
      if (secret_file_.empty())
        return daemon::error_reply("this omxd has no token secret (it needs --key or --state-dir)");
      auto k = load_token_key(secret_file_, /*create_if_missing=*/o_.key_file.empty());
      if (!k.ok()) return daemon::error_reply(k.error().message());
      key_ = *k;
    }
    return daemon::ok_reply({{"token", mint_token(*key_, r.caller.uid)}, {"uid", r.caller.uid}});
  });
}

Status DashboardChild::start() {
  if (o_.listen.empty()) return ok_status();
  if (!parse_listen(o_.listen))
    return make_error(ErrorCode::kInvalid, fmt::format("--http '{}': expected ADDR:PORT with an IP address", o_.listen));
  std::vector<std::string> argv = {o_.omx, "dashboard", "serve", "--listen", o_.listen, "--control", o_.control};
  if (!secret_file_.empty()) {
    auto k = load_token_key(secret_file_, /*create_if_missing=*/o_.key_file.empty());
    if (!k.ok()) return k.error();
    key_ = *k;
    argv.insert(argv.end(), {"--token-secret", secret_file_});
  }
  if (!o_.collector.empty())
    argv.insert(argv.end(), {"--collector", o_.collector, "--collector-interval",
                             fmt::format("{}", o_.collector_interval_s)});
  return child_.start(std::move(argv));
}

void DashboardChild::stop() { child_.stop(); }

}  // namespace omx::dashboard
