// Map file parser: good maps expand to the right table; each kind of bad line is rejected with
// "file:line: reason" and no table.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

#include "base/check.h"
#include "cluster/node_map.h"

namespace omx::cluster {
namespace {

// A fixed /etc/hosts, so tests never touch DNS or the machine's own files: "alpha" and
// "beta", the thesis' names (shared/seeds/004_*, §2.3.1) and the HOWTO's node1..node4.
const std::map<std::string, std::string> kHosts = {
    {"alpha", "10.1.0.1"},         {"beta", "10.2.0.1"},
    {"wezel1.domena.com", "10.10.10.1"}, {"wezel3.domena.com", "10.10.10.3"},
    {"node1", "192.168.1.1"},      {"node2", "192.168.1.2"},
    {"node3", "192.168.1.3"},      {"node4", "192.168.1.4"}};
std::vector<std::string> g_lookups;  // every name the parser asked for

Result<Ipv4> fake_resolver(const std::string& host) {
  g_lookups.push_back(host);
  if (auto it = kHosts.find(host); it != kHosts.end()) return *Ipv4::parse(it->second);
  return make_error(ErrorCode::kInvalid, "cannot resolve host '" + host + "'");
}

Result<NodeMap> parse(std::string_view text) {
  return parse_node_map(text, "test.map", fake_resolver);
}

std::string addr(const NodeMap& m, NodeId id) {
  const NodeEntry* n = m.find(id);
  return n ? n->addr.to_string() : "none";
}

// The error message of parsing text, or "" if it parsed.
std::string error_of(std::string_view text) {
  auto r = parse(text);
  return r.ok() ? "" : r.error().message();
}

TEST(Ipv4, ParsesStrictDottedQuads) {
  EXPECT_EQ(Ipv4::parse("192.168.5.1")->value, 0xc0a80501u);
  EXPECT_EQ(Ipv4::parse("0.0.0.0")->value, 0u);
  EXPECT_EQ(Ipv4::parse("255.255.255.255")->to_string(), "255.255.255.255");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d",
                          "1..2.3", "-1.2.3.4", "1.2.3.4/24"})
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
}

TEST(NodeMap, ExpandsRangesToConsecutiveAddresses) {
  auto m = parse("1 192.168.5.1 2\n10 10.0.0.254 3\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->size(), 5u);
  EXPECT_EQ(addr(*m, 1), "192.168.5.1");
  EXPECT_EQ(addr(*m, 2), "192.168.5.2");
  EXPECT_EQ(addr(*m, 10), "10.0.0.254");
  EXPECT_EQ(addr(*m, 11), "10.0.0.255");
  EXPECT_EQ(addr(*m, 12), "10.0.1.0");  // carries into the next octet
  EXPECT_EQ(m->find(3), nullptr);
  EXPECT_EQ(m->find(1)->line, 1);
  EXPECT_EQ(m->find(12)->line, 2);
}

TEST(NodeMap, IgnoresCommentsBlankLinesAndExtraWhitespace) {
  auto m = parse("# cluster map\n\n   \n\t1\t192.168.5.1   1   # the head node\n"
                 "2 192.168.5.7 1#no space before the comment\r\n# end");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->size(), 2u);
  EXPECT_EQ(addr(*m, 2), "192.168.5.7");
}

