#include "dashboard/server.h"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "base/log.h"
#include "dashboard/actions.h"
#include "dashboard/cluster_view.h"
#include "dashboard/event_hub.h"
#include "dashboard/metrics.h"
#include "dashboard/peer_uid.h"
#include "dashboard/static_files.h"
#include "history/store.h"

namespace omx::dashboard {
namespace {

using nlohmann::json;

std::shared_ptr<spdlog::logger> log() { return omx::log::get("dashboard"); }

// Who is calling (see server.h): filled by the pre-routing handler, read by the routes.
struct Identity {
  std::optional<uid_t> uid;
  std::string via = "anonymous";
};

void send(httplib::Response& res, const HttpReply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(), "application/json");
}

void send_json(httplib::Response& res, const json& body) { send(res, {200, body}); }

void send_error(httplib::Response& res, int status, const std::string& message) {
  send(res, error_reply(status, message));
}

std::string user_name(uid_t uid) {
  struct passwd pw, *out = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out) return pw.pw_name;
  return std::to_string(uid);
}

User user_of(uid_t uid) {
  struct passwd pw, *out = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out) return User{uid, pw.pw_gid};
  return User{uid, static_cast<gid_t>(uid)};
}

std::string cookie_value(const std::string& cookies, const std::string& name) {
  std::string_view rest = cookies;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.substr(0, name.size() + 1) == name + "=") return std::string(item.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return "";
}

std::string bearer(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  return cookie_value(req.get_header_value("Cookie"), "omx_token");
}

// Query parameter as an integer; nothing when absent; kInvalid when not a number.
Result<std::optional<int64_t>> int_param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::optional<int64_t>();
  std::string v = req.get_param_value(name);
  try {
    size_t used = 0;
    int64_t n = std::stoll(v, &used);
    if (used == v.size()) return std::optional<int64_t>(n);
  } catch (const std::exception&) {
  }
  return make_error(ErrorCode::kInvalid, fmt::format("query parameter '{}' must be an integer", name));
}

}  // namespace

using Route = std::function<void(const httplib::Request&, httplib::Response&, const Identity&)>;

struct Server::Impl {
  ServerOptions opts;
  NodeRunner runner;
  ClusterSource source;
  EventHub hub;
  httplib::Server http;
  bool loopback_listen;

  Impl(ServerOptions o, NodeRunner r)
      : opts(std::move(o)), runner(r), source(opts.control, r), hub(source),
        loopback_listen(is_loopback_address(opts.listen.host)) {}

  // The checks of server.h in order; false when `res` already holds the refusal.
  bool admit(const httplib::Request& req, httplib::Response& res, Identity& id, bool needs_token);
  httplib::Server::Handler guarded(Route route, bool needs_token = true);
  void routes();
  void action_routes();
  void history_routes();
  void events(const httplib::Request& req, httplib::Response& res);
  void static_file(const httplib::Request& req, httplib::Response& res);
  void login(const httplib::Request& req, httplib::Response& res);
  HttpReply run_on(uint32_t node, const User& u, const std::vector<Argv>& argvs);
  HttpReply run_on_all(const User& u, const std::vector<Argv>& argvs);
};

bool Server::Impl::admit(const httplib::Request& req, httplib::Response& res, Identity& id,
                         bool needs_token) {
  if (auto bad = check_host(req.get_header_value("Host"), opts.listen)) {
    send_error(res, 403, *bad);
    return false;
  }
  std::string token = bearer(req);
  if (!token.empty()) {
    auto uid = opts.token_key ? verify_token(*opts.token_key, token) : std::nullopt;
    if (!uid) {
      send_error(res, 401, "the token is not valid here (get a new URL with `omx dashboard url`)");
      return false;
    }
    id.uid = *uid;
    id.via = "token";
  } else if (!loopback_listen) {
    if (needs_token) {
      send_error(res, 401, "this server listens beyond loopback: every request needs a token "
                           "(open the URL `omx dashboard url` prints)");
      return false;
    }
  } else if (is_loopback_address(req.remote_addr)) {
    auto uid = loopback_peer_uid(req.remote_addr, static_cast<uint16_t>(req.remote_port),
                                 req.local_addr, static_cast<uint16_t>(req.local_port));
    if (uid.ok()) {
      id.uid = *uid;
      id.via = "loopback";
    } else {
      log()->warn("sock_diag for {}:{}: {}", req.remote_addr, req.remote_port, uid.error().message());
    }
  }
  if (req.method == "POST") {
    if (auto bad = check_content_type(req.method, req.get_header_value("Content-Type"))) {
      send_error(res, 403, *bad);
      return false;
    }
    // httplib drops a body over its payload limit and still routes the request (0.11): judge
    // by the declared length, so a huge body is refused instead of read as an empty one.
    std::string declared = req.get_header_value("Content-Length");
    if (declared.size() > 9 || (!declared.empty() && std::stoul(declared) > kMaxBody)) {
      send_error(res, 413, fmt::format("request body too large (at most {} bytes)", kMaxBody));
      return false;
    }
    if (declared.empty() ? !req.body.empty() : std::stoul(declared) != req.body.size()) {
      send_error(res, 400, "the request body was not read in full (send it with a Content-Length)");
      return false;
    }
    if (!req.body.empty()) {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        send_error(res, 400, "the body must be one JSON object");
        return false;
      }
    }
    if (!id.uid) {
      send_error(res, 401, "acting needs a user: open the dashboard from this machine's loopback "
                           "address or with the URL `omx dashboard url` prints");
      return false;
    }
  }
  return true;
}

