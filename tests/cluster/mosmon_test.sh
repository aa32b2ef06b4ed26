# mosmon and omx status on a 3-node cluster (issue 5, points 1 and 3), then mosmon on six. mosmon runs
# interactively inside tmux on node 1 (a 100x30 window); for each key the screen must show that
# view (its title, node numbers 1 2 3, bars); a resize redraws; a window too narrow for the
# nodes shows a page and scrolls with the arrow keys; a killed node shows as dead with `d`;
# `q` exits 0. Then the snapshots: mosmon -t, --json, omx status and --json; without omxd,
# mosmon -t exits 4 with one line and the interactive monitor says so on screen.
# Every wait polls the screen (up to a limit) instead of sleeping.
source "$(dirname "$0")/lib.sh"
need_root
command -v tmux >/dev/null || skip "needs tmux (tools/deps.sh installs it)"
export PATH=$OMX_BIN:$PATH

new_dir D
up "$D" --nodes 3 >/dev/null
S=$D/node1/tmp/tmux.sock      # node 1's /tmp is $D/node1/tmp
tm() { tmux -S "$S" "$@"; }
trap 'tmux -S "$S" kill-server 2>/dev/null || true; cleanup' EXIT

# mosmon_in_tmux ENV... : `mosmon $MOSMON_ARGS` in a new tmux session (WIDTHxHEIGHT from
# $SIZE, default 100x30) on node 1; its exit status goes to node 1's /tmp/mosmon.rc.
mosmon_in_tmux() {
  local size=${SIZE:-100x30}
  rm -f "$D/node1/tmp/mosmon.rc"
  x "$D" 1 env "$@" tmux -f /dev/null -S /tmp/tmux.sock new-session -d -x "${size%x*}" -y "${size#*x}" \
    "mosmon ${MOSMON_ARGS:-}; echo \$? > /tmp/mosmon.rc; sleep 600"
}
screen() { tm capture-pane -p; }
# wait_screen REGEX [SECONDS]: until the screen matches REGEX (grep -E, any line).
wait_screen() {
  local i
  for ((i = 0; i < ${2:-5} * 10; i++)); do
    screen 2>/dev/null | grep -Eq -- "$1" && return 0
    sleep 0.1
  done
  screen >&2 || true
  fail "the screen does not show /$1/ after ${2:-5} s (above)"
}
# key KEY TITLE-REGEX FOOTER-REGEX: press KEY; the title line and the footer must follow.
key() {
  tm send-keys "$1"
  wait_screen "^mosmon: $2"
  wait_screen "$3"
}

log "mosmon in tmux on node 1: the default view, all three nodes up"
mosmon_in_tmux
wait_screen '^nodes 1-3 of 3  dead: none \(hidden' 10
wait_screen '^mosmon: load \(100 = one busy standard CPU\)'
wait_screen '^ {7}1  2  3 *$'
screen | grep -q '^     0+---' || fail "no axis line"

log "each key shows its view"
key m 'memory MiB' 'numbering wide'
# Memory is known for every node: used (#) and free (+) bars in all three columns.
wait_screen '^ +[0-9]*\|## ## ##'
screen | grep -Eq '\|(\+\+ |## ){2}(\+\+|##)' || fail "no free-memory (+) bars: $(screen)"
key r 'raw memory MiB' 'numbering wide'
key u 'utilizability %' 'numbering wide'
wait_screen '^   100\|'           # the axis of percentages
wait_screen '\|## ## ##'          # (normally 100%: no memory pressure)
key s 'speed \(10000 = standard\)' 'numbering wide'
wait_screen '\|## ## ##'
key L 'load, log scale' 'numbering wide'
key l 'load \(100' 'numbering wide'
key v 'load \(100' 'numbering vertical'
key V 'load \(100' 'numbering tight'
wait_screen '^ {7}123 *$'          # tight: one column per node
key w 'load \(100' 'numbering wide'
key a 'load \(100' 'numbering wide'  # automatic: all three fit with wide numbering
wait_screen '^ {7}1  2  3 *$'
key d 'load \(100' 'dead: none \(shown\)'
tm send-keys h
wait_screen '^mosmon help'
wait_screen '^  q  quit|h  this help'
tm send-keys l
wait_screen '^nodes 1-3 of 3'

