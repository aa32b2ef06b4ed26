// A stand-in for omxd's dashboard server, following docs/api/openapi.yaml with fixture data:
// three nodes, a few processes, SSE, a collector with synthetic history. Actions change the
// state (migrate moves a process) and every POST is logged (GET /__mock/log) so a test can
// check what the front-end sent.
//   node test/mock-server.mjs [--port N] [--root DIR] [--readonly] [--no-history]
// Prints "listening PORT" when ready.
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const port = Number(opt('--port', 8750));
const root = resolve(opt('--root', 'dist'));
const readonly = args.includes('--readonly');
const noHistory = args.includes('--no-history');

const GiB = 1024 ** 3;
const started = Date.now();
const nodes = [1, 2, 3].map((id) => ({
  id, addr: `10.77.0.${id}`, self: id === 1, up: id !== 3 || true, load: 0, speed: 10000, ncpus: 1,
  mem_used: 0, mem_total: 2 * GiB, mem_free: 0, util: 0, status: { stay: false, lstay: false, block: false, quiet: false },
  local_procs: 0, guests: 0, migrations_1m: 0, record_age_ms: 200,
}));
const procs = [
  { home: 1, home_pid: 4242, comm: 'demo_primes', cmdline: 'demo_primes 400000', where: 1, lock: false, nmigs: 0, uid: 0, user: 'root', pcpu: 99.5, rss_kib: 1480, nice: 0, cantmove: '' },
  { home: 1, home_pid: 4243, comm: 'sh', cmdline: "sh -c 'while :; do :; done'", where: 2, lock: true, nmigs: 1, uid: 1000, user: 'ann', pcpu: 97.1, rss_kib: 900, nice: 5, cantmove: '' },
  { home: 2, home_pid: 777, comm: 'sleep', cmdline: 'sleep 1000', where: 2, lock: false, nmigs: 0, uid: 1000, user: 'ann', pcpu: 0, rss_kib: 600, nice: 0, cantmove: 'sleeping in a system call it must finish at home' },
];
const marks = [{ t: started - 120e3, label: 'before the test' }];
const posts = [];

function refresh() {
  for (const n of nodes) {
    const here = procs.filter((p) => p.where === n.id && p.pcpu > 50).length;
    n.load = n.up ? 100 * here + 3 : 0;
    n.mem_used = n.up ? Math.round((0.3 + 0.1 * n.id) * GiB) : 0;
    n.mem_free = n.mem_total - n.mem_used;
    n.local_procs = procs.filter((p) => p.home === n.id).length;
    n.guests = procs.filter((p) => p.where === n.id && p.home !== n.id).length;
  }
}
function cluster() {
  refresh();
  const up = nodes.filter((n) => n.up);
  const ratios = up.map((n) => n.load / (n.speed / 100 * n.ncpus));
  const max = Math.max(...ratios, 0);
  const eff = max === 0 ? 100 : (100 * ratios.reduce((a, b) => a + b, 0) / ratios.length) / max;
  return {
    self: 1, time: Date.now(), nodes,
    cluster: { nodes: nodes.length, nodes_up: up.length, ncpus: up.reduce((a, n) => a + n.ncpus, 0),
      load: up.reduce((a, n) => a + n.load, 0), mem_used: up.reduce((a, n) => a + n.mem_used, 0),
      mem_total: up.reduce((a, n) => a + n.mem_total, 0), efficiency: Math.round(eff * 10) / 10 },
  };
}
const procRow = (p) => ({ ...p, node: p.home, pid: p.home_pid, guest: false, stat: 'R', cpu_s: 12.5 });
const processes = () => ({ time: Date.now(), processes: procs.map(procRow), errors: [] });

// History: a sample every 2 s since 10 min before the start.
const first = started - 600e3;
function loadHistory(q) {
  const to = Number(q.get('to') || Date.now());
  const from = Number(q.get('from') || to - 3600e3);
  const pts = Math.min(2000, Math.max(2, Number(q.get('points') || 300)));
  if (!(from < to)) return [400, { ok: false, error: 'from must be before to' }];
  const step = Math.max(2000, Math.ceil((to - from) / pts / 1000) * 1000);
  const series = (id) => {
    const t = [], load = [], mem_used = [], mem_total = [], up = [];
    for (let x = Math.ceil(from / step) * step; x <= to; x += step) {
      t.push(x);
      const have = x >= first && x <= Date.now();
      const l = id === undefined ? null : 50 + 45 * Math.sin(x / 60e3 + id);
      load.push(have ? (id === undefined ? 150 + 50 * Math.sin(x / 50e3) : l) : null);
      mem_used.push(have ? (id === undefined ? 1.5 : 0.4 + 0.1 * (id ?? 0)) * GiB : null);
      mem_total.push(have ? (id === undefined ? 6 : 2) * GiB : null);
      up.push(have ? 1 : null);
    }
    return { ...(id === undefined ? {} : { node: id }), t, load, mem_used, mem_total, up };
  };
  return [200, { from, to, step_ms: step, nodes: nodes.map((n) => series(n.id)), cluster: series(undefined),
    marks: marks.filter((m) => m.t >= from && m.t <= to) }];
}

const json = (res, code, body) => {
  const s = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(s);
};
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.yaml': 'application/yaml', '.svg': 'image/svg+xml' };
function serveFile(res, path) {
  let p = normalize(join(root, path));
  if (!p.startsWith(root)) return json(res, 404, { ok: false, error: 'not found' });
  try { if (statSync(p).isDirectory()) p = join(p, 'index.html'); } catch { /* below */ }
  try {
    const body = readFileSync(p);
    res.writeHead(200, { 'Content-Type': MIME[extname(p)] || 'application/octet-stream' });
    res.end(body);
  } catch { json(res, 404, { ok: false, error: `no such file: ${path}` }); }
}

