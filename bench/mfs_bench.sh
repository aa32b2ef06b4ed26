#!/usr/bin/env bash
# (h) /mfs throughput (docs/mfs-dfsa-design.md §1, issue 7): a 2-node namespaced cluster with
# /mfs (omx cluster up --mfs); a process on node 1 works on node 2's /tmp through /mfs/2/tmp,
# against the same work on node 1's own /tmp (local disk, same file system), and against a raw
# TCP transfer of the same bytes from node 1 to node 2 (omx_bench_net source/sink), all in the
# same run and interleaved, median of REPS repetitions:
#   seq write   dd 1 MiB blocks of SIZE MiB into a new file (no fsync: both end in page cache)
#   seq read    dd the file back in 1 MiB blocks
#   rand read   4 KiB preads at random offsets of that file (OPS of them), MB/s
#   rand write  4 KiB pwrites at random offsets, MB/s
#   creates     FILES small files (1 KiB: open O_CREAT, write, close) in a new directory, per s
# Ratios printed: mfs/local and mfs/raw TCP (seq only; raw = the same SIZE MiB over a plain
# socket). No kernel cache on the /mfs side (direct_io, timeouts 0): every call is a round trip.
# Usage: bench/mfs_bench.sh BUILD_DIR [--quick]. Needs root and /dev/fuse (77 otherwise).
set -euo pipefail
BUILD=$(cd "${1:?usage: bench/mfs_bench.sh BUILD_DIR [--quick]}" && pwd)
SIZE=256 OPS=4000 FILES=1000 REPS=3
[ "${2:-}" != --quick ] || { SIZE=32; OPS=500; FILES=100; REPS=1; }
OMX=$BUILD/bin/omx
[ "$(id -u)" = 0 ] || { echo "mfs bench: needs root (namespaced cluster)" >&2; exit 77; }
[ -c /dev/fuse ] || { echo "mfs bench: no /dev/fuse" >&2; exit 77; }
DIR=$(mktemp -d /var/tmp/omx-mfsbench.XXXXXX)
SINK=
trap '[ -z "$SINK" ] || kill $SINK 2>/dev/null; "$OMX" cluster down --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
on() { local n=$1; shift; "$OMX" cluster exec --dir "$DIR" "$n" -- "$@"; }
echo "== (h) /mfs throughput, 2-node namespaced cluster, $SIZE MiB, $OPS random ops, $FILES files" >&2
"$OMX" cluster up --nodes 2 --dir "$DIR" --mfs >&2
c=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["index"])' "$DIR/cluster.json")
for i in $(seq 50); do on 1 grep -q ' /mfs .*fuse.omxmfs' /proc/self/mountinfo && break; sleep 0.1; done
on 2 "$BUILD/bench/omx_bench_net" sink 5901 & SINK=$!
sleep 0.3

# work ROOT: one repetition of every measurement under ROOT (on node 1); prints JSON lines.
cat > "$DIR/work.py" <<'PY'
import json, os, random, subprocess, sys, time
root, size_mib, ops, files, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
path = os.path.join(root, "mfsbench.%d" % os.getpid())
def out(fig, value, unit): print(json.dumps({"fig": fig, "where": label, "value": value, "unit": unit}), flush=True)
def timed(f):
    t = time.monotonic(); f(); return time.monotonic() - t
def dd(*args): subprocess.run(["dd", "bs=1M", "status=none"] + list(args), check=True)
mb = size_mib * 1048576 / 1e6
out("seq_write", mb / timed(lambda: dd("if=/dev/zero", "of=" + path, "count=%d" % size_mib)), "MB/s")
out("seq_read", mb / timed(lambda: dd("if=" + path, "of=/dev/null")), "MB/s")
rnd = random.Random(7)
offs = [rnd.randrange(0, size_mib * 256) * 4096 for _ in range(ops)]
fd = os.open(path, os.O_RDWR)
def rr():
    for o in offs: os.pread(fd, 4096, o)
def rw():
    b = b"x" * 4096
    for o in offs: os.pwrite(fd, b, o)
out("rand_read", ops * 4096 / 1e6 / timed(rr), "MB/s")
out("rand_write", ops * 4096 / 1e6 / timed(rw), "MB/s")
os.close(fd)
os.unlink(path)
d = path + ".d"
os.mkdir(d)
def creates():
    for i in range(files):
        with open(os.path.join(d, "f%d" % i), "wb") as f: f.write(b"y" * 1024)
out("creates", files / timed(creates), "files/s")
for i in range(files): os.unlink(os.path.join(d, "f%d" % i))
os.rmdir(d)
PY
cp "$DIR/work.py" "$DIR/node1/tmp/work.py"
RESULTS=$DIR/results.jsonl
for rep in $(seq $REPS); do
  order="mfs local"; [ $((rep % 2)) = 1 ] || order="local mfs"
  for w in $order; do
    root=/tmp; [ $w = local ] || root=/mfs/2/tmp
    on 1 python3 /tmp/work.py "$root" $SIZE $OPS $FILES $w >> "$RESULTS"
  done
  on 1 "$BUILD/bench/omx_bench_net" source "198.18.$c.2" 5901 $((SIZE << 20)) |
    python3 -c 'import json,sys; j=json.loads(sys.stdin.read()); print(json.dumps({"fig":"seq_write","where":"raw","value":j["bytes"]*1e3/j["ns"],"unit":"MB/s"}))' >> "$RESULTS"
done
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def med(fig, where):
    v = [r["value"] for r in rows if r["fig"] == fig and r["where"] == where]
    return statistics.median(v) if v else None
raw = med("seq_write", "raw")
print("%-11s %12s %12s %9s %12s %9s" % ("/mfs bench", "via /mfs/2", "local disk", "mfs/local", "raw TCP", "mfs/raw"))
for fig in ["seq_write", "seq_read", "rand_read", "rand_write", "creates"]:
    m, l = med(fig, "mfs"), med(fig, "local")
    unit = {"MB/s": "MB/s", "files/s": "f/s"}[next(r["unit"] for r in rows if r["fig"] == fig)]
    rawcol = ("%9.1f %s" % (raw, "MB/s")) if fig.startswith("seq") else ""
    ratio = ("%8.2f" % (m / raw)) if fig.startswith("seq") else ""
    print("%-11s %7.1f %-4s %7.1f %-4s %9.3f %12s %9s" % (fig, m, unit[:4], l, unit[:4], m / l, rawcol, ratio))
PY