TEST(NodeMap, EmptyTextIsAnEmptyMap) {
  auto m = parse("# nothing here\n");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(NodeMap, ResolvesHostNamesThroughTheResolver) {
  g_lookups.clear();
  auto m = parse("1 alpha 1\n5 beta 1\n6 10.3.0.1 1\n5 alpha.example ALIAS\n");
  ASSERT_FALSE(m.ok());  // alpha.example is unknown to the fake resolver
  EXPECT_EQ(m.error().message(), "test.map:4: cannot resolve host 'alpha.example'");
  EXPECT_EQ(g_lookups, (std::vector<std::string>{"alpha", "beta", "alpha.example"}));  // not IPs
  m = parse("1 alpha 1\n5 beta 1\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(addr(*m, 1), "10.1.0.1");
  EXPECT_EQ(addr(*m, 5), "10.2.0.1");
}

TEST(NodeMap, RangesMustStartAtAnAddressNotAName) {
  // The thesis: "when a range is defined the second field must be an IP number, not a name
  // from /etc/hosts". Checked before any lookup.
  g_lookups.clear();
  EXPECT_EQ(error_of("1 alpha 2\n"),
            "test.map:1: a range of 2 nodes must start at an IPv4 address, not at the host "
            "name 'alpha'");
  EXPECT_TRUE(g_lookups.empty());
}

TEST(NodeMap, AliasesAddAddressesToDefinedNodes) {
  // An ALIAS may come before the line defining its node.
  auto m = parse("2 172.16.0.9 ALIAS\n1 192.168.5.1 2\n1 172.16.0.8 alias\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->find(2)->aliases.size(), 1u);
  EXPECT_EQ(m->find(2)->aliases[0].to_string(), "172.16.0.9");
  EXPECT_EQ(m->find_by_addr(*Ipv4::parse("172.16.0.8"))->id, 1u);
  EXPECT_EQ(m->find_by_addr(*Ipv4::parse("192.168.5.2"))->id, 2u);
  EXPECT_EQ(m->find_by_addr(*Ipv4::parse("192.168.5.3")), nullptr);
}

TEST(NodeMap, FormatRoundTrips) {
  auto m = parse("1 192.168.5.1 3\n7 10.0.0.1 1\n8 10.0.0.9 1\n2 172.16.0.1 ALIAS\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->format(), "1 192.168.5.1 3\n7 10.0.0.1 1\n8 10.0.0.9 1\n2 172.16.0.1 ALIAS\n");
  auto again = parse(m->format());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->format(), m->format());
}

TEST(NodeMap, RejectsWrongFieldCounts) {
  EXPECT_EQ(error_of("1 192.168.5.1 1\n1 192.168.5.2\n"),
            "test.map:2: expected 'first-id host count' or 'id address ALIAS', found 2 fields");
  EXPECT_EQ(error_of("\n\n1 192.168.5.1 1 extra\n"),
            "test.map:3: expected 'first-id host count' or 'id address ALIAS', found 4 fields");
  EXPECT_EQ(error_of("1\n"),
            "test.map:1: expected 'first-id host count' or 'id address ALIAS', found 1 field");
}

TEST(NodeMap, RejectsBadNodeIds) {
  EXPECT_EQ(error_of("x 192.168.5.1 1"), "test.map:1: node id 'x' is not a number");
  EXPECT_EQ(error_of("-1 192.168.5.1 1"), "test.map:1: node id '-1' is not a number");
  EXPECT_EQ(error_of("1x 192.168.5.1 1"), "test.map:1: node id '1x' is not a number");
  EXPECT_EQ(error_of("0 192.168.5.1 1"), "test.map:1: node id 0 is out of range 1..65535");
  EXPECT_EQ(error_of("65536 192.168.5.1 1"), "test.map:1: node id 65536 is out of range 1..65535");
  EXPECT_EQ(error_of("99999999999 192.168.5.1 1"),
            "test.map:1: node id 99999999999 is out of range 1..65535");
}

TEST(NodeMap, RejectsBadCounts) {
  EXPECT_EQ(error_of("1 192.168.5.1 0"),
            "test.map:1: count '0' must be a positive number (or the word ALIAS)");
  EXPECT_EQ(error_of("1 192.168.5.1 two"),
            "test.map:1: count 'two' must be a positive number (or the word ALIAS)");
  EXPECT_EQ(error_of("65535 192.168.5.1 2"),
            "test.map:1: ids 65535..65536 go past the largest node id 65535");
  EXPECT_EQ(error_of("1 255.255.255.250 10"),
            "test.map:1: 10 addresses from 255.255.255.250 run past 255.255.255.254");
}

TEST(NodeMap, RejectsBadAddresses) {
  EXPECT_EQ(error_of("1 192.168.5 1"), "test.map:1: '192.168.5' is not a valid IPv4 address");
  EXPECT_EQ(error_of("1 300.1.1.1 1"), "test.map:1: '300.1.1.1' is not a valid IPv4 address");
  EXPECT_EQ(error_of("1 0.0.0.0 1"), "test.map:1: 0.0.0.0 cannot be a node address");
  EXPECT_EQ(error_of("1 224.0.0.1 1"), "test.map:1: 224.0.0.1 cannot be a node address");
  EXPECT_EQ(error_of("1 gamma 1"), "test.map:1: cannot resolve host 'gamma'");
}

TEST(NodeMap, RejectsDuplicates) {
  EXPECT_EQ(error_of("1 192.168.5.1 3\n3 192.168.6.1 1\n"),
            "test.map:2: node 3 is already defined at line 1");
  EXPECT_EQ(error_of("1 192.168.5.1 3\n9 192.168.5.2 1\n"),
            "test.map:2: address 192.168.5.2 already belongs to node 2 (line 1)");
  EXPECT_EQ(error_of("1 192.168.5.1 2\n2 192.168.5.1 ALIAS\n"),
            "test.map:2: address 192.168.5.1 already belongs to node 1 (line 1)");
}

TEST(NodeMap, RejectsAliasesOfUnknownNodes) {
  EXPECT_EQ(error_of("1 192.168.5.1 1\n4 172.16.0.1 ALIAS\n"),
            "test.map:2: ALIAS for node 4, which the map does not define");
}

TEST(NodeMap, LoadsFilesAndNamesThemInErrors) {
  auto missing = load_node_map("/nonexistent/omx.map", fake_resolver);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "open map file /nonexistent/omx.map: No such file or directory");
  char path[] = "/tmp/omx-map-test.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = "1 10.9.0.1 2\n3 10.9.0.3\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto bad = load_node_map(path, fake_resolver);
  unlink(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            std::string(path) +
                ":2: expected 'first-id host count' or 'id address ALIAS', found 2 fields");
}

// --- the maps of the seeds (shared/seeds/) ---------------------------------------------------

NodeMap must_parse(std::string_view text) {
  auto m = parse(text);
  OMX_CHECK(m.ok(), "%s", m.error().message().c_str());
  return std::move(*m);
}

// Thesis (004_*), §2.3.1, diagram 2: three equivalent /etc/openmosix.map contents, given
// /etc/hosts names wezel1.domena.com = 10.10.10.1 and wezel3.domena.com = 10.10.10.3.
TEST(SeedMaps, ThesisThreeEquivalentMapsGiveOneTable) {
  NodeMap a = must_parse(
      "1 wezel1.domena.com 1\n2 10.10.10.2 1\n3 wezel3.domena.com 1\n4 10.10.10.4 1\n");
  NodeMap b = must_parse("1 10.10.10.1 1\n2 10.10.10.2 1\n3 10.10.10.3 1\n4 10.10.10.4 1\n");
  NodeMap c = must_parse("1 10.10.10.1 4\n");
  // "All three define four relations between node ids 1, 2, 3, 4 and the IP numbers
  // 10.10.10.1, 10.10.10.2, 10.10.10.3, 10.10.10.4 respectively."
  for (const NodeMap* m : {&a, &b, &c}) {
    ASSERT_EQ(m->size(), 4u);
    for (NodeId id = 1; id <= 4; ++id) {
      EXPECT_EQ(addr(*m, id), "10.10.10." + std::to_string(id));
      EXPECT_TRUE(m->find(id)->aliases.empty());
    }
  }
  EXPECT_TRUE(a.same_table(b));
  EXPECT_TRUE(b.same_table(c));
  EXPECT_TRUE(c.same_table(a));
  EXPECT_EQ(a.format(), "1 10.10.10.1 4\n");  // what setpe -r prints for each of them
  EXPECT_FALSE(c.same_table(must_parse("1 10.10.10.1 3\n")));
  EXPECT_FALSE(c.same_table(must_parse("1 10.10.10.2 4\n")));
}

// Thesis, diagram 3: ALIAS makes 192.168.0.1 a second address of node 4 (besides 10.10.10.4).
TEST(SeedMaps, ThesisAliasExample) {
  NodeMap m = must_parse(
      "1 10.10.10.1 1\n2 10.10.10.2 1\n3 10.10.10.3 1\n4 10.10.10.4 1\n4 192.168.0.1 ALIAS\n");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(addr(m, 4), "10.10.10.4");
  ASSERT_EQ(m.find(4)->aliases.size(), 1u);
  EXPECT_EQ(m.find(4)->aliases[0].to_string(), "192.168.0.1");
  EXPECT_EQ(m.find_by_addr(*Ipv4::parse("192.168.0.1"))->id, 4u);
  EXPECT_EQ(m.find_by_addr(*Ipv4::parse("10.10.10.4"))->id, 4u);
  // The same table written the other ways of diagram 2, alias first or last.
  EXPECT_TRUE(m.same_table(must_parse("4 192.168.0.1 ALIAS\n1 10.10.10.1 4\n")));
  EXPECT_TRUE(m.same_table(must_parse("1 wezel1.domena.com 1\n2 10.10.10.2 1\n"
                                      "3 wezel3.domena.com 1\n4 10.10.10.4 1\n"
                                      "4 192.168.0.1 ALIAS\n")));
  EXPECT_EQ(m.format(), "1 10.10.10.1 4\n4 192.168.0.1 ALIAS\n");
  EXPECT_FALSE(m.same_table(must_parse("1 10.10.10.1 4\n")));  // the alias counts
  // "The id in an ALIAS line must also appear in another line without that word."
  EXPECT_EQ(error_of("1 10.10.10.1 3\n4 192.168.0.1 ALIAS\n"),
            "test.map:2: ALIAS for node 4, which the map does not define");
}

// HOWTO (002_*): names, single lines and one range are the same 4-node map; ALIAS adds an
// interface to node 4.
TEST(SeedMaps, HowtoExamples) {
  NodeMap names = must_parse("1 node1 1\n2 node2 1\n3 node3 1\n4 node4 1\n");
  NodeMap lines = must_parse("1 192.168.1.1 1\n2 192.168.1.2 1\n3 192.168.1.3 1\n4 192.168.1.4 1\n");
  NodeMap range = must_parse("1 192.168.1.1 4\n");
  EXPECT_TRUE(names.same_table(lines));
  EXPECT_TRUE(lines.same_table(range));
  NodeMap alias = must_parse(
      "1 192.168.1.1 1\n2 192.168.1.2 1\n3 192.168.1.3 1\n4 192.168.1.4 1\n"
      "4 192.168.10.10 ALIAS\n");
  EXPECT_EQ(alias.find_by_addr(*Ipv4::parse("192.168.10.10"))->id, 4u);
  // The reference (§3.1): "1 192.168.5.1 2" covers .1 and .2, like two single lines.
  EXPECT_TRUE(must_parse("1 192.168.5.1 2\n").same_table(
      must_parse("1 192.168.5.1 1\n2 192.168.5.2 1\n")));
}

// The Chinese LTSP guide (001_*): the gateway server 192.168.0.254 is node 1, the 253 clients
// from 192.168.0.1 are nodes 2..254.
TEST(SeedMaps, LtspGuideMap) {
  NodeMap m = must_parse("1 192.168.0.254 1\n2 192.168.0.1 253\n");
  ASSERT_EQ(m.size(), 254u);
  EXPECT_EQ(addr(m, 1), "192.168.0.254");
  EXPECT_EQ(addr(m, 2), "192.168.0.1");
  EXPECT_EQ(addr(m, 100), "192.168.0.99");
  EXPECT_EQ(addr(m, 254), "192.168.0.253");
  EXPECT_EQ(m.find(255), nullptr);
  EXPECT_EQ(m.find_by_addr(*Ipv4::parse("192.168.0.254"))->id, 1u);
  EXPECT_EQ(m.find_by_addr(*Ipv4::parse("192.168.0.253"))->id, 254u);
  EXPECT_EQ(m.format(), "1 192.168.0.254 1\n2 192.168.0.1 253\n");
}

// The Russian LTSP guide (000_*): "1 192.168.0.1 1" and "2 192.168.0.100 10".
TEST(SeedMaps, RussianGuideMap) {
  NodeMap m = must_parse("1 192.168.0.1 1\n2 192.168.0.100 10\n");
  ASSERT_EQ(m.size(), 11u);
  EXPECT_EQ(addr(m, 2), "192.168.0.100");
  EXPECT_EQ(addr(m, 11), "192.168.0.109");
}

// The LTSP guide's "more than 254 nodes": a gateway node holds an address on a second subnet,
// marked ALIAS, and the nodes behind it are numbered on from there. As printed the example
// gives 192.168.1.1 both to the gateway (node 2's ALIAS) and to node 3, the first of
// "3 192.168.1.1 254"; one address cannot name two nodes, so that map is refused with the
// line and the reason, and nothing is loaded.
TEST(SeedMaps, LtspGatewayAliasBeyond254Nodes) {
  const char* as_printed =
      "1 192.168.0.254 1\n2 192.168.0.1 1\n2 192.168.1.1 ALIAS\n3 192.168.1.1 254\n";
  EXPECT_EQ(error_of(as_printed),
            "test.map:3: address 192.168.1.1 already belongs to node 3 (line 4)");
  // The layout it describes, with the nodes behind the gateway starting after its address:
  // 255 nodes on two subnets, the gateway reachable under both.
  NodeMap m = must_parse(
      "1 192.168.0.254 1\n2 192.168.0.1 1\n2 192.168.1.1 ALIAS\n3 192.168.1.2 253\n");
  ASSERT_EQ(m.size(), 255u);
  EXPECT_EQ(addr(m, 2), "192.168.0.1");
  EXPECT_EQ(m.find_by_addr(*Ipv4::parse("192.168.1.1"))->id, 2u);
  EXPECT_EQ(addr(m, 3), "192.168.1.2");
  EXPECT_EQ(addr(m, 255), "192.168.1.254");
  EXPECT_EQ(m.find(256), nullptr);
  // Ids go on up to 65535 the same way, a gateway ALIAS per further subnet.
  NodeMap big = must_parse(
      "1 192.168.0.254 1\n2 192.168.0.1 1\n2 192.168.1.1 ALIAS\n3 192.168.1.2 253\n"
      "256 192.168.2.1 1\n256 192.168.3.1 ALIAS\n257 192.168.3.2 253\n");
  EXPECT_EQ(big.size(), 509u);
  EXPECT_EQ(addr(big, 509), "192.168.3.254");
  EXPECT_EQ(big.find_by_addr(*Ipv4::parse("192.168.3.1"))->id, 256u);
}

// --- every kind of bad line, in one file each, gives file:line and no table ------------------

TEST(NodeMap, EveryBadLineNamesFileLineAndReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"1 10.0.0.1\n", "expected 'first-id host count' or 'id address ALIAS', found 2 fields"},
      {"1 10.0.0.1 1 x\n", "expected 'first-id host count' or 'id address ALIAS', found 4 fields"},
      {"one 10.0.0.1 1\n", "node id 'one' is not a number"},
      {"0 10.0.0.1 1\n", "node id 0 is out of range 1..65535"},
      {"70000 10.0.0.1 1\n", "node id 70000 is out of range 1..65535"},
      {"1 10.0.0.1 -3\n", "count '-3' must be a positive number (or the word ALIAS)"},
      {"1 10.0.0.1 ALIASES\n", "count 'ALIASES' must be a positive number (or the word ALIAS)"},
      {"65000 10.0.0.1 600\n", "ids 65000..65599 go past the largest node id 65535"},
      {"1 10.0.0.256 1\n", "'10.0.0.256' is not a valid IPv4 address"},
      {"1 255.255.255.255 1\n", "255.255.255.255 cannot be a node address"},
      {"1 nosuchhost 1\n", "cannot resolve host 'nosuchhost'"},
      {"1 alpha 3\n", "a range of 3 nodes must start at an IPv4 address, not at the host name 'alpha'"},
      {"1 10.0.0.1 1\n1 10.0.0.9 1\n", "node 1 is already defined at line 3"},
      {"1 10.0.0.1 1\n2 10.0.0.1 1\n", "address 10.0.0.1 already belongs to node 1 (line 3)"},
      {"1 10.0.0.1 1\n1 10.0.0.1 ALIAS\n", "address 10.0.0.1 already belongs to node 1 (line 3)"},
      {"1 10.0.0.1 1\n2 10.0.0.7 ALIAS\n", "ALIAS for node 2, which the map does not define"},
  };
  for (const auto& [text, reason] : cases) {
    // The bad line comes after good ones and a comment, and good lines follow it: the error
    // names its line, and there is no table at all (Result holds either a map or the error).
    std::string file = std::string("# header\n100 10.9.0.1 5\n") + text + "200 10.8.0.1 1\n";
    int bad_line = 3 + static_cast<int>(std::count(text, text + std::strlen(text), '\n')) - 1;
    auto r = parse(file);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().message(), "test.map:" + std::to_string(bad_line) + ": " + reason) << text;
  }
}

