// omxd parts in-process: the control protocol (dispatch, the op table, the client over a real
// abstract socket, a connection surviving bad requests, SO_PEERCRED), the wire listener handing
// sockets to a ConnectionHandler, the ready fd, the command-line/input checks, and the clean
// shutdown (a drain first, a second signal cuts it short; GuestDrain's wait).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "daemon/control_address.h"
#include "daemon/control_client.h"
#include "daemon/control_ops.h"
#include "daemon/control_server.h"
#include "daemon/daemon.h"
#include "daemon/guest_drain.h"
#include "daemon/options.h"

namespace omx::daemon {
namespace {

using nlohmann::json;

// A scratch directory with a map file (nodes 1..3 on 127.0.0.1..3), removed afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/omx-daemon-test.XXXXXX";
    path_ = mkdtemp(tmpl);
    write("test.map", "1 127.0.0.1 3\n");
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string unique_control() {
  static std::atomic<int> n{0};
  return "@omx/test." + std::to_string(getpid()) + "." + std::to_string(n++);
}

DaemonOptions test_options(const TempDir& dir) {
  DaemonOptions o;
  o.foreground = true;
  o.node_id = 2;
  o.map_path = dir.path("test.map");
  o.listen = "127.0.0.1";
  o.port = 0;  // any free port
  o.control = unique_control();
  return o;
}

// Runs a Daemon's loop on a thread for the duration of a test.
class RunningDaemon {
 public:
  explicit RunningDaemon(std::unique_ptr<Daemon> d) : d_(std::move(d)) {
    thread_ = std::thread([this] { d_->run(); });
  }
  ~RunningDaemon() {
    d_->stop();
    thread_.join();
  }
  Daemon& operator*() { return *d_; }
  Daemon* operator->() { return d_.get(); }

 private:
  std::unique_ptr<Daemon> d_;
  std::thread thread_;
};

std::unique_ptr<Daemon> started(const DaemonOptions& o,
                                std::unique_ptr<ConnectionHandler> handler = {}) {
  auto d = Daemon::create(o, std::move(handler));
  EXPECT_TRUE(d.ok()) << d.error().message();
  auto st = (*d)->start();
  EXPECT_TRUE(st.ok()) << st.error().message();
  return std::move(d).value();
}

TEST(ControlServer, DispatchesTheNodeOps) {
  asio::io_context io;
  ControlServer server(io);
  auto map = cluster::parse_node_map("1 10.0.0.1 3\n2 10.9.9.9 ALIAS\n", "m");
  ASSERT_TRUE(map.ok());
  NodeContext node{2, &*map, 4660};
  add_node_ops(server, node);
  Caller me;
  EXPECT_EQ(server.dispatch(R"({"op":"ping"})", me), json::parse(R"({"ok":true,"node":2})"));
  EXPECT_EQ(server.dispatch(R"({"op":"node","id":3})", me),
            json::parse(R"({"ok":true,"id":3,"addr":"10.0.0.3","port":4660})"));
  EXPECT_EQ(server.dispatch(R"({"op":"node","id":7})", me),
            json::parse(R"({"ok":false,"error":"node 7 is not in the map"})"));
  EXPECT_EQ(server.dispatch(R"({"op":"node","id":"x"})", me)["ok"], false);
  EXPECT_EQ(server.dispatch(R"({"op":"node"})", me)["ok"], false);
  json nodes = server.dispatch(R"({"op":"nodes"})", me);
  ASSERT_EQ(nodes["nodes"].size(), 3u);
  EXPECT_EQ(nodes["nodes"][1], json::parse(R"({"id":2,"addr":"10.0.0.2","port":4660,
                                                "self":true,"aliases":["10.9.9.9"]})"));
}

TEST(ControlServer, RejectsBadRequestsWithOneLine) {
  asio::io_context io;
  ControlServer server(io);
  server.add_op("typed", [](const ControlRequest& r) {
    return ok_reply({{"n", r.body.at("n").get<int>()}});  // throws on a missing/ill-typed n
  });
  Caller me;
  auto error_of = [&](const std::string& line) {
    json r = server.dispatch(line, me);
    EXPECT_EQ(r["ok"], false) << line;
    return r.value("error", "");
  };
  EXPECT_EQ(error_of("{not json"), "malformed JSON request");
  EXPECT_EQ(error_of("[1,2]"), "a request must be a JSON object");
  EXPECT_EQ(error_of(R"({"x":1})"), R"(a request needs an "op" string, e.g. {"op":"ping"})");
  EXPECT_EQ(error_of(R"({"op":5})"), R"(a request needs an "op" string, e.g. {"op":"ping"})");
  EXPECT_EQ(error_of(R"({"op":"fly"})"), "unknown op 'fly'");
  EXPECT_NE(error_of(R"({"op":"typed","n":"five"})").find("bad arguments for op 'typed'"),
            std::string::npos);
  EXPECT_EQ(server.dispatch(R"({"op":"typed","n":5})", me)["n"], 5);
}

TEST(ControlServer, SerializesOkFirst) {
  EXPECT_EQ(serialize_message(ok_reply({{"node", 1}, {"addr", "a"}})),
            R"({"ok":true,"addr":"a","node":1})");
  EXPECT_EQ(serialize_message(error_reply("no")), R"({"ok":false,"error":"no"})");
  EXPECT_EQ(serialize_message({{"id", 2}, {"op", "node"}}), R"({"op":"node","id":2})");
}

TEST(ControlAddress, AbstractNamesAndPaths) {
  auto a = make_unix_address("@omx/omxd");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->abstract);
  EXPECT_EQ(a->sun.sun_path[0], '\0');
  EXPECT_EQ(std::string(a->sun.sun_path + 1, 8), "omx/omxd");
  auto p = make_unix_address("/run/omx.sock");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->abstract);
  EXPECT_STREQ(p->sun.sun_path, "/run/omx.sock");
  EXPECT_FALSE(make_unix_address("").ok());
  EXPECT_FALSE(make_unix_address("@").ok());
  EXPECT_FALSE(make_unix_address("/" + std::string(200, 'x')).ok());
  setenv("OMX_CONTROL", "@elsewhere", 1);
  EXPECT_EQ(default_control_address(), "@elsewhere");
  unsetenv("OMX_CONTROL");
  EXPECT_EQ(default_control_address(), "@omx/omxd");
}