function action(path, body) {
  let m = path.match(/^\/api\/v1\/processes\/(\d+)\/(\d+)\/(migrate|lock|unlock|signal|renice)$/);
  if (m) {
    const p = procs.find((x) => x.home === Number(m[1]) && x.home_pid === Number(m[2]));
    if (!p) return [404, { ok: false, error: `omx: no process ${m[2]} at home on node ${m[1]}` }];
    if (m[3] === 'migrate') {
      const to = body.to === 'home' ? p.home : body.to === 'best' ? 3 : Number(body.to);
      if (!nodes.some((n) => n.id === to)) return [422, { ok: false, error: `migrate: node ${body.to} is not in the cluster map` }];
      if (p.cantmove) return [422, { ok: false, error: `migrate: pid ${p.home_pid} cannot move: ${p.cantmove}` }];
      if (to !== p.where) p.nmigs++;
      p.where = to;
    } else if (m[3] === 'lock') p.lock = true;
    else if (m[3] === 'unlock') p.lock = false;
    else if (m[3] === 'renice') p.nice = body.nice;
    else if (m[3] === 'signal' && (body.signal === 'KILL' || body.signal === 'TERM')) procs.splice(procs.indexOf(p), 1);
    return [200, { ok: true }];
  }
  m = path.match(/^\/api\/v1\/nodes\/(\d+|all)\/(settings|expel|bring)$/);
  if (m) {
    const targets = m[1] === 'all' ? nodes.filter((n) => n.up) : nodes.filter((n) => n.id === Number(m[1]));
    if (!targets.length) return [404, { ok: false, error: `no node ${m[1]}` }];
    for (const n of targets) {
      if (m[2] === 'settings') {
        if (body.speed !== undefined) n.speed = body.speed;
        for (const k of ['stay', 'lstay', 'block', 'quiet']) if (body[k] !== undefined) n.status[k] = body[k];
      } else if (m[2] === 'expel') for (const p of procs) if (p.where === n.id) p.where = p.home;
      else if (m[2] === 'bring') for (const p of procs) if (p.home === n.id) p.where = p.home;
    }
    return [200, m[1] === 'all' ? { ok: true, results: targets.map((n) => ({ node: n.id, ok: true })) } : { ok: true }];
  }
  if (path === '/api/v1/history/marks') {
    if (noHistory) return [404, { ok: false, error: 'no collector on this node (the collector runs on node 1)' }];
    marks.push({ t: Date.now(), label: body.label || '' });
    return [200, { ok: true }];
  }
  return [404, { ok: false, error: `no such endpoint: POST ${path}` }];
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  if (req.method === 'POST') {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      const ct = req.headers['content-type'] || '';
      let body = {};
      try { body = data ? JSON.parse(data) : {}; } catch { return json(res, 400, { ok: false, error: 'the body is not JSON' }); }
      posts.push({ path, contentType: ct, body, t: Date.now() });
      if (!ct.startsWith('application/json')) return json(res, 400, { ok: false, error: 'Content-Type must be application/json' });
      if (readonly) return json(res, 401, { ok: false, error: 'who are you? (no uid: read-only)' });
      const [code, out] = action(path, body);
      json(res, code, out);
    });
    return;
  }
  if (path === '/__mock/log') return json(res, 200, posts);
  if (path === '/api/v1/whoami') return json(res, 200, readonly ? { uid: null, via: 'anonymous', can_act: false, node: 1 }
    : { uid: 0, user: 'root', via: 'loopback', can_act: true, node: 1 });
  if (path === '/api/v1/cluster') return json(res, 200, cluster());
  if (path === '/api/v1/processes') return json(res, 200, processes());
  let m = path.match(/^\/api\/v1\/nodes\/(\d+)\/guests$/);
  if (m) {
    const id = Number(m[1]);
    if (!nodes.some((n) => n.id === id)) return json(res, 404, { ok: false, error: `no node ${id} in the cluster map` });
    return json(res, 200, { time: Date.now(), errors: [], processes: procs.filter((p) => p.where === id && p.home !== id)
      .map((p, i) => ({ ...procRow(p), node: id, pid: 30000 + i, guest: true })) });
  }
  if (path.startsWith('/api/v1/history')) {
    if (noHistory) return json(res, 404, { ok: false, error: 'no collector on this node (the collector runs on node 1)' });
    if (path === '/api/v1/history') return json(res, 200, { node: 1, interval_ms: 2000, retention_ms: 12 * 3600e3, first, last: Date.now(), samples: Math.round((Date.now() - first) / 2000) });
    if (path === '/api/v1/history/load') { const [c, b] = loadHistory(url.searchParams); return json(res, c, b); }
    if (path === '/api/v1/history/processes') {
      const at = Number(url.searchParams.get('at'));
      if (!at) return json(res, 400, { ok: false, error: 'at= is required (ms since the epoch)' });
      if (at < first) return json(res, 404, { ok: false, error: 'no snapshot at or before that moment' });
      return json(res, 200, { time: Math.floor(at / 2000) * 2000, errors: [], processes: procs.map(procRow) });
    }
  }
  if (path === '/api/v1/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const send = (ev, data) => res.write(`event: ${ev}\ndata: ${JSON.stringify(data)}\n\n`);
    send('cluster', cluster());
    send('processes', processes());
    const a = setInterval(() => send('cluster', cluster()), 1000);
    const b = setInterval(() => send('processes', processes()), 2000);
    req.on('close', () => { clearInterval(a); clearInterval(b); });
    return;
  }
  if (path.startsWith('/api/v1/')) return json(res, 404, { ok: false, error: `no such endpoint: ${path}` });
  serveFile(res, path === '/' ? 'index.html' : decodeURIComponent(path));
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
