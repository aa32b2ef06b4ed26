# The web dashboard's HTTP API on a real cluster (omx cluster up --dashboard, 3 nodes): every
# request is made with curl from inside node 1 (its network namespace), as root or as uid 65534
# (setpriv) on loopback, so the server knows the caller by sock_diag.
#  - /api/v1/cluster lists 3 nodes up with loads; whoami says root/loopback and nobody/loopback;
#  - a mosrun CPU program on node 1 shows in /api/v1/processes; POST migrate {to:2} moves it
#    (omx where says 2), {to:"home"} brings it back; as nobody the same POST is a 422 carrying
#    the very error line `omx migrate` prints for nobody;
#  - POST settings {speed} on node 2: refused for nobody (422, mosctl's line), done as root
#    (mosctl getspeed on node 2 shows it; the command went through the relay);
#  - SSE /api/v1/events delivers a cluster event; /metrics parses (HELP/TYPE, samples);
#  - bad JSON, a huge body, a wrong Content-Type, a foreign Host, an unknown route: each one
#    clear error with its status, and the server keeps serving;
#  - node 1's collector: /api/v1/history has samples, /history/load series, /history/processes,
#    a mark (POST) appears in /history/load; node 2 has no collector (404);
#  - omx dashboard url: a token for the caller; with it (Bearer) whoami names the user;
#  - omxd restarts the dashboard when it is killed (op http: new pid, restarts 1);
#  - a second server (omx dashboard serve in node 1): static files from --web-root (index,
#    MIME types, /api/docs/, /api/v1/openapi.yaml, no way out of the root); a third on node 1's
#    network address: no request without a token, and a token acts with its user's rights.
source "$(dirname "$0")/lib.sh"
need_root
export PATH=$OMX_BIN:$PATH
P=$OMX_TEST_PROGRAMS
URL=http://127.0.0.1:8750

new_dir D
up "$D" --nodes 3 --dashboard >/dev/null
T=$D/node1/tmp

# c NODE CURL-ARGS...: curl as root inside the node; prints the body, then " STATUS" on a line.
c() { local n=$1; shift; x "$D" "$n" curl -sS -m 10 -w '\n%{http_code}\n' "$@"; }
# cn NODE CURL-ARGS...: the same as uid 65534.
cn() {
  local n=$1; shift
  x "$D" "$n" setpriv --reuid 65534 --regid 65534 --clear-groups curl -sS -m 10 -w '\n%{http_code}\n' "$@"
}
# expect_status WANT OUTPUT: the last line of OUTPUT (c/cn) must be WANT.
expect_status() { [ "$(tail -1 <<<"$2")" = "$1" ] || fail "expected HTTP $1, got: $2"; }
body() { sed '$d' <<<"$1"; }
post() { local n=$1 path=$2 data=$3; shift 3; c "$n" -X POST -H 'Content-Type: application/json' -d "$data" "$@" "$URL$path"; }
postn() { local n=$1 path=$2 data=$3; shift 3; cn "$n" -X POST -H 'Content-Type: application/json' -d "$data" "$@" "$URL$path"; }
pyj() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); $1"; }

log "the dashboard answers on every node"
for n in 1 2 3; do
  out=""
  for ((i = 0; i < 50; i++)); do
    out=$(c "$n" "$URL/api/v1/whoami" 2>/dev/null) && [ "$(tail -1 <<<"$out")" = 200 ] && break
    sleep 0.2
  done
  expect_status 200 "$out"
done
x "$D" 1 omx status --json | pyj 'assert j["http"] == "127.0.0.1:8750", j' || fail "omx status --json: no http"
out=$(c 1 "$URL/api/v1/whoami"); expect_status 200 "$out"
body "$out" | pyj 'assert j["uid"] == 0 and j["via"] == "loopback" and j["can_act"] and j["user"] == "root" and j["node"] == 1, j' ||
  fail "whoami as root: $out"
out=$(cn 1 "$URL/api/v1/whoami"); expect_status 200 "$out"
body "$out" | pyj 'assert j["uid"] == 65534 and j["via"] == "loopback", j' || fail "whoami as nobody: $out"

log "/api/v1/cluster: 3 nodes up with loads"
ok=0
for ((i = 0; i < 50; i++)); do
  out=$(c 1 "$URL/api/v1/cluster")
  if body "$out" | pyj '
ns = j["nodes"]
assert j["self"] == 1 and len(ns) == 3 and all(n["up"] for n in ns), ns
assert all(isinstance(n.get("load"), int) and n["speed"] > 0 and n["ncpus"] > 0 and n["mem_total"] > 0 for n in ns), ns
assert j["cluster"]["nodes_up"] == 3 and 0 < j["cluster"]["efficiency"] <= 100, j["cluster"]' 2>/dev/null; then ok=1; break; fi
  sleep 0.2