TEST(Daemon, AnswersOverTheControlSocket) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  RunningDaemon d(started(o));
  auto ping = control_request({{"op", "ping"}}, o.control);
  ASSERT_TRUE(ping.ok()) << ping.error().message();
  EXPECT_EQ(*ping, json::parse(R"({"ok":true,"node":2})"));
  auto node = control_request({{"op", "node"}, {"id", 3}}, o.control);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)["addr"], "127.0.0.3");
  EXPECT_EQ((*node)["port"], d->wire_port());
  auto nodes = control_request({{"op", "nodes"}}, o.control);
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ((*nodes)["nodes"].size(), 3u);
}

TEST(Daemon, ControlAtAPathReplacesAStaleSocket) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  o.control = dir.path("control.sock");
  {  // a socket file nobody listens on any more
    RunningDaemon first(started(o));
  }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  auto addr = make_unix_address(o.control);
  ASSERT_EQ(bind(s, reinterpret_cast<const sockaddr*>(&addr->sun), addr->len), 0);
  close(s);
  RunningDaemon d(started(o));
  auto ping = control_request({{"op", "ping"}}, o.control);
  ASSERT_TRUE(ping.ok()) << ping.error().message();
}

// Sends lines on one connection and returns the reply lines.
std::vector<std::string> converse(const std::string& address, const std::string& lines, size_t replies) {
  auto addr = make_unix_address(address);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&addr->sun), addr->len), 0);
  // The daemon may close before reading everything (overlong request): no SIGPIPE, no check.
  [[maybe_unused]] ssize_t sent = send(fd, lines.data(), lines.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  while (static_cast<size_t>(std::count(got.begin(), got.end(), '\n')) < replies) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t nl; (nl = got.find('\n', pos)) != std::string::npos; pos = nl + 1)
    out.push_back(got.substr(pos, nl - pos));
  return out;
}

TEST(Daemon, ConnectionSurvivesBadRequests) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  RunningDaemon d(started(o));
  auto replies = converse(o.control, "garbage\n{\"op\":\"nope\"}\n\n{\"op\":\"ping\"}\n", 3);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], R"({"ok":false,"error":"malformed JSON request"})");
  EXPECT_EQ(replies[1], R"({"ok":false,"error":"unknown op 'nope'"})");
  EXPECT_EQ(replies[2], R"({"ok":true,"node":2})");
}

