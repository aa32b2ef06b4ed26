// The dashboard's pure parts: Host and Content-Type checks, static paths (no way out of the
// web root), the Cluster view and its efficiency, actions as CLI commands and their answers,
// and /metrics parsed with the exposition format's strict rules.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "dashboard/actions.h"
#include "dashboard/cluster_view.h"
#include "dashboard/metrics.h"
#include "dashboard/request_guard.h"
#include "dashboard/static_files.h"

namespace omx::dashboard {
namespace {

using nlohmann::json;

TEST(DashboardGuard, ListenAddresses) {
  EXPECT_EQ(parse_listen("127.0.0.1:8750")->port, 8750);
  EXPECT_EQ(parse_listen("8750")->host, "127.0.0.1");
  EXPECT_EQ(parse_listen(":9000")->port, 9000);
  EXPECT_EQ(parse_listen("[::1]:8750")->host, "::1");
  EXPECT_EQ(parse_listen("0.0.0.0:80")->host, "0.0.0.0");
  EXPECT_FALSE(parse_listen("127.0.0.1"));
  EXPECT_FALSE(parse_listen("example.com:80"));
  EXPECT_FALSE(parse_listen("127.0.0.1:0"));
  EXPECT_FALSE(parse_listen("127.0.0.1:70000"));
  EXPECT_EQ(format_host_port(*parse_listen("[::1]:8750")), "[::1]:8750");
}

TEST(DashboardGuard, HostMustNameThisServer) {
  ListenAddress lo{"127.0.0.1", 8750};
  EXPECT_FALSE(check_host("127.0.0.1:8750", lo));
  EXPECT_FALSE(check_host("localhost:8750", lo));
  EXPECT_FALSE(check_host("LOCALHOST:8750", lo));
  EXPECT_FALSE(check_host("[::1]:8750", lo));
  EXPECT_TRUE(check_host("evil.example:8750", lo));   // DNS rebinding
  EXPECT_TRUE(check_host("127.0.0.1:8751", lo));      // another port
  EXPECT_TRUE(check_host("127.0.0.1", lo));           // port 80
  EXPECT_TRUE(check_host("", lo));
  EXPECT_TRUE(check_host("127.0.0.1:87a0", lo));
  ListenAddress any{"0.0.0.0", 8750};
  EXPECT_FALSE(check_host("198.18.0.1:8750", any));  // an IP literal of this host
  EXPECT_TRUE(check_host("cluster.example:8750", any));
  ListenAddress eth{"198.18.0.1", 8750};
  EXPECT_FALSE(check_host("198.18.0.1:8750", eth));
  EXPECT_TRUE(check_host("198.18.0.2:8750", eth));
  auto why = check_host("evil.example:8750", lo);
  ASSERT_TRUE(why);
  EXPECT_EQ(why->find('\n'), std::string::npos);
  EXPECT_NE(why->find("evil.example"), std::string::npos);
}

TEST(DashboardGuard, PostsNeedJson) {
  EXPECT_FALSE(check_content_type("POST", "application/json"));
  EXPECT_FALSE(check_content_type("POST", "application/json; charset=utf-8"));
  EXPECT_FALSE(check_content_type("POST", "Application/JSON"));
  EXPECT_TRUE(check_content_type("POST", "text/plain"));
  EXPECT_TRUE(check_content_type("POST", "application/x-www-form-urlencoded"));
  EXPECT_TRUE(check_content_type("POST", "multipart/form-data; boundary=x"));
  EXPECT_TRUE(check_content_type("POST", ""));
  EXPECT_FALSE(check_content_type("GET", ""));
}

class StaticRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/omx-web-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/web";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/api").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/api/docs").c_str(), 0755), 0);
    write(root_ + "/index.html", "<html>");
    write(root_ + "/app.js", "x");
    write(root_ + "/api/docs/index.html", "docs");
    write(base_ + "/secret", "outside");
    ASSERT_EQ(::symlink((base_ + "/secret").c_str(), (root_ + "/link").c_str()), 0);
  }
  void TearDown() override { (void)std::system(("rm -rf " + base_).c_str()); }
  static void write(const std::string& p, const std::string& s) { std::ofstream(p) << s; }
  std::string base_, root_;
};

