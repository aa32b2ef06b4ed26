// `omx dashboard serve|url`: the web dashboard (docs/dashboard.md, docs/api/openapi.yaml).
//
//   omx dashboard serve [--listen ADDR:PORT] [--control ADDR] [--web-root DIR]
//                       [--token-secret FILE] [--collector DB [--collector-interval S]
//                       [--retention DAYS]]
//   omx dashboard url [--control ADDR]
//
// serve runs the HTTP server in the foreground until SIGTERM/SIGINT (omxd --http starts it as
// a child and restarts it). url asks omxd where its dashboard listens and for a token for the
// calling user (op "dashboard_token": the uid is the one SO_PEERCRED names) and prints
// http://ADDR:PORT/login?token=T.
// Exit: 0 ok, 1 failed (cannot listen, bad secret or database), 2 usage, 4 no omxd.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.h"
#include "daemon/control_address.h"
#include "daemon/control_client.h"
#include "dashboard/node_runner.h"
#include "dashboard/request_guard.h"
#include "dashboard/server.h"
#include "dashboard/static_files.h"
#include "dashboard/token.h"
#include "history/collector.h"
#include "history/store.h"

namespace omx::cli {
namespace {

// SIGTERM/SIGINT stop the server from a thread of their own (sigwait): the server's stop() is
// not async-signal-safe. Blocked before any thread starts, so every thread inherits the mask.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGUSR2);  // our own wake-up, when the server stopped by itself
    ::pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  void start(dashboard::Server& server) {
    thread_ = std::thread([this, &server] {
      int sig = 0;
      ::sigwait(&set_, &sig);
      server.stop();
    });
  }
  ~StopOnSignal() {
    if (thread_.joinable()) {
      ::pthread_kill(thread_.native_handle(), SIGUSR2);
      thread_.join();
    }
  }

