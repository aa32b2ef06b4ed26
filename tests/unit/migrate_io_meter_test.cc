// The I/O meter (migrate/io_meter.h) on a fake clock, and the kBodyStats payload that carries
// its figures home (both forms: the first 16-byte one and the one with the meter's fields).
#include <gtest/gtest.h>

#include <cmath>

#include "migrate/io_meter.h"
#include "migrate/protocol.h"
#include "wire/codec.h"

namespace omx::migrate {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using T = IoMeter::Clock::time_point;

const T kT0 = T{} + seconds(1000);

// Calls of `call` that each wait `wait` for home, one after the other, from `from` for `span`;
// returns the end of the last.
T run_calls(IoMeter& m, T from, IoMeter::Clock::duration span, IoMeter::Clock::duration call,
            IoMeter::Clock::duration wait, uint64_t bytes = 1) {
  T t = from;
  while (t + call <= from + span) {
    t += call;
    m.on_forward(t, wait, bytes, 0);
  }
  return t;
}

TEST(IoMeter, NothingForwardedIsNoWait) {
  IoMeter m(kT0);
  EXPECT_EQ(m.window(kT0).wait, 0);  // no time elapsed: no division by zero
  auto s = m.window(kT0 + seconds(5));
  EXPECT_EQ(s.wait, 0);
  EXPECT_EQ(s.calls_per_s, 0);
}

TEST(IoMeter, SteadyWaitingIsItsFraction) {
  // Every 1 ms a call that waited 0.9 ms: 90 % waiting, 1000 calls/s, 100 bytes each.
  IoMeter m(kT0);
  T end = run_calls(m, kT0, seconds(10), milliseconds(1), std::chrono::microseconds(900), 100);
  auto s = m.window(end);
  EXPECT_NEAR(s.wait, 0.9, 0.01);
  EXPECT_NEAR(s.calls_per_s, 1000, 10);
  EXPECT_NEAR(s.bytes_per_s, 100000, 1000);
  // Already right after half a second (the window is normalised by the time since the start).
  IoMeter young(kT0);
  end = run_calls(young, kT0, milliseconds(500), milliseconds(1), std::chrono::microseconds(900));
  EXPECT_NEAR(young.window(end).wait, 0.9, 0.02);
}

TEST(IoMeter, ItDecaysOverAFewSeconds) {
  IoMeter m(kT0);
  T end = run_calls(m, kT0, seconds(10), milliseconds(1), std::chrono::microseconds(900));
  // Then 2 s (one tau) of CPU without calls: exp(-1) of the sums remain.
  auto s = m.window(end + seconds(2));
  EXPECT_NEAR(s.wait, 0.9 * std::exp(-1.0) / (1 - std::exp(-6.0)), 0.02);
  EXPECT_LT(m.window(end + seconds(10)).wait, 0.01);
  // A CPU phase that forwards a call now and then (1 % waiting) reads as such after a while.
  end = run_calls(m, end + seconds(10), seconds(10), milliseconds(100), milliseconds(1));
  EXPECT_NEAR(m.window(end).wait, 0.01, 0.002);
  EXPECT_NEAR(m.window(end).calls_per_s, 10, 0.5);
}

TEST(IoMeter, ALongBlockingCallIsWaitingNotMore) {
  // One call blocked 30 s on home (a read from a pipe nobody writes yet): wait 1, never above.
  IoMeter m(kT0);
  m.on_forward(kT0 + seconds(30), seconds(30), 8, 1);
  EXPECT_NEAR(m.window(kT0 + seconds(30)).wait, 1.0, 1e-9);
  EXPECT_NEAR(m.window(kT0 + seconds(32)).wait, std::exp(-1.0), 0.01);
  // A wait longer than the meter's life (clock skew) is cut to it.
  IoMeter n(kT0);
  n.on_forward(kT0 + seconds(1), seconds(5), 0, 0);
  EXPECT_LE(n.window(kT0 + seconds(1)).wait, 1.0);
}

TEST(IoMeter, LocalCallsAreCountedApart) {
  IoMeter m(kT0);
  for (int i = 1; i <= 1000; ++i) m.on_local(kT0 + milliseconds(10 * i));
  auto s = m.window(kT0 + seconds(10));
  EXPECT_NEAR(s.local_per_s, 100, 2);
  EXPECT_EQ(s.wait, 0);
}

TEST(IoMeter, HomeRemembersTheWaitWithAHalfLife) {
  EXPECT_DOUBLE_EQ(remembered_wait(0.8, 0), 0.8);
  EXPECT_NEAR(remembered_wait(0.8, 60), 0.4, 1e-12);
  EXPECT_NEAR(remembered_wait(0.8, 120), 0.2, 1e-12);
  EXPECT_NEAR(remembered_wait(0.8, 10, 10), 0.4, 1e-12);
}

TEST(BodyStats, RoundTripsWithTheMetersFields) {
  BodyStats s{1234, 5 << 20, 875, 4000, 123456789012ull, 17};
  auto b = encode(s);
  EXPECT_EQ(b.size(), 16u + 2 + 4 + 8 + 4);
  auto d = decode_body_stats(b);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->cpu_ms, 1234u);
  EXPECT_EQ(d->rss_bytes, 5u << 20);
  EXPECT_EQ(d->home_wait_permille, 875);
  EXPECT_EQ(d->fwd_calls_per_s, 4000u);
  EXPECT_EQ(d->fwd_bytes_per_s, 123456789012ull);
  EXPECT_EQ(d->local_calls_per_s, 17u);
}

TEST(BodyStats, TheFirstFormStillDecodes) {
  wire::Writer w;  // a guest from before the meter: cpu_ms, rss_bytes only
  w.u64(99);
  w.u64(4096);
  auto d = decode_body_stats(w.data());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->cpu_ms, 99u);
  EXPECT_EQ(d->rss_bytes, 4096u);
  EXPECT_EQ(d->home_wait_permille, 0);
  EXPECT_EQ(d->fwd_calls_per_s, 0u);
}

TEST(BodyStats, MalformedPayloadsAreRefused) {
  auto full = encode(BodyStats{1, 2, 500, 3, 4, 5});
  for (size_t n = 0; n < full.size(); ++n) {
    if (n == 16) continue;  // the first form
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_FALSE(decode_body_stats(cut).ok()) << "a payload of " << n << " bytes decoded";
  }
  auto longer = full;
  longer.push_back(0);
  EXPECT_FALSE(decode_body_stats(longer).ok());
  EXPECT_FALSE(decode_body_stats(encode(BodyStats{1, 2, 1001, 0, 0, 0})).ok());  // above 100 %
}

// kBodyNice (renice at home reaching the body): -20..19 round-trip; anything else is refused.
TEST(BodyNice, RoundTripsAndRefusesMalformed) {
  for (int nice : {-20, -1, 0, 7, 19}) {
    auto d = decode_body_nice(encode_body_nice(nice));
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(*d, nice);
  }
  EXPECT_FALSE(decode_body_nice(encode_body_nice(20)).ok());
  EXPECT_FALSE(decode_body_nice(encode_body_nice(-21)).ok());
  auto b = encode_body_nice(5);
  for (size_t n = 0; n < b.size(); ++n)
    EXPECT_FALSE(decode_body_nice(std::span<const uint8_t>(b.data(), n)).ok()) << n;
  b.push_back(0);
  EXPECT_FALSE(decode_body_nice(b).ok());
}

}  // namespace
}  // namespace omx::migrate
