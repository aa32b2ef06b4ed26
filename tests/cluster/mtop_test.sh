# mtop (issue 5 point 2): top with a NODE column. On two equal nodes, a CPU-bound `mosrun -L`
# process started on node 1 and moved by hand to node 2 (migrate PID 2):
#  - `mtop -b -n 2 -d 0.5` on node 1 lists it with NODE 2, and the cluster line shows both nodes
#    up; --json says the same (node 2, home 1, locked, migratable); -p limits the rows;
#  - interactive mtop inside tmux on node 1: P M N sort (checked on the rows' order), End and
#    Home scroll the long list, o shows
#    only migratable processes with HOME LOCK NMIGS (the hog: NODE 2, HOME 1, LOCK yes), r
#    renices it, u filters by user, h shows the help, a resize redraws at the new width, k
#    kills the migrated process (KILL, through its deputy), q exits with status 0;
#  - a bad flag exits 2 with one line.
source "$(dirname "$0")/lib.sh"
need_root
command -v tmux >/dev/null || skip "needs tmux"
export PATH=$OMX_BIN:$PATH

new_dir D
up_equal "$D" 2
T=$D/node1/tmp
SOCK=/tmp/mtop-test.sock  # node 1's /tmp
tm() { x "$D" 1 tmux -S "$SOCK" "$@"; }
x1t() { timeout 20 "$OMX" cluster exec --dir "$D" 1 -- "$@"; }  # node 1, at most 20 s
trap 'tm kill-server >/dev/null 2>&1 || true; cleanup' EXIT

where() { x "$D" 1 omx where "$1" 2>/dev/null || echo -; }
log "a CPU-bound mosrun -L process, moved to node 2"
rm -f "$T/hog"
x "$D" 1 bash -c 'cd /tmp; mosrun -L sh -c "while :; do :; done" & echo $! > hog.tmp; mv hog.tmp hog; wait' \
  >"$D/hog.out" 2>&1 &
for ((i = 0; i < 100; i++)); do [ -s "$T/hog" ] && break; sleep 0.05; done
hog=$(cat "$T/hog")
for ((i = 0; i < 50; i++)); do [ "$(where "$hog")" = 1 ] && break; sleep 0.1; done
x "$D" 1 migrate "$hog" 2 || fail "migrate $hog 2 failed"
[ "$(where "$hog")" = 2 ] || fail "the process is on node '$(where "$hog")', not 2"

log "batch mode"
out=$(x1t mtop -b -n 2 -d 0.5) || fail "mtop -b -n 2 -d 0.5 failed: $out"
echo "$out" | head -8
[ "$(grep -c '^mtop - ' <<<"$out")" = 2 ] || fail "mtop -b -n 2 printed $(grep -c '^mtop - ' <<<"$out") frames"
grep -q '^Cluster: 2 of 2 nodes up' <<<"$out" || fail "no cluster line with 2 nodes up: $(grep Cluster <<<"$out")"
grep -q '^mtop - .*node 1,' <<<"$out" || fail "the first line does not name node 1"
hdr=$(grep -m1 'PID USER' <<<"$out")
[[ $hdr =~ PID\ USER\ +PR\ +NI\ +VIRT\ +RES\ S\ +%CPU\ +%MEM\ +TIME\+\ NODE\ COMMAND ]] || fail "header: $hdr"
# The last frame's row of the hog: column 11 is NODE.
row=$(awk -v p="$hog" '$1 == p' <<<"$out" | tail -1)
[ "$(awk '{print $11}' <<<"$row")" = 2 ] || fail "the hog's row does not show NODE 2: '$row'"
rows=$(x1t mtop -bn1 -d 0.1 -p "$hog" | awk '$1 ~ /^[0-9]+$/' | wc -l)
[ "$rows" = 1 ] || fail "mtop -p $hog showed $rows rows"
x1t mtop --json -d 0.1 >"$D/snap.json" || fail "mtop --json failed"
python3 - "$D/snap.json" "$hog" <<'PY' || fail "mtop --json: $(head -c 300 "$D/snap.json")"
import json, sys
j = json.load(open(sys.argv[1]))
p = [r for r in j["procs"] if r["pid"] == int(sys.argv[2])]
assert j["node"] == 1 and j["cluster"]["omxd"], j["node"]
assert len(j["cluster"]["nodes"]) == 2
assert len(p) == 1 and p[0]["node"] == 2 and p[0]["home"] == 1 and p[0]["migratable"] and p[0]["lock"], p
PY

log "bad flags"
err=$(x "$D" 1 mtop -x 2>&1 >/dev/null) && fail "mtop -x succeeded"
expect_rc 2 x "$D" 1 mtop -x
[ "$(wc -l <<<"$err")" = 1 ] || fail "mtop -x said more than one line: $err"
expect_rc 2 x "$D" 1 mtop -n 0
expect_rc 2 x "$D" 1 omx mtop -o bogus
expect_rc 0 x "$D" 1 omx mtop --help