httplib::Server::Handler Server::Impl::guarded(Route route, bool needs_token) {
  return [this, route = std::move(route), needs_token](const httplib::Request& req, httplib::Response& res) {
    Identity id;
    if (admit(req, res, id, needs_token)) route(req, res, id);
  };
}

HttpReply Server::Impl::run_on(uint32_t node, const User& u, const std::vector<Argv>& argvs) {
  auto t = source.target(node);
  if (!t.ok()) {
    if (t.error().code == ErrorCode::kInvalid) return error_reply(404, t.error().message());
    return error_reply(502, t.error().message());
  }
  std::string output;
  HttpReply last{200, {{"ok", true}}};
  for (const Argv& argv : argvs) {
    log()->info("uid {} on node {}: {}", u.uid, node, fmt::join(argv, " "));
    last = command_reply(runner(*t, u, argv, kActionTimeout), node);
    output += last.body.value("output", std::string());
    if (last.status != 200) break;
  }
  if (last.status == 200 || last.status == 422) last.body["output"] = output;
  return last;
}

// Node "all": every node that is up, one after the other; 200 when each succeeded, else the
// first failure's status with every node's result.
HttpReply Server::Impl::run_on_all(const User& u, const std::vector<Argv>& argvs) {
  auto c = source.cluster();
  if (!c.ok()) return error_reply(502, c.error().message());
  json results = json::array();
  HttpReply first_failure{200, {}};
  for (const json& n : c->value("nodes", json::array())) {
    if (!n.value("up", false)) continue;
    uint32_t id = n.value("id", 0u);
    HttpReply r = run_on(id, u, argvs);
    json entry = {{"node", id}, {"ok", r.status == 200}};
    if (r.status != 200) {
      entry["error"] = r.body.value("error", std::string());
      if (first_failure.status == 200) first_failure = r;
    }
    results.push_back(std::move(entry));
  }
  if (first_failure.status == 200) return {200, {{"ok", true}, {"results", results}}};
  json body = {{"ok", false}, {"error", first_failure.body.value("error", std::string())}, {"results", results}};
  return {first_failure.status, body};
}

void Server::Impl::action_routes() {
  http.Post(R"(/api/v1/processes/(\d{1,10})/(\d{1,10})/(migrate|lock|unlock|signal|renice))",
            guarded([this](const httplib::Request& req, httplib::Response& res, const Identity& id) {
              unsigned long home = std::stoul(req.matches[1].str()), pid = std::stoul(req.matches[2].str());
              if (home == 0 || pid == 0 || home > 0xffffffffUL || pid > 0x7fffffffUL)
                return send_error(res, 400, "home and pid must be positive integers");
              json body = req.body.empty() ? json::object() : json::parse(req.body);
              auto argv = process_action_argv(req.matches[3].str(), static_cast<long>(pid), body);
              if (!argv.ok()) return send_error(res, 400, argv.error().what);
              send(res, run_on(static_cast<uint32_t>(home), user_of(*id.uid), {*argv}));
            }));
  http.Post(R"(/api/v1/nodes/(\d{1,10}|all)/(settings|expel|bring))",
            guarded([this](const httplib::Request& req, httplib::Response& res, const Identity& id) {
              std::string node = req.matches[1].str(), what = req.matches[2].str();
              std::vector<Argv> argvs;
              if (what == "settings") {
                json body = req.body.empty() ? json::object() : json::parse(req.body);
                auto a = settings_argvs(body);
                if (!a.ok()) return send_error(res, 400, a.error().what);
                argvs = std::move(*a);
              } else {
                argvs = {{"omx", "mosctl", what}};
              }
              if (node == "all") return send(res, run_on_all(user_of(*id.uid), argvs));
              unsigned long n = std::stoul(node);
              if (n == 0 || n > 0xffffffffUL) return send_error(res, 400, "node must be a positive integer or \"all\"");
              send(res, run_on(static_cast<uint32_t>(n), user_of(*id.uid), argvs));
            }));
}

