# The balancer counts a process's home I/O (issue 7 point 4; design mfs-dfsa §4): on three
# equal nodes (one core each), two processes of node 1 started with plain mosrun (unlocked):
#  - io_reader, which reads a file in node 1's /tmp one byte at a time: moved away with
#    `migrate PID 2`, every read goes home and its body waits most of the time; it comes home
#    by itself (the guest's balancer, with home_wait from its IoMeter) within 12 s, and then
#    stays home (home remembers the wait: no ping-pong);
#  - demo_primes, CPU-bound: moved to the idle node 3 with `migrate PID 3`, it stays there.
# Then an io_reader moved to node 2 and locked there while it forwards (the lock reaches the
# guest during a forwarded call) stays there, ends correctly, and `omx ps --json` shows its
# home_wait and forwarded calls/s (the unlocked one is home before its busy supervisor answers
# ps reliably). All give correct output (io_reader's byte count and sum checked against the
# file; the primes against a sieve). Figures: io_reader's read rate at home before the move,
# away, and after it came home, and the time it took to come home.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS

new_dir D
up_equal "$D" 3
T=$D/node1/tmp
head -c 4099 /dev/urandom > "$T/data"

where() { x "$D" 1 omx where "$1" 2>/dev/null || echo -; }
# start NAME PROGRAM ARGS...: mosrun PROGRAM in node 1's /tmp in the background, output in
# /tmp/NAME.out, exit status in /tmp/NAME.rc; prints its pid.
start() {
  local name=$1
  shift
  x "$D" 1 bash -c 'cd /tmp; n=$1; shift; mosrun "$@" > $n.out 2>&1 & echo $! > $n.tmp; mv $n.tmp $n.pid
    wait $!; echo $? > $n.rc' _ "$name" "$@" >/dev/null 2>&1 &
  for ((i = 0; i < 100; i++)); do [ -s "$T/$name.pid" ] && break; sleep 0.05; done
  # mosrun's supervisor attaches to the program just after it starts: until then it is not
  # migratable (`migrate` says so); wait for that, as a user would see `omx where` answer.
  for ((i = 0; i < 100; i++)); do x "$D" 1 omx where "$(cat "$T/$name.pid")" >/dev/null 2>&1 && break; sleep 0.05; done
  cat "$T/$name.pid"
}
now() { date +%s.%N; }
# check_io_output FILE [BEFORE OUT HOME]: io_reader's final count and sum agree with the file;
# with the times (when it was moved out, when it was seen home), prints its read rates.
check_io_output() {
  python3 - "$T/data" "$@" <<'PY' || fail "io_reader's output $1 is wrong: $(tail -2 "$1")"
import re, sys
data = open(sys.argv[1], "rb").read()
lines = open(sys.argv[2]).read().splitlines()
done = re.fullmatch(r"  done: (\d+) bytes, sum (\d+)", lines[-1])
assert done, "no final line"
n, s = int(done.group(1)), int(done.group(2))
want = (n // len(data)) * sum(data) + sum(data[: n % len(data)])
assert s == want, f"sum {s}, want {want} for {n} bytes"
if len(sys.argv) < 6: sys.exit(0)
pts = [(float(m.group(1)), int(m.group(2))) for m in
       (re.fullmatch(r"  at ([\d.]+): (\d+) bytes", l) for l in lines) if m]
before, out, home = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
def rate(a, b):  # bytes/s between times a and b: the median of the intervals' rates inside
    seg = [p for p in pts if a <= p[0] <= b]   # (the return is seen late: `where` polls)
    r = sorted((q[1] - p[1]) / (q[0] - p[0]) for p, q in zip(seg, seg[1:]) if q[0] > p[0])
    return r[len(r) // 2] if r else None
native, away, back = rate(0, before - 0.3), rate(out + 0.3, home - 0.3), rate(home + 0.5, 1e12)
f = lambda r: "%.0f" % r if r else "?"
print(f"MEASURED io_reader bytes/s: at home before {f(native)}, away on node 2 {f(away)}, "
      f"home again {f(back)}")
if away and back:
    print(f"MEASURED io_reader: 1 MB of 1-byte reads takes {1e6 / away:.1f} s away, "
          f"{1e6 / back:.2f} s after coming home (ratio {back / away:.0f}x)")
    assert back > 2 * away, "no faster at home than away"
PY
}

# demo_primes goes to node 3 at once: node 1's gossiped load falls slowly (7/8 a second) after
# a process leaves, and a second busy second at home would only delay io_reader's return.
pr=$(start pr "$P/demo_primes" 22)
x "$D" 1 migrate "$pr" 3 || fail "migrate $pr 3 failed"
io=$(start io "$P/io_reader" data 22)
sleep 1
[ "$(where "$io")" = 1 ] && [ "$(where "$pr")" = 3 ] || fail "where: io_reader $(where "$io"), demo_primes $(where "$pr")"

log "the I/O-bound process moved away comes home; the CPU-bound one stays away"
t_before=$(now)
x "$D" 1 migrate "$io" 2 || fail "migrate $io 2 failed"
t_out=$(now)
home_at= ps_seen= ps_now=
for ((i = 0; i < 120; i++)); do
  w=$(where "$io") wp=$(where "$pr")
  [ "$wp" = 3 ] || fail "demo_primes left node 3 (now on '$wp') after $i polls"
  if [ "$w" = 1 ]; then home_at=$(now); break; fi
  if [ "$w" = 2 ]; then  # the last report from node 2 (about once a second)
    ps_now=$(x "$D" 1 omx ps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]) and "home_wait" in p:
        print("home_wait %.3f fwd_calls_s %d" % (p["home_wait"], p["fwd_calls_s"]))' "$io")
    [[ $ps_now == "home_wait 0.000"* ]] || ps_seen=$ps_now  # before the first report: 0
  fi
  sleep 0.1
done
[ -n "$home_at" ] || { grep -h 'balance' "$D"/node*/omxd.log "$D"/node*/*.log 2>/dev/null | tail -5
  fail "io_reader did not come home within 12 s (where: $w)"; }
back_ms=$(python3 -c "import sys; print(int((float(sys.argv[2]) - float(sys.argv[1])) * 1000))" "$t_out" "$home_at")
echo "MEASURED io_reader came home $back_ms ms after it was moved to node 2"
echo "MEASURED omx ps while away: ${ps_seen:-none (its supervisor, busy serving, may not answer ps in time)}"
why=$(grep -h "balance: asking home to move pid $io to node 1" "$D/node2/omxd.log" 2>/dev/null | head -1 || true)
echo "MEASURED guest on node 2: ${why#*guest info: }"

log "it stays home (no ping-pong); demo_primes stays on node 3"
for ((i = 0; i < 25; i++)); do
  w=$(where "$io") wp=$(where "$pr")
  [ "$w" = 1 ] || [ "$w" = - ] || fail "io_reader left home again (now on node $w)"
  [ "$wp" = 3 ] || [ "$wp" = - ] || fail "demo_primes left node 3 (now on '$wp')"
  sleep 0.2
done

for ((i = 0; i < 400; i++)); do [ -s "$T/io.rc" ] && [ -s "$T/pr.rc" ] && break; sleep 0.1; done
[ "$(cat "$T/io.rc" 2>/dev/null)" = 0 ] || fail "io_reader exited '$(cat "$T/io.rc" 2>/dev/null)': $(tail -2 "$T/io.out")"
[ "$(cat "$T/pr.rc" 2>/dev/null)" = 0 ] || fail "demo_primes exited '$(cat "$T/pr.rc" 2>/dev/null)'"
check_primes_output "$T/pr.out"
check_io_output "$T/io.out" "$t_before" "$t_out" "$home_at"

log "a locked io_reader on node 2 stays; omx ps --json shows its home_wait and calls/s"
lk=$(start lk "$P/io_reader" data 12)
sleep 1
x "$D" 1 migrate "$lk" 2 || fail "migrate $lk 2 failed"
t_lk_out=$(now)
x "$D" 1 omx lock "$lk"  # reaches the guest during a forwarded call (kBalancePolicy)
ps_seen=
for ((i = 0; i < 40; i++)); do
  ps_seen=$(x "$D" 1 omx ps --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["processes"]:
    if p["pid"] == int(sys.argv[1]) and p.get("home_wait", 0) >= 0.3 and p["fwd_calls_s"] >= 100:
        print("home_wait %.3f fwd_calls_s %d" % (p["home_wait"], p["fwd_calls_s"]))' "$lk")
  [ -n "$ps_seen" ] && break
  sleep 0.2
done
echo "MEASURED omx ps, locked io_reader on node 2: ${ps_seen:-none}"
[ -n "$ps_seen" ] || fail "omx ps --json showed no home_wait >= 0.3 for the locked io_reader on node 2"
[ "$(where "$lk")" = 2 ] || fail "the locked io_reader is on node '$(where "$lk")', not 2"
for ((i = 0; i < 200; i++)); do [ -s "$T/lk.rc" ] && break; sleep 0.1; done
[ "$(cat "$T/lk.rc" 2>/dev/null)" = 0 ] || fail "the locked io_reader exited '$(cat "$T/lk.rc" 2>/dev/null)': $(tail -2 "$T/lk.out")"
check_io_output "$T/lk.out"
# The same work after each move, MARK more 1-byte reads: timed from its first progress line
# after the move (away for sure) to the first one past MARK more bytes (0.25 s resolution).
python3 - "$T/io.out" "$t_out" "$T/lk.out" "$t_lk_out" <<'PY'
import re, sys
MARK = 50000
def after_move(path, t_out):
    pts = [(float(m.group(1)), int(m.group(2))) for m in
           (re.fullmatch(r"  at ([\d.]+): (\d+) bytes", l.rstrip("\n")) for l in open(path)) if m]
    t0, n0 = next(p for p in pts if p[0] >= t_out + 0.3)
    done = [t for t, n in pts if n >= n0 + MARK]
    return (done[0] - t0, True) if done else (pts[-1][0] - t0, False)
home, home_ok = after_move(sys.argv[1], float(sys.argv[2]))
away, away_ok = after_move(sys.argv[3], float(sys.argv[4]))
fmt = lambda s, ok: f"{s:.1f} s" if ok else f"more than {s:.1f} s"
print(f"MEASURED {MARK} 1-byte reads after the move to node 2: {fmt(away, away_ok)} staying away "
      f"(locked), {fmt(home, home_ok)} coming home by itself (ratio {'>' if not away_ok else ''}"
      f"{away / home:.1f}x)")
PY
wait
echo PASS