log "interactive, in tmux"
rm -f "$T/mtop.rc"
tm new-session -d -s m -x 120 -y 30 "mtop -d 0.5; echo \$? > /tmp/mtop.rc" || fail "tmux did not start"
pane() { tm capture-pane -p -t m 2>/dev/null || true; }
# wait_pane DESCRIPTION CHECK-COMMAND...: until CHECK (given the pane on stdin) succeeds, 10 s.
wait_pane() {
  local what=$1 i
  shift
  for ((i = 0; i < 100; i++)); do
    pane >"$D/pane.txt"
    "$@" <"$D/pane.txt" && return 0
    sleep 0.1
  done
  cat "$D/pane.txt" >&2
  fail "mtop in tmux: $what"
}
keys() { tm send-keys -t m "$@"; }
# Rows of the table (lines after the header), column N of each.
col() { awk -v n="$1" 'h && $1 ~ /^[0-9]+$/ {print $n} /PID USER/ {h = 1}'; }
# sorted_desc N: column N of the rows is high to low (and there are at least 3 rows).
sorted_desc() { col "$1" | awk 'NR > 1 && $1 + 0 > prev + 0 {bad = 1} {prev = $1; n++} END {exit bad || n < 3}'; }
has() { grep -q -- "$1"; }

wait_pane "no table" has 'PID USER'
wait_pane "no cluster line" has 'Cluster: 2 of 2 nodes up'
keys N
wait_pane "N: rows not by pid, high to low" sorted_desc 1
# A long list scrolls: End shows its last page (pid 1 last), Home its first (pid 1 off screen).
last_is_1() { local p; p=$(col 1); [ "$(tail -1 <<<"$p")" = 1 ] && [ "$(wc -l <<<"$p")" -ge 20 ]; }
keys End
wait_pane "End: the last row is not pid 1" last_is_1
keys Home
first_page() { local p; p=$(col 1); [ "$(wc -l <<<"$p")" -ge 20 ] && ! grep -qx 1 <<<"$p"; }
wait_pane "Home: not the first page" first_page
keys M
wait_pane "M: rows not by %MEM" sorted_desc 9
keys P
wait_pane "P: rows not by %CPU" sorted_desc 8
keys o
only_hog() { [ "$(col 1 | tr '\n' ' ')" = "$hog " ]; }
wait_pane "o: the header has no HOME LOCK NMIGS" has 'NODE HOME LOCK NMIGS COMMAND'
wait_pane "o: rows other than the migratable hog" only_hog
omx_row() { awk -v p="$hog" '$1 == p && $11 == 2 && $12 == 1 && $13 == "yes" && $14 >= 1 {f = 1} END {exit !f}'; }
wait_pane "o: the hog's row is not NODE 2 HOME 1 LOCK yes NMIGS >= 1" omx_row
keys r
wait_pane "r: no prompt" has "PID to renice \\[default pid = $hog\\]"
keys Enter
wait_pane "r: no second prompt" has "Renice PID $hog to value"
keys 5 Enter
niced() { awk -v p="$hog" '$1 == p && $4 == 5 {f = 1} END {exit !f}'; }
wait_pane "r: the hog's NI is not 5" niced
keys u
wait_pane "u: no prompt" has 'Which user (blank for all)'
keys nobody Enter
no_rows() { local p; p=$(cat); has 'PID USER' <<<"$p" && [ -z "$(col 1 <<<"$p")" ]; }
wait_pane "u nobody: rows are left" no_rows
keys u Enter
wait_pane "u blank: the hog is not back" only_hog
keys o
wait_pane "o again: the plain header is not back" has 'TIME+ NODE COMMAND'
keys h
wait_pane "h: no help" has 'Help for mtop'
keys x
wait_pane "the table did not come back after the help" has 'PID USER'
log "resize"
tm resize-window -t m -x 60 -y 20
narrow() { has '%MEM' < "$D/pane.txt" && ! has 'NODE' < "$D/pane.txt" && [ "$(wc -l < "$D/pane.txt")" -le 20 ]; }
wait_pane "after a resize to 60x20 the header is not cut at 60 columns" narrow
tm resize-window -t m -x 120 -y 30
wait_pane "after a resize back to 120x30 the header is not whole" has 'TIME+ NODE COMMAND'
keys o
wait_pane "o: the hog is not shown" only_hog
keys k
wait_pane "k: no prompt" has "PID to signal/kill \\[default pid = $hog\\]"
keys Enter
wait_pane "k: no signal prompt" has "Send pid $hog signal \\[15/sigterm\\]"
keys KILL Enter
for ((i = 0; i < 50; i++)); do pid_gone "$hog" && break; sleep 0.1; done
pid_gone "$hog" || fail "k: the hog $hog still runs after k ... KILL"
wait_pane "k: the hog's row is still shown" no_rows
keys q
for ((i = 0; i < 50; i++)); do [ -s "$T/mtop.rc" ] && break; sleep 0.1; done
[ "$(cat "$T/mtop.rc" 2>/dev/null)" = 0 ] || fail "q: mtop did not exit with 0 (rc '$(cat "$T/mtop.rc" 2>/dev/null)')"

wait
echo PASS