log "a resize redraws"
tm resize-window -x 60 -y 15
for ((i = 0; i < 50; i++)); do
  [ "$(screen | wc -l)" = 15 ] && screen | tail -1 | grep -q '^nodes 1-3 of 3' && break
  sleep 0.1
done
[ "$(screen | wc -l)" = 15 ] && screen | tail -1 | grep -q '^nodes 1-3 of 3' || fail "no redraw at 60x15: $(screen)"
screen | head -1 | grep -q '^mosmon: load' || fail "no title at 60x15"

log "more nodes than fit: a page, scrolled with the arrow keys"
tm resize-window -x 9 -y 15   # 2 columns for bars: tight numbering, two nodes
wait_screen '^ {7}12$'        # (the footer, "nodes 1-2 of 3 <- ->", is cut to "nodes 1-")
wait_screen '^nodes 1-$'
tm send-keys Right
wait_screen '^ {7}23$'
wait_screen '^nodes 2-$'
tm send-keys Left
wait_screen '^ {7}12$'
tm resize-window -x 100 -y 30
wait_screen '^nodes 1-3 of 3'

log "a killed node shows as dead with d"
pid3=$(json_get "$D/cluster.json" 'j["nodes"][2]["pid"]')
kill -KILL "$pid3"
wait_screen '^nodes 1-3 of 3  dead: 3 \(shown\)' 12
screen | grep -Eq '^ +\|.{6}d *$' || fail "no 'dead' in node 3's column: $(screen)"
tm send-keys d
wait_screen '^nodes 1-2 of 2  dead: 3 \(hidden'
wait_screen '^ {7}1  2 *$'

log "q quits with 0"
tm send-keys q
for ((i = 0; i < 50; i++)); do [ -s "$D/node1/tmp/mosmon.rc" ] && break; sleep 0.1; done
[ "$(cat "$D/node1/tmp/mosmon.rc" 2>/dev/null)" = 0 ] || fail "mosmon did not exit 0 on q"
tm kill-server 2>/dev/null || true

log "mosmon -t and --json"
out=$(x "$D" 1 mosmon -t)
grep -q '^mosmon: load (100 = one busy standard CPU)' <<<"$out" || fail "mosmon -t: $out"
grep -q '^nodes 1-2 of 2  dead: 3 (hidden' <<<"$out" || fail "mosmon -t footer: $out"
[ "$(wc -l <<<"$out")" = 24 ] || fail "mosmon -t printed $(wc -l <<<"$out") lines, want 24"
out=$(x "$D" 1 env COLUMNS=50 LINES=12 omx mosmon -t -m -d)
grep -q '^mosmon: memory MiB' <<<"$out" || fail "omx mosmon -t -m: $out"
grep -Eq '^ {7}1  2  3$' <<<"$out" || fail "omx mosmon -t -d: no node 3: $out"
[ "$(wc -l <<<"$out")" = 12 ] || fail "LINES=12: $(wc -l <<<"$out") lines"
x "$D" 1 mosmon --json -s -d | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["view"] == "speed" and j["node"] == 1, j
assert [n["id"] for n in j["nodes"]] == [1, 2, 3], j
assert [n["state"] for n in j["nodes"]] == ["up", "up", "down"], j
assert j["nodes"][0]["value"] > 0 and j["nodes"][0]["ncpus"] >= 1, j
' || fail "mosmon --json"
expect_rc 2 x "$D" 1 mosmon -x
expect_rc 2 x "$D" 1 mosmon -t --json
x "$D" 1 mosmon --help | grep -q '^usage: mosmon' || fail "mosmon --help"