void Server::Impl::history_routes() {
  auto no_collector = [this](httplib::Response& res) {
    if (opts.history) return false;
    send_error(res, 404, "no collector on this node (omxd --http-collector DB, or omx dashboard serve --collector DB)");
    return true;
  };
  http.Get("/api/v1/history", guarded([this, no_collector](const httplib::Request&, httplib::Response& res, const Identity&) {
    if (no_collector(res)) return;
    json info = opts.history->info();
    info["node"] = source.self_node();
    info["interval_ms"] = opts.collector_interval.count();
    send_json(res, info);
  }));
  http.Get("/api/v1/history/load", guarded([this, no_collector](const httplib::Request& req, httplib::Response& res, const Identity&) {
    if (no_collector(res)) return;
    auto from = int_param(req, "from"), to = int_param(req, "to"), node = int_param(req, "node"),
         points = int_param(req, "points");
    for (auto* p : {&from, &to, &node, &points})
      if (!p->ok()) return send_error(res, 400, p->error().what);
    history::LoadQuery q;
    q.to_ms = to->value_or(now_ms());
    q.from_ms = from->value_or(q.to_ms - 3600 * 1000);
    if (*node) {
      if (**node < 1 || **node > 0xffffffffLL) return send_error(res, 400, "node must be a positive integer");
      q.node = static_cast<uint32_t>(**node);
    }
    if (*points) {
      if (**points < history::kMinPoints || **points > history::kMaxPoints)
        return send_error(res, 400, fmt::format("points must be from {} to {}", history::kMinPoints, history::kMaxPoints));
      q.points = static_cast<int>(**points);
    }
    auto r = opts.history->load(q);
    if (!r.ok()) return send_error(res, 400, r.error().message());
    send_json(res, *r);
  }));
  http.Get("/api/v1/history/processes", guarded([this, no_collector](const httplib::Request& req, httplib::Response& res, const Identity&) {
    if (no_collector(res)) return;
    auto at = int_param(req, "at");
    if (!at.ok()) return send_error(res, 400, at.error().what);
    if (!*at) return send_error(res, 400, "query parameter 'at' (ms since the epoch) is required");
    auto r = opts.history->processes_at(**at);
    if (!r.ok()) return send_error(res, r.error().code == ErrorCode::kRefused ? 404 : 400, r.error().message());
    send_json(res, *r);
  }));
  http.Post("/api/v1/history/marks", guarded([this, no_collector](const httplib::Request& req, httplib::Response& res, const Identity& id) {
    if (no_collector(res)) return;
    json body = req.body.empty() ? json::object() : json::parse(req.body);
    std::string label;
    if (body.contains("label")) {
      if (!body["label"].is_string()) return send_error(res, 400, "\"label\" must be a string");
      label = body["label"].get<std::string>();
    }
    if (label.size() > history::kMaxMarkLabel)
      return send_error(res, 400, fmt::format("\"label\" is longer than {} bytes", history::kMaxMarkLabel));
    auto st = opts.history->add_mark(now_ms(), label);
    if (!st.ok()) return send_error(res, 500, st.error().message());
    log()->info("uid {} wrote mark '{}'", *id.uid, label);
    send_json(res, {{"ok", true}});
  }));
}

void Server::Impl::events(const httplib::Request&, httplib::Response& res) {
  struct Stream {
    uint64_t seq = 0;
    std::string pending;
    std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  };
  auto stream = std::make_shared<Stream>();
  if (!hub.open(stream->seq, stream->pending))
    return send_error(res, 503, fmt::format("too many event streams open (at most {}); try again later", kMaxStreams));
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, stream](size_t, httplib::DataSink& sink) {
        if (hub.stopped()) return false;
        std::string text = std::move(stream->pending);
        stream->pending.clear();
        if (text.empty()) text = hub.next(stream->seq, std::chrono::seconds(1));
        auto now = std::chrono::steady_clock::now();
        if (text.empty() && now - stream->last_write >= kKeepalive) text = ": keepalive\n\n";
        if (text.empty()) return sink.is_writable();
        stream->last_write = now;
        return sink.write(text.data(), text.size());
      },
      [this](bool) { hub.close(); });
}