TEST(Daemon, OverlongRequestGetsAnErrorAndTheConnectionCloses) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  RunningDaemon d(started(o));
  auto replies = converse(o.control, std::string(kMaxRequestBytes + 10, 'x'), 1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].find("request longer than"), std::string::npos);
  EXPECT_TRUE(control_request({{"op", "ping"}}, o.control).ok());  // the daemon is fine
}

TEST(Daemon, HandlersSeeTheCallersCredentials) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  auto daemon = started(o);
  daemon->control().add_op("whoami", [](const ControlRequest& r) {
    return ok_reply({{"uid", r.caller.uid}, {"gid", r.caller.gid}, {"pid", r.caller.pid}});
  });
  RunningDaemon d(std::move(daemon));
  auto r = control_request({{"op", "whoami"}}, o.control);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["uid"], getuid());
  EXPECT_EQ((*r)["gid"], getgid());
  EXPECT_EQ((*r)["pid"], getpid());
}

class RecordingHandler : public ConnectionHandler {
 public:
  void on_connection(ScopedFd fd, const PeerAddress& peer) override {
    peer_ = peer;
    ++count_;
    const char msg[] = "hello";
    EXPECT_EQ(write(fd.get(), msg, 5), 5);
  }
  std::atomic<int> count_{0};
  PeerAddress peer_;
};

TEST(Daemon, HandsAcceptedConnectionsToTheHandler) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  auto handler = std::make_unique<RecordingHandler>();
  RecordingHandler* h = handler.get();
  RunningDaemon d(started(o, std::move(handler)));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(d->wire_port());
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  char buf[16] = {};
  ASSERT_EQ(read(fd, buf, sizeof buf), 5);  // the handler wrote, then dropped the fd: EOF next
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(read(fd, buf, sizeof buf), 0);
  close(fd);
  EXPECT_EQ(h->count_, 1);
  EXPECT_EQ(h->peer_.ip, "127.0.0.1");
}

TEST(Daemon, WritesReadyOnceListeningThenClosesTheFd) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  o.ready_fd = p[1];
  RunningDaemon d(started(o));
  char buf[16] = {};
  ASSERT_EQ(read(p[0], buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "ready\n");
  EXPECT_EQ(read(p[0], buf, sizeof buf), 0);  // closed: no other holder of the write end
  close(p[0]);
}

TEST(Daemon, RejectsBadInputs) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  auto message = [](const DaemonOptions& opts) {
    auto d = Daemon::create(opts);
    return d.ok() ? std::string("ok") : d.error().message();
  };
  DaemonOptions missing_node = o;
  missing_node.node_id = 9;
  EXPECT_EQ(message(missing_node), "node 9 is not in the map " + o.map_path);
  DaemonOptions bad_map = o;
  bad_map.map_path = dir.write("bad.map", "1 127.0.0.1 3\n2 127.0.0.9\n");
  EXPECT_EQ(message(bad_map), bad_map.map_path +
                                  ":2: expected 'first-id host count' or 'id address ALIAS', "
                                  "found 2 fields");
  DaemonOptions bad_key = o;
  bad_key.key_file = dir.write("bad.key", "abc\n");
  EXPECT_EQ(message(bad_key), "key file " + bad_key.key_file + ": expected 64 hex digits (32 bytes)");
  DaemonOptions good_key = o;
  good_key.key_file = dir.write("good.key", std::string(64, 'a') + "\n");
  EXPECT_EQ(message(good_key), "ok");
  DaemonOptions no_key = o;
  no_key.key_file = dir.path("absent.key");
  EXPECT_EQ(message(no_key), "open key file " + no_key.key_file + ": No such file or directory");
  DaemonOptions bad_fd = o;
  bad_fd.ready_fd = 987;
  EXPECT_EQ(message(bad_fd), "--ready-fd 987: Bad file descriptor");
}

TEST(Daemon, SecondDaemonOnTheSameControlSocketIsRefused) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  RunningDaemon first(started(o));
  auto second = Daemon::create(o);
  ASSERT_TRUE(second.ok());
  auto st = (*second)->start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "bind control socket " + o.control +
                                      " (is another omxd running?): Address already in use");
}

