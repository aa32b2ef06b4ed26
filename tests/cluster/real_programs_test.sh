# Real programs nobody here wrote, each run natively and then under `omx run --bounce` between
# two namespaced nodes: the output must be byte-identical, the exit status the same, and the
# stats must show migrations really happened (issue 2, "Must hold" 7).
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
BOUNCE=${OMX_BOUNCE_MS:-100}
ONLY=${1:-}

new_dir D
up "$D" --nodes 2 >/dev/null
T=$D/node1/tmp   # node 1's /tmp, seen from the host

# prepare inputs inside node 1 (its private /tmp)
x "$D" 1 bash -c '
  cd /tmp
  echo "scale=3000; 4*a(1)" > pi.bc
  head -c $((256 << 20)) /dev/urandom > big.bin
  head -c $((48 << 20)) /dev/urandom | base64 > text.txt
  awk "BEGIN { srand(7); for (i = 0; i < 1000000; i++) printf \"%08d %s\n\", int(rand() * 1e8), i }" > lines.txt
  cat > files.py <<PY
import os, hashlib
os.makedirs("pydir", exist_ok=True)
h = hashlib.sha256()
for i in range(200):
    p = os.path.join("pydir", "f%03d.tmp" % i)
    with open(p, "w") as f:
        f.write(("row %d\n" % i) * (i + 1))
    os.rename(p, p[:-4] + ".txt")
for name in sorted(os.listdir("pydir")):
    with open(os.path.join("pydir", name), "rb") as f:
        h.update(f.read())
print(h.hexdigest(), len(os.listdir("pydir")))
PY
  cat > db.sql <<SQL
create table t(a integer primary key, b text, c real);
with recursive n(i) as (select 1 union all select i + 1 from n where i < 200000)
insert into t select i, hex(randomblob(8)), i * 0.5 from n;
create index tb on t(b);
select count(*), sum(c), min(b) < max(b) from t;
select a % 7, count(*) from t group by a % 7 order by 1;
SQL
'

# run NAME CMD: natively, then bounced; compares stdout and exit status.
run() {
  local name=$1 cmd=$2
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
  log "$name"
  local res
  res=$(x "$D" 1 bash -c '
    cd /tmp; rm -rf pydir run.db
    bash -c "$0" > native.out 2> native.err; n=$?
    rm -rf pydir run.db
    OMX_SUPERVISOR_LOG=/tmp/sup.log omx run --bounce "$1" --stats-json stats.json -- bash -c "$0" > mig.out 2> mig.err; m=$?
    echo "$n $m"' "$cmd" "$BOUNCE")
  read -r n m <<<"$res"
  [ "$n" = "$m" ] || fail "$name: exit status $m under migration, $n natively; stderr: $(head -5 "$T/mig.err")"
  cmp -s "$T/native.out" "$T/mig.out" || fail "$name: output differs ($(wc -c < "$T/native.out") vs $(wc -c < "$T/mig.out") bytes)"
  local migs
  migs=$(json_get "$T/stats.json" 'j["migrations"]')
  [ "$migs" -gt 0 ] || fail "$name: no migration happened (stats: $(cat "$T/stats.json"))"
  echo "    ok: identical output, status $n, stats $(cat "$T/stats.json")"
}

run bc        'bc -l pi.bc'
run sha256sum 'sha256sum big.bin'
run md5sum    'md5sum big.bin'
run xz        'xz -T1 -c -3 text.txt | xz -d -c | sha256sum'
run gzip      'gzip -c text.txt | gunzip -c | sha256sum; gzip -c text.txt | sha256sum'
run sort      'sort lines.txt | sha256sum'
run awk       "awk '{ s += \$1; c[substr(\$1, 1, 2)]++ } END { print s; for (k in c) n++; print n }' lines.txt"
run python3   'python3 files.py'
run sqlite3   'sqlite3 run.db < db.sql'
echo PASS