done
[ $ok = 1 ] || fail "/api/v1/cluster: $out"

log "a mosrun program on node 1 appears in /api/v1/processes"
x "$D" 1 bash -c 'cd /tmp; mosrun -L "$0" 60 > primes.out & echo $! > pid; wait' "$P/demo_primes" >/dev/null 2>&1 &
BG_PIDS+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$T/pid" ] && break; sleep 0.05; done
pid=$(cat "$T/pid") || fail "the program did not start"
ok=0
for ((i = 0; i < 40; i++)); do
  out=$(c 1 "$URL/api/v1/processes")
  if body "$out" | PID=$pid pyj '
import os
p = [r for r in j["processes"] if r["home_pid"] == int(os.environ["PID"])]
assert len(p) == 1 and p[0]["home"] == 1 and p[0]["node"] == 1 and p[0]["where"] == 1, p
assert j["errors"] == [], j["errors"]' 2>/dev/null; then ok=1; break; fi
  sleep 0.25
done
[ $ok = 1 ] || fail "/api/v1/processes does not list pid $pid: $out"

log "migrate through the API: to 2, as nobody (refused like the CLI), home"
out=$(post 1 "/api/v1/processes/1/$pid/migrate" '{"to":2}'); expect_status 200 "$out"
[ "$(x "$D" 1 omx where "$pid")" = 2 ] || fail "after POST migrate to 2: omx where says $(x "$D" 1 omx where "$pid")"
cli_err=$(x "$D" 1 setpriv --reuid 65534 --regid 65534 --clear-groups omx migrate "$pid" home 2>&1 >/dev/null) &&
  fail "omx migrate as nobody succeeded"
out=$(postn 1 "/api/v1/processes/1/$pid/migrate" '{"to":"home"}'); expect_status 422 "$out"
body "$out" | ERR="$cli_err" pyj 'import os; assert j["ok"] is False and j["error"] == os.environ["ERR"].strip(), (j, os.environ["ERR"])' ||
  fail "as nobody: expected the CLI's error '$cli_err', got $out"
[ "$(x "$D" 1 omx where "$pid")" = 2 ] || fail "nobody's refused migrate moved the process"
out=$(post 1 "/api/v1/processes/1/$pid/migrate" '{"to":"home"}'); expect_status 200 "$out"
[ "$(x "$D" 1 omx where "$pid")" = 1 ] || fail "after POST migrate home: omx where says $(x "$D" 1 omx where "$pid")"
out=$(post 1 "/api/v1/processes/1/$pid/migrate" '{"to":"nowhere"}'); expect_status 400 "$out"
out=$(post 1 "/api/v1/processes/9/$pid/migrate" '{"to":2}'); expect_status 404 "$out"

log "node settings on node 2: nobody refused, root done (through the relay)"
out=$(postn 1 /api/v1/nodes/2/settings '{"speed":12345}'); expect_status 422 "$out"
body "$out" | pyj 'assert "only root" in j["error"], j' || fail "settings as nobody: $out"
[ "$(x "$D" 2 mosctl getspeed)" != 12345 ] || fail "nobody changed node 2's speed"
out=$(post 1 /api/v1/nodes/2/settings '{"speed":12345}'); expect_status 200 "$out"
[ "$(x "$D" 2 mosctl getspeed)" = 12345 ] || fail "root's settings: node 2 speed is $(x "$D" 2 mosctl getspeed)"
out=$(post 1 /api/v1/nodes/all/settings '{"quiet":false}'); expect_status 200 "$out"
body "$out" | pyj 'assert sorted(r["node"] for r in j["results"]) == [1, 2, 3] and all(r["ok"] for r in j["results"]), j' ||
  fail "settings on all: $out"

log "SSE: a cluster event"
x "$D" 1 timeout 4 curl -sN "$URL/api/v1/events" > "$D/events" || true
grep -q '^event: cluster$' "$D/events" || fail "no cluster event: $(head -c 300 "$D/events")"
python3 - "$D/events" <<'PY' || fail "event data is not one line of JSON"
import json, sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("event: cluster")
assert lines[i + 1].startswith("data: "), lines[i + 1]
j = json.loads(lines[i + 1][6:])
assert len(j["nodes"]) == 3, j
PY

