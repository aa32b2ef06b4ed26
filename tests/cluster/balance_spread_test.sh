# Automatic balancing (omx run --balance, issue 4): three CPU-bound processes started on node 1
# of three equal nodes (each capped at one core, so each node's load is its own) spread out by
# themselves, one per node, within 15 s (measured: 2.2-7.7 s), and then stay put (no
# ping-pong) for 3 s. The first is locked (omx lock; another user may not unlock it): it stays
# home and the other two go to nodes 2 and 3.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

new_dir D
up_equal "$D" 3
T=$D/node1/tmp

x "$D" 1 bash -c '
  cd /tmp
  for i in 1 2 3; do omx run --balance -- sh -c "while :; do :; done" & echo $! >> pids; done
  wait' &
for ((i = 0; i < 100; i++)); do [ "$(wc -l < "$T/pids" 2>/dev/null)" = 3 ] && break; sleep 0.05; done
pids=$(cat "$T/pids")
first=${pids%%$'\n'*}
x "$D" 1 omx lock "$first" || fail "omx lock $first failed"
[ "$(x "$D" 1 omx where --json "$first" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lock"])')" = True ] ||
  fail "omx where --json does not show the lock"
expect_rc 3 x "$D" 1 setpriv --reuid=65534 omx unlock "$first"
where_all() { local p out=; for p in $pids; do out+="$(x "$D" 1 omx where "$p" 2>/dev/null || echo -) "; done; echo "$out"; }

spread=
t0=$(date +%s%N)
for ((i = 0; i < 60; i++)); do
  sleep 0.25
  w=$(where_all)
  if [ "$(tr ' ' '\n' <<<"$w" | grep -v '^$' | sort -u | wc -l)" = 3 ] && ! grep -q -- - <<<"$w"; then
    spread=$w
    break
  fi
done
echo "MEASURED spread after $(( ($(date +%s%N) - t0) / 1000000 )) ms: where = ${spread:-$w}"
[ -n "$spread" ] || { grep -h balance "$D"/node1/omxd.log | tail -5; fail "not one per node after 15 s: $w"; }
sleep 3
later=$(where_all)
[ "$later" = "$spread" ] || fail "processes moved again: $spread -> $later (ping-pong)"
[ "${spread%% *}" = 1 ] || fail "the locked process $first moved: where = $spread"
for p in $pids; do x "$D" 1 kill -KILL "$p" 2>/dev/null || true; done
wait
echo PASS