TEST_F(StaticRoot, ServesFilesAndIndexes) {
  EXPECT_EQ(resolve_static(root_, "/"), root_ + "/index.html");
  EXPECT_EQ(resolve_static(root_, "/app.js"), root_ + "/app.js");
  EXPECT_EQ(resolve_static(root_, "/api/docs/"), root_ + "/api/docs/index.html");
  EXPECT_EQ(resolve_static(root_, "/api/docs"), root_ + "/api/docs/index.html");
  EXPECT_FALSE(resolve_static(root_, "/missing.js"));
}

TEST_F(StaticRoot, NoWayOut) {
  EXPECT_FALSE(resolve_static(root_, "/../secret"));
  EXPECT_FALSE(resolve_static(root_, "/api/../../secret"));
  EXPECT_FALSE(resolve_static(root_, "/./app.js"));
  EXPECT_FALSE(resolve_static(root_, "//etc/passwd"));
  EXPECT_FALSE(resolve_static(root_, "/link"));  // a symlink leading outside
  EXPECT_FALSE(resolve_static(root_, "/..\\secret"));
  EXPECT_FALSE(resolve_static(root_, std::string("/app.js\0.html", 13)));
  EXPECT_FALSE(resolve_static(root_, "app.js"));
  EXPECT_FALSE(resolve_static(base_ + "/nonexistent", "/"));
}