TEST(ControlClient, ReportsAMissingDaemon) {
  auto r = control_request({{"op", "ping"}}, "@omx/nobody-listens-here");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("is omxd running on this node?"), std::string::npos);
}

// A drain the test finishes by hand.
struct FakeDrain final : ShutdownDrain {
  std::atomic<bool> started{false}, cut{false};
  std::function<void()> done;
  void start(std::function<void()> d) override {
    done = std::move(d);
    started = true;
  }
  void cut_short(const std::string&) override { cut = true; }
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

TEST(Daemon, CleanShutdownDrainsBeforeTheHooksRun) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  auto d = started(o);
  auto drain = std::make_unique<FakeDrain>();
  FakeDrain* fd = drain.get();
  d->set_drain(std::move(drain));
  std::atomic<bool> hooks_ran{false};
  d->on_shutdown([&] { hooks_ran = true; });
  std::thread t([&] { d->run(); });
  EXPECT_TRUE(d->request_shutdown("test"));
  ASSERT_TRUE(eventually([&] { return fd->started.load(); }));
  EXPECT_FALSE(d->request_shutdown("again"));  // one is under way
  auto ping = control_request({{"op", "ping"}}, o.control);  // still served meanwhile
  EXPECT_TRUE(ping.ok());
  EXPECT_FALSE(hooks_ran);
  asio::post(d->io(), [fd] { fd->done(); });
  t.join();
  EXPECT_TRUE(hooks_ran);
  EXPECT_FALSE(fd->cut);
}

TEST(Daemon, SecondSignalCutsTheDrainShort) {
  TempDir dir;
  DaemonOptions o = test_options(dir);
  auto d = started(o);
  auto drain = std::make_unique<FakeDrain>();
  FakeDrain* fd = drain.get();
  d->set_drain(std::move(drain));
  std::thread t([&] { d->run(); });
  ::kill(::getpid(), SIGTERM);
  ASSERT_TRUE(eventually([&] { return fd->started.load(); }));
  EXPECT_FALSE(fd->cut);
  ::kill(::getpid(), SIGINT);
  t.join();  // stopped without the drain's done
  EXPECT_TRUE(fd->cut);
}

TEST(GuestDrain, WaitsUntilTheGuestsLeft) {
  asio::io_context io;
  int left = 2, refused = 0, sent = 0;
  GuestDrainHooks hooks{[&] { ++refused; }, [&] { return static_cast<size_t>(++sent * 2); },
                        [&] { return std::vector<std::string>(static_cast<size_t>(left), "g"); }};
  GuestDrain drain(io, hooks, std::chrono::seconds(10));
  bool done = false;
  drain.start([&] { done = true; });
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(sent, 1);
  EXPECT_FALSE(done);
  asio::steady_timer t(io);
  t.expires_after(std::chrono::milliseconds(250));
  t.async_wait([&](asio::error_code) { left = 0; });
  auto t0 = std::chrono::steady_clock::now();
  io.run();
  EXPECT_TRUE(done);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(GuestDrain, GivesUpAtTheTimeoutAndStopsWhenCutShort) {
  asio::io_context io;
  GuestDrainHooks hooks{[] {}, [] { return size_t{1}; },
                        [] { return std::vector<std::string>{"stuck"}; }};
  GuestDrain drain(io, hooks, std::chrono::seconds(1));
  bool done = false;
  auto t0 = std::chrono::steady_clock::now();
  drain.start([&] { done = true; });
  io.run();
  EXPECT_TRUE(done);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(950));

  asio::io_context io2;
  GuestDrain drain2(io2, hooks, std::chrono::seconds(30));
  bool done2 = false;
  drain2.start([&] { done2 = true; });
  drain2.cut_short("SIGTERM");
  io2.run();  // nothing left to wait for
  EXPECT_FALSE(done2);
}