log "/metrics"
x "$D" 1 curl -sS -m 10 "$URL/metrics" > "$D/metrics" || fail "GET /metrics failed"
python3 - "$D/metrics" <<'PY' || fail "/metrics: $(head -20 "$D/metrics")"
import re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n")
fam = None; helped = None; seen = set(); samples = {}
sample = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+)$')
for line in text.rstrip("\n").split("\n"):
    if line.startswith("# HELP "):
        name = line.split(" ")[2]; assert name not in seen, name; seen.add(name); helped = name; fam = None
    elif line.startswith("# TYPE "):
        _, _, name, typ = line.split(" "); assert name == helped and typ in ("gauge", "counter"), line; fam = name
    else:
        m = sample.match(line); assert m and m.group(1) == fam, line
        float(m.group(3)); samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
for n in (1, 2, 3):
    assert samples['omx_node_up{node="%d"}' % n] == 1, n
assert samples["omx_cluster_nodes_up"] == 3 and samples["omx_cluster_nodes"] == 3
assert samples['omx_migrations_total{direction="out"}'] >= 1 and samples['omx_migrations_total{direction="home"}'] >= 1
PY

log "malformed requests: one clear error each, and the server goes on"
out=$(post 1 "/api/v1/processes/1/$pid/lock" '{bad json'); expect_status 400 "$out"
body "$out" | pyj 'assert j["ok"] is False and "JSON" in j["error"], j' || fail "bad JSON: $out"
out=$(x "$D" 1 bash -c "head -c 300000 /dev/zero | tr '\\0' a | curl -sS -m 10 -w '\n%{http_code}\n' -X POST -H 'Content-Type: application/json' --data-binary @- $URL/api/v1/history/marks")
expect_status 413 "$out"
out=$(c 1 -X POST -H 'Content-Type: text/plain' -d '{}' "$URL/api/v1/processes/1/$pid/lock"); expect_status 403 "$out"
out=$(c 1 -H 'Host: attacker.example:8750' "$URL/api/v1/cluster"); expect_status 403 "$out"
body "$out" | pyj 'assert "attacker.example" in j["error"], j' || fail "foreign Host: $out"
out=$(c 1 "$URL/api/v1/no/such/route"); expect_status 404 "$out"
body "$out" | pyj 'assert j["ok"] is False and "no such route" in j["error"], j' || fail "unknown route: $out"
out=$(c 1 "$URL/../../etc/passwd" --path-as-is); expect_status 404 "$out"
out=$(c 1 "$URL/api/v1/whoami"); expect_status 200 "$out"

log "history: node 1's collector"
ok=0
for ((i = 0; i < 50; i++)); do
  out=$(c 1 "$URL/api/v1/history")
  if body "$out" | pyj 'assert j["samples"] >= 3 and j["node"] == 1 and j["interval_ms"] == 1000, j' 2>/dev/null; then ok=1; break; fi
  sleep 0.3
done
[ $ok = 1 ] || fail "/api/v1/history: $out"
out=$(post 1 /api/v1/history/marks '{"label":"checkpoint A"}'); expect_status 200 "$out"
out=$(postn 1 /api/v1/history/marks '{"label":"by nobody"}'); expect_status 200 "$out"
out=$(c 1 "$URL/api/v1/history/load?points=10"); expect_status 200 "$out"
body "$out" | pyj '
assert len(j["nodes"]) == 3 and any(v is not None for v in j["cluster"]["load"]), j
assert "checkpoint A" in [m["label"] for m in j["marks"]], j["marks"]' || fail "/history/load: $out"
now=$(date +%s%3N)
out=$(c 1 "$URL/api/v1/history/processes?at=$now"); expect_status 200 "$out"
body "$out" | pyj 'assert "processes" in j and j["time"] > 0, j' || fail "/history/processes: $out"
out=$(c 1 "$URL/api/v1/history/processes"); expect_status 400 "$out"
out=$(c 1 "$URL/api/v1/history/load?points=1"); expect_status 400 "$out"
out=$(c 2 "$URL/api/v1/history"); expect_status 404 "$out"
body "$out" | pyj 'assert "no collector" in j["error"], j' || fail "node 2 /history: $out"