 private:
  sigset_t set_;
  std::thread thread_;
};

int serve(const Args& args) {
  CLI::App app("serve the web dashboard (HTTP)", args[0] + " serve");
  std::string listen = "127.0.0.1:8750", control = daemon::default_control_address();
  std::string web_root, secret, collector_db;
  double interval_s = 5, retention_days = 7;
  app.add_option("--listen", listen, "address and port to serve on (a non-loopback address: "
                 "every request needs a token)")->capture_default_str();
  app.add_option("--control", control, "omxd's control socket")->capture_default_str();
  app.add_option("--web-root", web_root, "the front-end's files (default: ../web beside the "
                 "omx binary, else /usr/share/omx/web)");
  app.add_option("--token-secret", secret, "key file the tokens are derived from (omxd's --key; "
                 "created with a random key when missing); without it only loopback callers are known");
  app.add_option("--collector", collector_db, "record load and processes in this database "
                 "(the history routes)");
  app.add_option("--collector-interval", interval_s, "seconds between samples")->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--retention", retention_days, "days of history to keep")->capture_default_str()
      ->check(CLI::Range(0.001, 3650.0));
  if (int rc = parse(app, args); rc >= 0) return rc;
  std::string me = args[0] + " serve";
  auto addr = dashboard::parse_listen(listen);
  if (!addr) {
    print_error(me, fmt::format("--listen '{}': expected ADDR:PORT with an IP address", listen));
    return kExitUsage;
  }
  dashboard::ServerOptions o;
  o.listen = *addr;
  o.control = control;
  o.web_root = web_root.empty() ? dashboard::default_web_root() : web_root;
  if (!secret.empty()) {
    auto key = dashboard::load_token_key(secret, /*create_if_missing=*/true);
    if (!key.ok()) {
      print_error(me, key.error().message());
      return kExitFailed;
    }
    o.token_key = *key;
  }
  std::unique_ptr<history::Store> store;
  if (!collector_db.empty()) {
    auto s = history::Store::open(collector_db, std::chrono::milliseconds(
                                                    static_cast<int64_t>(retention_days * 86400e3)));
    if (!s.ok()) {
      print_error(me, s.error().message());
      return kExitFailed;
    }
    store = std::move(*s);
    o.history = store.get();
    o.collector_interval = std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // commands run as the caller are waited for (relay::run_as)
  StopOnSignal signals;
  auto ping = daemon::control_request({{"op", "ping"}}, control);
  uint32_t self = ping.ok() ? ping->value("node", 0u) : 0;
  dashboard::Server server(o, dashboard::relay_runner(control, self));
  if (auto st = server.bind(); !st.ok()) {
    print_error(me, st.error().message());
    return kExitFailed;
  }
  std::unique_ptr<history::Collector> collector;
  if (store) {
    dashboard::ClusterSource& src = server.source();
    collector = std::make_unique<history::Collector>(
        *store, o.collector_interval, [&src] { return src.cluster(); },
        [&src] { return src.processes(); });
    collector->start();
  }
  signals.start(server);
  std::fprintf(stderr, "%s: serving http://%s/ (web root %s%s)\n", me.c_str(),
               dashboard::format_host_port(*addr).c_str(), o.web_root.c_str(),
               store ? (", collector " + collector_db).c_str() : "");
  auto st = server.run();
  if (collector) collector->stop();
  if (!st.ok()) {
    print_error(me, st.error().message());
    return kExitFailed;
  }
  return kExitOk;
}

int url(const Args& args) {
  CLI::App app("print the dashboard's URL with a token for you", args[0] + " url");
  std::string control = daemon::default_control_address();
  app.add_option("--control", control, "omxd's control socket")->capture_default_str();
  if (int rc = parse(app, args); rc >= 0) return rc;
  std::string me = args[0] + " url";
  int rc = kExitOk;
  auto http = ask_omxd(me, {{"op", "http"}}, control, rc);
  if (!http) return rc;
  std::string listen = http->value("listen", std::string());
  if (listen.empty()) {
    print_error(me, "this node's omxd serves no dashboard (start it with omxd --http ADDR:PORT, "
                    "or run omx dashboard serve)");
    return kExitFailed;
  }
  auto addr = dashboard::parse_listen(listen);
  if (!addr) {
    print_error(me, fmt::format("omxd reports an odd dashboard address '{}'", listen));
    return kExitFailed;
  }
  if (addr->host == "0.0.0.0") addr->host = "127.0.0.1";
  if (addr->host == "::") addr->host = "::1";
  auto token = ask_omxd(me, {{"op", "dashboard_token"}}, control, rc);
  if (!token) return rc;
  std::printf("http://%s/login?token=%s\n", dashboard::format_host_port(*addr).c_str(),
              token->value("token", std::string()).c_str());
  return kExitOk;
}

}  // namespace

int cmd_dashboard(const Args& args) {
  std::string sub = args.size() > 1 ? args[1] : "";
  Args rest(args.begin() + (args.size() > 1 ? 1 : 0), args.end());
  if (!rest.empty()) rest[0] = args[0];
  if (sub == "serve") return serve(rest);
  if (sub == "url") return url(rest);
  if (sub == "--help" || sub == "-h") {
    std::printf("usage: %s serve [--listen ADDR:PORT] [--control ADDR] [--web-root DIR] "
                "[--token-secret FILE] [--collector DB [--collector-interval S] [--retention DAYS]]\n"
                "       %s url [--control ADDR]\n"
                "serve: the web dashboard's HTTP server (omxd --http starts it); url: its address "
                "with a login token for you. See omx-dashboard(1).\n",
                args[0].c_str(), args[0].c_str());
    return kExitOk;
  }
  print_error(args[0], sub.empty() ? "needs a subcommand: serve or url (--help for usage)"
                                   : fmt::format("unknown subcommand '{}' (serve or url)", sub));
  return kExitUsage;
}

}  // namespace omx::cli