TEST(Options, ParsesTheDesignCommandLine) {
  const char* argv[] = {"omxd",        "--foreground", "--node-id", "4",          "--map",
                        "/etc/x.map",  "--listen",     "10.0.0.4",  "--port",     "4670",
                        "--control",   "@omx/t",       "--state-dir", "/var/lib/omx", "--ready-fd",
                        "3",           "--key",        "/etc/omx.key"};
  auto cl = parse_daemon_options(sizeof argv / sizeof *argv, argv);
  ASSERT_TRUE(cl.ok()) << cl.error().message();
  ASSERT_TRUE(cl->options);
  const DaemonOptions& o = *cl->options;
  EXPECT_EQ(o.node_id, 4u);
  EXPECT_EQ(o.map_path, "/etc/x.map");
  EXPECT_EQ(o.listen, "10.0.0.4");
  EXPECT_EQ(o.port, 4670);
  EXPECT_EQ(o.control, "@omx/t");
  EXPECT_EQ(o.state_dir, "/var/lib/omx");
  EXPECT_EQ(o.ready_fd, 3);
  EXPECT_EQ(o.key_file, "/etc/omx.key");
  EXPECT_EQ(o.shutdown_timeout_s, 30u);
  const char* timeout[] = {"omxd", "--foreground", "--node-id", "4", "--shutdown-timeout", "5"};
  auto t = parse_daemon_options(6, timeout);
  ASSERT_TRUE(t.ok() && t->options);
  EXPECT_EQ(t->options->shutdown_timeout_s, 5u);
  const char* too_long[] = {"omxd", "--foreground", "--node-id", "4", "--shutdown-timeout", "7200"};
  EXPECT_FALSE(parse_daemon_options(6, too_long).ok());
  const char* dfsa[] = {"omxd", "--foreground", "--node-id", "4", "--dfsa-dir", "/srv/a",
                        "--dfsa-dir", "/var/tmp/b"};
  auto d = parse_daemon_options(8, dfsa);
  ASSERT_TRUE(d.ok() && d->options);
  EXPECT_EQ(d->options->dfsa_dirs, (std::vector<std::string>{"/srv/a", "/var/tmp/b"}));
  const char* relative[] = {"omxd", "--foreground", "--node-id", "4", "--dfsa-dir", "srv"};
  EXPECT_FALSE(parse_daemon_options(6, relative).ok());
  const char* dots[] = {"omxd", "--foreground", "--node-id", "4", "--dfsa-dir", "/srv/../etc"};
  EXPECT_FALSE(parse_daemon_options(6, dots).ok());
  const char* http[] = {"omxd", "--foreground", "--node-id", "4", "--http", "127.0.0.1:8750",
                        "--http-collector", "/var/lib/omx/history.db", "--http-collector-interval", "2"};
  auto h = parse_daemon_options(10, http);
  ASSERT_TRUE(h.ok() && h->options);
  EXPECT_EQ(h->options->http, "127.0.0.1:8750");
  EXPECT_EQ(h->options->http_collector, "/var/lib/omx/history.db");
  EXPECT_EQ(h->options->http_collector_interval_s, 2);
  EXPECT_TRUE(o.http.empty());  // no dashboard unless asked
  const char* collector_alone[] = {"omxd", "--foreground", "--node-id", "4", "--http-collector", "h.db"};
  auto c = parse_daemon_options(6, collector_alone);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("--http"), std::string::npos);
}

TEST(Options, ErrorsAreOneLine) {
  auto error_of = [](std::vector<const char*> argv) {
    argv.insert(argv.begin(), "omxd");
    auto cl = parse_daemon_options(static_cast<int>(argv.size()), argv.data());
    return cl.ok() ? std::string("ok") : cl.error().message();
  };
  EXPECT_EQ(error_of({"--foreground", "--map", "m"}), "--node-id is required unless --discovery is given (omxd --help for usage)");
  EXPECT_NE(error_of({"--foreground", "--node-id", "0", "--map", "m"}).find("--node-id"),
            std::string::npos);
  EXPECT_NE(error_of({"--foreground", "--node-id", "1", "--map", "m", "--port", "70000"}).find("--port"),
            std::string::npos);
  EXPECT_NE(error_of({"--node-id", "1", "--map", "m"}).find("only --foreground"), std::string::npos);
  EXPECT_NE(error_of({"--foreground", "--node-id", "1", "--map", "m", "--bogus"}).find("--bogus"),
            std::string::npos);
  for (const std::string& e : {error_of({"--node-id", "x"}), error_of({"--bogus"})})
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  const char* help[] = {"omxd", "--help"};
  auto cl = parse_daemon_options(2, help);
  ASSERT_TRUE(cl.ok());
  EXPECT_FALSE(cl->options);
  EXPECT_NE(cl->help.find("--ready-fd"), std::string::npos);
}

}  // namespace
}  // namespace omx::daemon