TEST(DashboardStatic, MimeTypes) {
  EXPECT_EQ(mime_type("/x/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("openapi.yaml"), "application/yaml");
  EXPECT_EQ(mime_type("blob"), "application/octet-stream");
}

json node(int id, bool up, int load, int speed, int ncpus) {
  return {{"id", id}, {"addr", "198.18.0." + std::to_string(id)}, {"state", up ? "up" : "down"},
          {"self", id == 1}, {"load", load}, {"speed", speed}, {"ncpus", ncpus},
          {"mem_used", 1000 * id}, {"mem_total", 4000}, {"guests", 0}, {"local_procs", id},
          {"migrations_1m", 0}, {"status", {{"stay", false}}}};
}

TEST(DashboardView, Efficiency) {
  json nodes = json::array({{{"up", true}, {"load", 0}, {"speed", 10000}, {"ncpus", 1}}});
  EXPECT_DOUBLE_EQ(efficiency(nodes), 100.0);  // idle
  nodes = json::array({{{"up", true}, {"load", 100}, {"speed", 10000}, {"ncpus", 1}},
                       {{"up", true}, {"load", 100}, {"speed", 10000}, {"ncpus", 1}}});
  EXPECT_DOUBLE_EQ(efficiency(nodes), 100.0);  // equal
  nodes = json::array({{{"up", true}, {"load", 200}, {"speed", 10000}, {"ncpus", 1}},
                       {{"up", true}, {"load", 0}, {"speed", 10000}, {"ncpus", 1}}});
  EXPECT_DOUBLE_EQ(efficiency(nodes), 50.0);  // all on one of two
  // Capacity counts: 200 on a node of 2 CPUs equals 100 on a node of one.
  nodes = json::array({{{"up", true}, {"load", 200}, {"speed", 10000}, {"ncpus", 2}},
                       {{"up", true}, {"load", 100}, {"speed", 10000}, {"ncpus", 1}},
                       {{"up", false}, {"load", 900}, {"speed", 10000}, {"ncpus", 1}}});
  EXPECT_DOUBLE_EQ(efficiency(nodes), 100.0);
  nodes = json::array({{{"up", true}, {"load", 100}, {"speed", 20000}, {"ncpus", 1}},
                       {{"up", true}, {"load", 100}, {"speed", 10000}, {"ncpus", 1}}});
  EXPECT_DOUBLE_EQ(efficiency(nodes), 75.0);  // 0.5 and 1.0: mean 0.75 over max 1
}

TEST(DashboardView, ClusterFromNodesReply) {
  json reply = {{"ok", true}, {"node", 1},
                {"nodes", {node(1, true, 100, 10000, 2), node(2, true, 50, 10000, 2), node(3, false, 0, 0, 0)}}};
  json c = cluster_view(reply, 1234);
  EXPECT_EQ(c["self"], 1);
  EXPECT_EQ(c["time"], 1234);
  ASSERT_EQ(c["nodes"].size(), 3u);
  EXPECT_EQ(c["nodes"][0]["up"], true);
  EXPECT_EQ(c["nodes"][2]["up"], false);
  EXPECT_EQ(c["nodes"][0]["addr"], "198.18.0.1");
  EXPECT_EQ(c["cluster"]["nodes"], 3);
  EXPECT_EQ(c["cluster"]["nodes_up"], 2);
  EXPECT_EQ(c["cluster"]["load"], 150);
  EXPECT_EQ(c["cluster"]["ncpus"], 4);
  EXPECT_EQ(c["cluster"]["mem_used"], 3000);
  EXPECT_EQ(c["cluster"]["mem_total"], 8000);
  EXPECT_DOUBLE_EQ(c["cluster"]["efficiency"].get<double>(), 75.0);
}

TEST(DashboardView, ProcessRows) {
  json ps = {{"node", 2}, {"processes", {{{"pid", 10}, {"migratable", true}, {"home", 2}, {"home_pid", 10},
                                          {"where", 3}, {"comm", "cpu"}, {"vsz_kib", 1}},
                                         {{"pid", 11}, {"migratable", false}}}}};
  json rows = process_rows(ps, 2);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["node"], 2);
  EXPECT_EQ(rows[0]["where"], 3);
  EXPECT_FALSE(rows[0].contains("vsz_kib"));
}

TEST(DashboardActions, ProcessActionsAreCliCommands) {
  EXPECT_EQ(*process_action_argv("migrate", 42, {{"to", 2}}), (Argv{"omx", "migrate", "42", "2"}));
  EXPECT_EQ(*process_action_argv("migrate", 42, {{"to", "home"}}), (Argv{"omx", "migrate", "42", "home"}));
  EXPECT_EQ(*process_action_argv("migrate", 42, {{"to", "best"}}), (Argv{"omx", "migrate", "42", "balance"}));
  EXPECT_FALSE(process_action_argv("migrate", 42, {{"to", 0}}).ok());
  EXPECT_FALSE(process_action_argv("migrate", 42, {{"to", "2; rm -rf /"}}).ok());
  EXPECT_FALSE(process_action_argv("migrate", 42, json::object()).ok());
  EXPECT_EQ(*process_action_argv("lock", 42, {}), (Argv{"omx", "lock", "42"}));
  EXPECT_EQ(*process_action_argv("unlock", 42, {}), (Argv{"omx", "unlock", "42"}));
  EXPECT_EQ(*process_action_argv("signal", 42, {{"signal", "STOP"}}), (Argv{"kill", "-s", "STOP", "42"}));
  EXPECT_FALSE(process_action_argv("signal", 42, {{"signal", "SEGV"}}).ok());
  EXPECT_EQ(*process_action_argv("renice", 42, {{"nice", -5}}), (Argv{"renice", "-n", "-5", "-p", "42"}));
  EXPECT_FALSE(process_action_argv("renice", 42, {{"nice", 20}}).ok());
  EXPECT_FALSE(process_action_argv("renice", 42, {{"nice", "5"}}).ok());
}

TEST(DashboardActions, SettingsInOrder) {
  auto a = settings_argvs({{"quiet", true}, {"speed", 20000}, {"block", false}, {"stay", true}, {"mfs", false}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, (std::vector<Argv>{{"omx", "mosctl", "setspeed", "20000"}, {"omx", "mosctl", "stay"},
                                   {"omx", "mosctl", "noblock"}, {"omx", "mosctl", "quiet"},
                                   {"omx", "mosctl", "nomfs"}}));
  EXPECT_FALSE(settings_argvs(json::object()).ok());
  EXPECT_FALSE(settings_argvs({{"speed", 0}}).ok());
  EXPECT_FALSE(settings_argvs({{"stay", "yes"}}).ok());
  EXPECT_FALSE(settings_argvs({{"shutdown", true}}).ok());
}

TEST(DashboardActions, OutcomesBecomeHttpAnswers) {
  EXPECT_EQ(command_reply(CommandResult{0, "moved\n", "", false}, 1).status, 200);
  HttpReply failed = command_reply(CommandResult{3, "", "usage...\nmigrate: process 7 belongs to root: only it or root may move it\n", false}, 1);
  EXPECT_EQ(failed.status, 422);
  EXPECT_EQ(failed.body["ok"], false);
  EXPECT_EQ(failed.body["error"], "migrate: process 7 belongs to root: only it or root may move it");
  EXPECT_EQ(command_reply(CommandResult{-9, "", "", true}, 1).status, 504);
  EXPECT_EQ(command_reply(Result<CommandResult>(make_error(ErrorCode::kTimeout, "relay")), 2).status, 504);
  EXPECT_EQ(command_reply(Result<CommandResult>(sys_error("connect", 0, ECONNREFUSED)), 2).status, 502);
  EXPECT_EQ(command_reply(Result<CommandResult>(make_error(ErrorCode::kRefused, "not allowed")), 2).status, 500);
  EXPECT_EQ(last_line("a\nb\n\n"), "b");
  EXPECT_EQ(last_line(""), "");
}

TEST(DashboardMetrics, LabelEscaping) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

// The text format's rules, strictly: every sample belongs to the family announced by the HELP
// and TYPE lines just before it (one each, HELP first), names and labels are well-formed, label
// values are properly escaped, values parse as numbers, no family appears twice.
void parse_exposition(const std::string& text, std::map<std::string, double>& samples) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN))");
  ASSERT_FALSE(text.empty());
  ASSERT_EQ(text.back(), '\n');
  std::istringstream in(text);
  std::string line, family, helped;
  std::set<std::string> seen;
  std::smatch m;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty()) << "empty line";
    if (std::regex_match(line, m, kHelp)) {
      ASSERT_TRUE(seen.insert(m[1]).second) << "family twice: " << m[1];
      helped = m[1];
      family.clear();
    } else if (std::regex_match(line, m, kType)) {
      ASSERT_EQ(m[1], helped) << "TYPE without its HELP: " << line;
      family = m[1];
    } else if (std::regex_match(line, m, kSample)) {
      ASSERT_EQ(m[1], family) << "sample outside its family: " << line;
      std::string key = line.substr(0, line.rfind(' '));
      ASSERT_TRUE(samples.emplace(key, std::stod(line.substr(line.rfind(' ') + 1))).second) << "duplicate " << key;
    } else {
      FAIL() << "not a valid exposition line: '" << line << "'";
    }
  }
}

