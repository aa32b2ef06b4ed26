// Map file parser: good maps expand to the right table; each kind of bad line is rejected with
// "file:line: reason" and no table.
#include <gtest/gtest.h>

#include "cluster/node_map.h"

namespace omx::cluster {
namespace {

// Resolves "alpha" and "beta" only, so tests never touch DNS or /etc/hosts.
Result<Ipv4> fake_resolver(const std::string& host) {
  if (host == "alpha") return *Ipv4::parse("10.1.0.1");
  if (host == "beta") return *Ipv4::parse("10.2.0.1");
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
  auto m = parse("1 alpha 2\n5 beta 1\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(addr(*m, 2), "10.1.0.2");
  EXPECT_EQ(addr(*m, 5), "10.2.0.1");
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

}  // namespace
}  // namespace omx::cluster