TEST(NodeMap, FindsTheFirstMapFileThatExists) {
  char dir[] = "/tmp/omx-mapfind.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string d = dir;
  std::vector<std::string> paths = {d + "/omx/openmosix.map", d + "/openmosix.map",
                                    d + "/mosix.map", d + "/hpc.map"};
  std::vector<std::string_view> views(paths.begin(), paths.end());
  auto none = find_map_file(views);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(), "no map file: none of " + paths[0] + ", " + paths[1] + ", " +
                                        paths[2] + ", " + paths[3] + " exists");
  auto touch = [](const std::string& p) { close(open(p.c_str(), O_CREAT | O_WRONLY, 0644)); };
  touch(paths[3]);
  EXPECT_EQ(*find_map_file(views), paths[3]);
  touch(paths[2]);
  EXPECT_EQ(*find_map_file(views), paths[2]);
  touch(paths[1]);
  EXPECT_EQ(*find_map_file(views), paths[1]);
  mkdir((d + "/omx").c_str(), 0755);
  touch(paths[0]);
  EXPECT_EQ(*find_map_file(views), paths[0]);
  for (const auto& p : paths) unlink(p.c_str());
  rmdir((d + "/omx").c_str());
  rmdir(dir);
  // The default order is the issue's: omx's own file, then the HOWTO's three.
  EXPECT_EQ(kDefaultMapFiles[0], "/etc/omx/openmosix.map");
  EXPECT_EQ(kDefaultMapFiles[1], "/etc/openmosix.map");
  EXPECT_EQ(kDefaultMapFiles[2], "/etc/mosix.map");
  EXPECT_EQ(kDefaultMapFiles[3], "/etc/hpc.map");
}

TEST(NodeMap, DiffNamesAddedRemovedAndChangedNodes) {
  NodeMap from = must_parse("1 10.0.0.1 4\n3 10.5.0.3 ALIAS\n");
  NodeMap to = must_parse("1 10.0.0.1 2\n4 10.0.0.9 1\n6 10.0.0.6 2\n");
  NodeMapDiff d = diff_node_maps(from, to);
  EXPECT_EQ(d.added, (std::vector<NodeId>{6, 7}));
  EXPECT_EQ(d.removed, (std::vector<NodeId>{3}));
  EXPECT_EQ(d.changed, (std::vector<NodeId>{4}));
  EXPECT_TRUE(diff_node_maps(from, from).empty());
  EXPECT_TRUE(diff_node_maps(must_parse("1 10.10.10.1 4\n"),
                             must_parse("4 10.10.10.4 1\n1 10.10.10.1 3\n"))
                  .empty());
}

TEST(NodeMap, FormatsIdLists) {
  EXPECT_EQ(format_id_list({}), "-");
  EXPECT_EQ(format_id_list({5}), "5");
  EXPECT_EQ(format_id_list({1, 2, 3, 7, 9, 10}), "1-3,7,9-10");
}

}  // namespace
}  // namespace omx::cluster