TEST(DashboardMetrics, ParsesStrictly) {
  json reply = {{"node", 1}, {"nodes", {node(1, true, 100, 10000, 2), node(2, true, 50, 10000, 2), node(3, false, 0, 0, 0)}}};
  std::string text = render_metrics(cluster_view(reply, 1), {{"out", 3}, {"home", 2}, {"in", 1}});
  std::map<std::string, double> s;
  parse_exposition(text, s);
  EXPECT_EQ(s["omx_node_up{node=\"1\"}"], 1);
  EXPECT_EQ(s["omx_node_up{node=\"3\"}"], 0);
  EXPECT_EQ(s["omx_node_load{node=\"2\"}"], 50);
  EXPECT_FALSE(s.count("omx_node_load{node=\"3\"}"));  // down: no figures
  EXPECT_EQ(s["omx_node_cpus{node=\"1\"}"], 2);
  EXPECT_EQ(s["omx_node_memory_used_bytes{node=\"2\"}"], 2000);
  EXPECT_EQ(s["omx_node_local_processes{node=\"1\"}"], 1);
  EXPECT_EQ(s["omx_cluster_nodes_up"], 2);
  EXPECT_EQ(s["omx_cluster_nodes"], 3);
  EXPECT_EQ(s["omx_cluster_load"], 150);
  EXPECT_DOUBLE_EQ(s["omx_cluster_efficiency_percent"], 75);
  EXPECT_EQ(s["omx_migrations_total{direction=\"out\"}"], 3);
  EXPECT_EQ(s["omx_migrations_total{direction=\"in\"}"], 1);
  for (const char* f : {"omx_node_speed", "omx_node_memory_total_bytes", "omx_node_guests",
                        "omx_node_migrations_last_minute"})
    EXPECT_NE(text.find(std::string("# TYPE ") + f + " gauge\n"), std::string::npos) << f;
  EXPECT_NE(text.find("# TYPE omx_migrations_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace omx::dashboard
