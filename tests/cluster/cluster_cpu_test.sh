# omx cluster up --cpu Q1,Q2 (issue 4 point 3): each node runs in a cgroup of its own capped at
# Q cores, holding its omxd and whatever `omx cluster exec` starts there; `down` removes the
# groups. A busy loop of 1 s wall time on a node capped at 0.3 cores gets at most ~0.3 s of CPU.
# Each node's load counts only its own cgroup, so a busy node and an idle one differ.
# Bad --cpu values are one-line usage errors.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH

expect_rc 2 "$OMX" cluster up --nodes 2 --dir /tmp/never-made --cpu 1,0.5,2
expect_rc 2 "$OMX" cluster up --nodes 2 --dir /tmp/never-made --cpu 1,x
expect_rc 2 "$OMX" cluster up --nodes 2 --dir /tmp/never-made --cpu 0
[ ! -e /tmp/never-made ] || fail "a rejected --cpu left /tmp/never-made behind"

new_dir D
up "$D" --nodes 2 --cpu 1,0.3 >/dev/null
groups=$(python3 -c 'import json,sys; print(" ".join(n["cgroup"] for n in json.load(open(sys.argv[1]))["nodes"]))' "$D/cluster.json")
read -r g1 g2 <<<"$groups"
[ -d "$g1" ] && [ -d "$g2" ] || fail "no cgroups recorded: '$groups'"
quota() { if [ -f "$1/cpu.max" ]; then cut -d' ' -f1 "$1/cpu.max"; else cat "$1/cpu.cfs_quota_us"; fi; }
[ "$(quota "$g1")" = 100000 ] || fail "node 1 quota $(quota "$g1"), want 100000 per 100000"
[ "$(quota "$g2")" = 30000 ] || fail "node 2 quota $(quota "$g2"), want 30000 per 100000"
pids=($(omxd_pids "$D"))
grep -qx "${pids[0]}" "$g1/cgroup.procs" || fail "node 1's omxd is not in its cgroup"
grep -qx "${pids[1]}" "$g2/cgroup.procs" || fail "node 2's omxd is not in its cgroup"

# Each node's load counts its own cgroup (omxd --load-cgroup): a busy loop on node 2 shows in
# node 2's load as node 1 sees it, node 1 stays idle.
ns1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["netns"])' "$D/cluster.json")
x "$D" 2 timeout 4 sh -c 'while :; do :; done' &
loads=
for ((i = 0; i < 40; i++)); do
  sleep 0.1
  # Asked from the host side of node 1's network namespace, so the asking does not run in (and
  # load) node 1's cgroup as `omx cluster exec` would.
  loads=$(ip netns exec "$ns1" "$OMX" control nodes | python3 -c 'import json,sys; print(" ".join(str(n.get("load", -1)) for n in json.load(sys.stdin)["nodes"]))')
  read -r l1 l2 <<<"$loads"
  [ "$l2" -ge 100 ] && break
done
wait
echo "MEASURED loads seen by node 1 with a busy loop on node 2: node 1 $l1, node 2 $l2"
[ "$l2" -ge 100 ] || fail "node 2's load is $l2 with a busy loop (want >= 100, one process)"
[ "$l1" -lt 50 ] || fail "node 1's load is $l1 while idle (the loop runs on node 2)"

burn() {
  x "$D" "$1" /usr/bin/python3 -c '
import time
end = time.monotonic() + 1.0
while time.monotonic() < end:
    pass
print("%.3f" % time.process_time())'
}
c2=$(burn 2)
c1=$(burn 1)
echo "MEASURED CPU seconds in 1 s of busy loop: node 1 (1.0 core) $c1, node 2 (0.3 core) $c2"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 0.45 else 1)' "$c2" ||
  fail "node 2 (0.3 cores) got $c2 s of CPU in 1 s"

"$OMX" cluster down --dir "$D" >/dev/null
[ ! -e "$g1" ] && [ ! -e "$g2" ] || fail "down left the cgroups $g1 $g2"
echo PASS
