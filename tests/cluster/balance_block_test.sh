# Automatic balancing respects block, and balanced jobs give correct output (issue 4): three
# CPU-bound demo_primes started with plain mosrun on node 1 of three equal nodes (one core
# each) while node 3 blocks guests (mosctl block). One moves to node 2 by itself; nothing ever
# runs on node 3 (polled every 0.2 s, and node 3's omxd hosted no guest). Then node 3 lifts the
# block (mosctl noblock) and one process moves there. Every job exits 0 with a complete output
# whose every prime count is right (checked against a sieve).
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS

new_dir D
up_equal "$D" 3 "3:mosctl block"
T=$D/node1/tmp

x "$D" 1 bash -c '
  cd /tmp
  for i in 1 2 3; do mosrun "$0" 22 > o$i 2>&1 & echo $! >> pids.tmp; done
  mv pids.tmp pids
  rcs=; for p in $(cat pids); do wait $p; rcs+=$?; done
  echo "$rcs" > rcs' "$P/demo_primes" &
for ((i = 0; i < 100; i++)); do [ -s "$T/pids" ] && break; sleep 0.05; done
pids=$(cat "$T/pids")
where_all() { local p out=; for p in $pids; do out+="$(x "$D" 1 omx where "$p" 2>/dev/null || echo -) "; done; echo "$out"; }

# Phase 1: node 3 blocks. Within 12 s one process is on node 2; none is ever on node 3.
on2=
t0=$(date +%s%N)
for ((i = 0; i < 60; i++)); do
  w=$(where_all)
  [[ " $w" != *" 3 "* ]] || fail "a process runs on node 3, which blocks guests: where = $w"
  [[ " $w" == *" 2 "* ]] && { on2=$w; break; }
  sleep 0.2
done
[ -n "$on2" ] || fail "nothing moved to node 2 in 12 s: where = $w"
echo "MEASURED first move to node 2 after $(( ($(date +%s%N) - t0) / 1000000 )) ms: where = $on2"
for ((i = 0; i < 10; i++)); do  # two more seconds of watching
  w=$(where_all)
  [[ " $w" != *" 3 "* ]] || fail "a process runs on node 3, which blocks guests: where = $w"
  sleep 0.2
done
grep -q "running home pid" "$D/node3/omxd.log" && fail "node 3 hosted a guest while blocking: $(grep 'home pid' "$D/node3/omxd.log" | head -3)"

# Phase 2: the block is lifted; the cluster uses node 3 too.
x "$D" 3 mosctl noblock
t0=$(date +%s%N)
on3=
for ((i = 0; i < 75; i++)); do
  w=$(where_all)
  [[ " $w" == *" 3 "* ]] && { on3=$w; break; }
  sleep 0.2
done
[ -n "$on3" ] || fail "nothing moved to node 3 within 15 s of noblock: where = $w"
echo "MEASURED first move to node 3 after noblock: $(( ($(date +%s%N) - t0) / 1000000 )) ms: where = $on3"

for ((i = 0; i < 300; i++)); do [ -s "$T/rcs" ] && break; sleep 0.1; done
[ "$(cat "$T/rcs" 2>/dev/null)" = 000 ] || fail "exit statuses: '$(cat "$T/rcs" 2>/dev/null)' (want 000)"
for i in 1 2 3; do check_primes_output "$T/o$i"; done
wait
echo PASS