void Server::Impl::static_file(const httplib::Request& req, httplib::Response& res) {
  std::string path = req.path;
  if (path == "/api/v1/openapi.yaml") path = "/openapi.yaml";
  else if (path == "/api/docs") return res.set_redirect("/api/docs/", 301);
  else if (path.rfind("/api/v1/", 0) == 0 || path == "/api/v1")
    return send_error(res, 404, fmt::format("no such route: {} {}", req.method, req.path));
  auto file = resolve_static(opts.web_root, path);
  if (!file) return send_error(res, 404, fmt::format("not found: {}", req.path));
  std::ifstream in(*file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return send_error(res, 404, fmt::format("not found: {}", req.path));
  res.set_header("Cache-Control", "no-cache");
  res.set_content(ss.str(), mime_type(*file).c_str());
}

void Server::Impl::login(const httplib::Request& req, httplib::Response& res) {
  std::string token = req.get_param_value("token");
  if (token.empty() || !opts.token_key || !verify_token(*opts.token_key, token))
    return send_error(res, 401, "the token is not valid here (get a new URL with `omx dashboard url`)");
  res.set_header("Set-Cookie", fmt::format("omx_token={}; HttpOnly; SameSite=Strict; Path=/", token));
  res.set_redirect("/", 303);
}

void Server::Impl::routes() {
  http.Get("/api/v1/whoami", guarded([this](const httplib::Request&, httplib::Response& res, const Identity& id) {
    json j = {{"uid", id.uid ? json(*id.uid) : json(nullptr)}, {"via", id.via},
              {"can_act", id.uid.has_value()}, {"node", source.self_node()}};
    if (id.uid) j["user"] = user_name(*id.uid);
    send_json(res, j);
  }));
  http.Get("/api/v1/cluster", guarded([this](const httplib::Request&, httplib::Response& res, const Identity&) {
    auto c = source.cluster();
    if (!c.ok()) return send_error(res, 502, c.error().message());
    send_json(res, *c);
  }));
  http.Get("/api/v1/processes", guarded([this](const httplib::Request&, httplib::Response& res, const Identity&) {
    auto p = source.processes();
    if (!p.ok()) return send_error(res, 502, p.error().message());
    send_json(res, *p);
  }));
  http.Get(R"(/api/v1/nodes/(\d{1,10})/guests)", guarded([this](const httplib::Request& req, httplib::Response& res, const Identity&) {
    auto g = source.guests(static_cast<uint32_t>(std::stoul(req.matches[1].str())));
    if (!g.ok()) return send_error(res, g.error().code == ErrorCode::kInvalid ? 404 : 502, g.error().message());
    send_json(res, *g);
  }));
  http.Get("/api/v1/events", guarded([this](const httplib::Request& req, httplib::Response& res, const Identity&) {
    events(req, res);
  }));
  http.Get("/metrics", guarded([this](const httplib::Request&, httplib::Response& res, const Identity&) {
    auto c = source.cluster();
    if (!c.ok()) return send_error(res, 502, c.error().message());
    res.set_content(render_metrics(*c, source.migrations()), "text/plain; version=0.0.4; charset=utf-8");
  }));
  http.Get("/login", guarded([this](const httplib::Request& req, httplib::Response& res, const Identity&) {
    login(req, res);
  }, /*needs_token=*/false));
  action_routes();
  history_routes();
  http.Get(".*", guarded([this](const httplib::Request& req, httplib::Response& res, const Identity&) {
    static_file(req, res);
  }));
  // Whatever no route took (unknown paths, other methods, bodies too large, exceptions): one
  // clear JSON line, and the server goes on.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string why = res.status == 404 ? fmt::format("no such route: {} {}", req.method, req.path)
                    : res.status == 413 ? fmt::format("request body too large (at most {} bytes)", kMaxBody)
                    : res.status == 405 ? fmt::format("method {} not allowed here", req.method)
                    : fmt::format("bad request ({})", res.status);
    res.set_content(json{{"ok", false}, {"error", why}}.dump(), "application/json");
  });
  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const json::exception& e) {
      res.status = 400;
      res.set_content(json{{"ok", false}, {"error", fmt::format("bad request: {}", e.what())}}.dump(), "application/json");
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log()->error("{} {}: {}", req.method, req.path, what);
    res.status = 500;
    res.set_content(json{{"ok", false}, {"error", what}}.dump(), "application/json");
  });
}

Server::Server(ServerOptions options, NodeRunner runner)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(runner))) {
  impl_->http.new_task_queue = [] { return new httplib::ThreadPool(kMaxStreams + 8); };
  impl_->http.set_payload_max_length(kMaxBody);
  impl_->http.set_read_timeout(10, 0);
  impl_->http.set_keep_alive_timeout(5);
  impl_->routes();
}

Server::~Server() { stop(); }

ClusterSource& Server::source() { return impl_->source; }

Status Server::bind() {
  const ListenAddress& l = impl_->opts.listen;
  if (l.host.find(':') != std::string::npos) impl_->http.set_address_family(AF_INET6);
  if (!impl_->http.bind_to_port(l.host, l.port))
    return sys_error(fmt::format("cannot listen on {}", format_host_port(l)));
  return ok_status();
}

Status Server::run() {
  if (!impl_->http.listen_after_bind()) return make_error(ErrorCode::kSys, "the HTTP server stopped");
  return ok_status();
}

void Server::stop() {
  impl_->hub.stop();
  impl_->http.stop();
}

}  // namespace omx::dashboard