log "omx status and --json"
out=$(x "$D" 1 omx status)
grep -q '^cluster seen from node 1: 2 up (1 2), 1 down (3)' <<<"$out" || fail "omx status: $out"
grep -Eq '^ +1\* up ' <<<"$out" || fail "omx status: no row for node 1: $out"
grep -q '^migrations in the last minute: 0' <<<"$out" || fail "omx status: migrations: $out"
grep -q '^balancer on node 1: stay no, lstay no, block no, quiet no' <<<"$out" || fail "omx status: balancer: $out"
x "$D" 2 mosctl block
x "$D" 1 omx status --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["up"] == [1, 2] and j["down"] == [3], j
t = j["totals"]
assert t["ncpus"] >= 2 and t["mem_total"] > t["mem_used"] > 0, t
assert j["migrations_1m"] == 0, j
assert j["balancer"]["this_node"] == {"stay": False, "lstay": False, "block": False, "quiet": False}, j
' || fail "omx status --json"
# node 2's block reaches node 1 with its next gossip record
for ((i = 0; i < 50; i++)); do
  x "$D" 1 omx status | grep -q '^nodes blocking guests: 2;' && break
  sleep 0.1
done
x "$D" 1 omx status | grep -q '^nodes blocking guests: 2;' || fail "node 2's block not in omx status"

log "no omxd: one line and exit 4; on screen, a message and retries"
rc=0
out=$(x "$D" 1 env OMX_CONTROL=@omx/none mosmon -t 2>&1) || rc=$?
[ $rc = 4 ] || fail "mosmon -t without omxd exited $rc, want 4"
[ "$(wc -l <<<"$out")" = 1 ] && grep -q '^mosmon: no omxd on this node: start it with .*: Connection refused$' <<<"$out" ||
  fail "mosmon -t without omxd said: $out"
expect_rc 4 x "$D" 1 env OMX_CONTROL=@omx/none omx status
mosmon_in_tmux OMX_CONTROL=@omx/none
wait_screen '^no omxd on this node: start it with'
wait_screen 'retrying each second'
sleep 1.2
screen | grep -q '^no omxd on this node' || fail "the monitor gave up: $(screen)"
tm send-keys q
for ((i = 0; i < 50; i++)); do [ -s "$D/node1/tmp/mosmon.rc" ] && break; sleep 0.1; done
[ "$(cat "$D/node1/tmp/mosmon.rc" 2>/dev/null)" = 0 ] || fail "mosmon without omxd did not exit 0 on q"
tm kill-server 2>/dev/null || true

log "six nodes in a 10x12 window (three fit): +NODE, PgUp/PgDn, Home/End"
"$OMX" cluster down --dir "$D" >/dev/null
new_dir D
up "$D" --nodes 6 >/dev/null
S=$D/node1/tmp/tmux.sock
for ((i = 0; i < 100; i++)); do
  x "$D" 1 mosmon -t | grep -q '^nodes 1-6 of 6' && break
  sleep 0.1
done
x "$D" 1 mosmon -t | grep -q '^nodes 1-6 of 6' || fail "node 1 does not see six nodes up"
SIZE=10x12 MOSMON_ARGS=+4 mosmon_in_tmux
wait_screen '^ {7}456$'    # automatic numbering: tight, the only one that fits three
wait_screen '^nodes 4-6'  # (cut at the width)
tm send-keys PPage
wait_screen '^ {7}123$'
tm send-keys End
wait_screen '^ {7}456$'
tm send-keys Home
wait_screen '^ {7}123$'
tm send-keys NPage
wait_screen '^ {7}456$'
tm resize-window -x 100 -y 30
wait_screen '^nodes 1-6 of 6  dead: none'
wait_screen '^ {7}1  2  3  4  5  6 *$'
tm send-keys q
for ((i = 0; i < 50; i++)); do [ -s "$D/node1/tmp/mosmon.rc" ] && break; sleep 0.1; done
[ "$(cat "$D/node1/tmp/mosmon.rc" 2>/dev/null)" = 0 ] || fail "mosmon on six nodes did not exit 0 on q"
echo PASS