log "omx dashboard url: a token for the caller"
u=$(x "$D" 1 setpriv --reuid 65534 --regid 65534 --clear-groups omx dashboard url) || fail "omx dashboard url failed"
[[ $u == http://127.0.0.1:8750/login?token=65534.* ]] || fail "omx dashboard url: $u"
tok=${u#*token=}
out=$(c 1 -H "Authorization: Bearer $tok" "$URL/api/v1/whoami"); expect_status 200 "$out"
body "$out" | pyj 'assert j["uid"] == 65534 and j["via"] == "token", j' || fail "whoami with nobody's token: $out"
out=$(c 1 -H "Authorization: Bearer 0.${tok#*.}" "$URL/api/v1/whoami"); expect_status 401 "$out"
out=$(c 1 -i "$URL/login?token=$tok"); expect_status 303 "$out"
grep -qi '^Set-Cookie: omx_token=.*HttpOnly; SameSite=Strict' <<<"$out" || fail "/login: $out"

log "omxd restarts its dashboard when it dies"
old=$(x "$D" 1 omx control http | pyj 'assert j["running"] and j["listen"] == "127.0.0.1:8750", j; print(j["pid"])') ||
  fail "op http: $(x "$D" 1 omx control http)"
x "$D" 1 kill -KILL "$old"
ok=0
for ((i = 0; i < 50; i++)); do
  sleep 0.2
  new=$(x "$D" 1 omx control http | pyj 'print(j["pid"] if j["running"] and j["restarts"] == 1 else 0)')
  [ "$new" != 0 ] && [ "$new" != "$old" ] || continue
  out=$(c 1 "$URL/api/v1/whoami" 2>/dev/null) || continue
  [ "$(tail -1 <<<"$out")" = 200 ] && { ok=1; break; }
done
[ $ok = 1 ] || fail "the dashboard (pid $old, killed) was not restarted: $(x "$D" 1 omx control http)"

log "a second server: static files from --web-root, and tokens required beyond loopback"
mkdir -p "$T/web/api/docs"
echo '<html>dash</html>' > "$T/web/index.html"
echo 'let x = 1;' > "$T/web/app.js"
echo '<html>docs</html>' > "$T/web/api/docs/index.html"
echo 'openapi: 3.0.3' > "$T/web/openapi.yaml"
echo 'secret' > "$T/outside.txt"
cp "$D/cluster.key" "$T/key" && chmod 600 "$T/key"
addr1=$(json_get "$D/cluster.json" 'j["nodes"][0]["addr"]')
x "$D" 1 omx dashboard serve --listen 127.0.0.1:8751 --web-root /tmp/web > "$T/serve1.log" 2>&1 &
BG_PIDS+=($!)
x "$D" 1 omx dashboard serve --listen "$addr1:8752" --web-root /tmp/web --token-secret /tmp/key \
  > "$T/serve2.log" 2>&1 &
BG_PIDS+=($!)
for ((i = 0; i < 50; i++)); do
  grep -q serving "$T/serve1.log" && grep -q serving "$T/serve2.log" && break
  sleep 0.1
done
S=http://127.0.0.1:8751
out=$(c 1 -D /tmp/h "$S/"); expect_status 200 "$out"
[ "$(body "$out")" = '<html>dash</html>' ] || fail "GET /: $out"
grep -qi '^Content-Type: text/html' "$T/h" || fail "GET / type: $(cat "$T/h")"
out=$(c 1 -D /tmp/h "$S/app.js"); expect_status 200 "$out"
grep -qi '^Content-Type: text/javascript' "$T/h" || fail "GET /app.js type: $(cat "$T/h")"
out=$(c 1 "$S/api/docs/"); expect_status 200 "$out"
[ "$(body "$out")" = '<html>docs</html>' ] || fail "GET /api/docs/: $out"
out=$(c 1 "$S/api/v1/openapi.yaml"); expect_status 200 "$out"
[ "$(body "$out")" = 'openapi: 3.0.3' ] || fail "GET /api/v1/openapi.yaml: $out"
out=$(c 1 --path-as-is "$S/../outside.txt"); expect_status 404 "$out"
out=$(c 1 --path-as-is "$S/%2e%2e/outside.txt"); expect_status 404 "$out"
out=$(c 1 "$S/missing.js"); expect_status 404 "$out"
S2=http://$addr1:8752
out=$(c 1 "$S2/api/v1/cluster"); expect_status 401 "$out"
out=$(c 1 "$S2/"); expect_status 401 "$out"
out=$(c 1 -H "Authorization: Bearer $tok" "$S2/api/v1/whoami"); expect_status 200 "$out"
body "$out" | pyj 'assert j["uid"] == 65534 and j["via"] == "token", j' || fail "token beyond loopback: $out"
out=$(c 1 -H "Authorization: Bearer $tok" -X POST -H 'Content-Type: application/json' -d '{"to":2}' \
  "$S2/api/v1/processes/1/$pid/migrate"); expect_status 422 "$out"   # nobody's token: nobody's rights
[ "$(x "$D" 1 omx where "$pid")" = 1 ] || fail "a migrate with nobody's token moved root's process"

kill -TERM "$pid" 2>/dev/null || x "$D" 1 kill -TERM "$pid" || true
echo "PASS"
