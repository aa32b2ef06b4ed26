// dashboard_browser's browser half (tests/cluster/dashboard_browser_test.sh runs it inside node
// 1's network namespace, through `omx cluster exec`): Debian's chromium against the real omxd
// dashboard of a 3-node cluster running a CPU-bound `mosrun` program PID at home on node 1.
//   node test/cluster.mjs --url http://127.0.0.1:8750 --pid PID --omx BIN/omx [--shots DIR]
// Checks: the Nodes view shows the 3 nodes up with real figures; the Processes view lists the
// program; dragging its square on the migration map onto node 2 migrates it (`omx where PID`
// says 2) and the map redraws it there with a line home, node 2's guests list it; a
// double-click sends it home; the History view has points collected during the test, and the
// process list at the moment it was on node 2 has it there.
import { execFileSync } from 'node:child_process';
import { args, check, drag, runBrowserTest, until } from './lib.mjs';

const a = args();
const url = (a.url || 'http://127.0.0.1:8750').replace(/\/$/, '');
const pid = String(a.pid || '');
const omx = a.omx || 'omx';
const shots = a.shots;
if (!pid) { console.error('usage: cluster.mjs --url URL --pid PID --omx OMX [--shots DIR]'); process.exit(2); }

const key = `1:${pid}`;
const where = () => {
  try { return execFileSync(omx, ['where', pid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim(); }
  catch (e) { return `error: ${(e.stderr || e.message).toString().trim()}`; }
};
const getJson = async (path) => { const r = await fetch(url + path); return r.ok ? r.json() : null; };
const log = (s) => console.log(`--- ${s}`);

await runBrowserTest({ shots, prefix: 'cluster' }, async (t) => {
  const page = t.page;
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  t.step = 'the server answers';
  await until(async () => (await getJson('/api/v1/whoami'))?.can_act, `${url}/api/v1/whoami answers with can_act`, 20000, 300);

  log(t.step = 'nodes view');
  await page.goto(`${url}/#nodes`);
  await until(async () => (await page.locator('table.nodes tr[data-up="1"]').count()) === 3, 'the Nodes view shows 3 nodes up', 20000);
  for (const n of [1, 2, 3]) {
    const row = `table.nodes tr[data-node="${n}"]`;
    check((await page.locator(`${row} button.addr`).innerText()).trim().length > 0, `node ${n} has an address`);
    check((await page.locator(`${row} td.cpus`).innerText()).trim() === '1', `node ${n} shows 1 CPU`);
    const mem = await page.locator(`${row} td.mem .bar`).innerText();
    check(/\d.* \/ \d/.test(mem) && !/ \/ 0 B/.test(mem), `node ${n} shows real memory (${mem})`);
    check(Number(await page.locator(`${row} .lcd`).inputValue()) > 0, `node ${n} shows its speed`);
  }
  // demo_primes keeps node 1's CPU busy: its load bar climbs towards 100 (one standard CPU)
  await until(async () => Number((await page.locator('table.nodes tr[data-node="1"] td.load .bar').innerText()).trim()) >= 50,
    'node 1 shows the load of the CPU-bound program (>= 50)', 20000);
  check(/efficiency \d+ %/.test(await page.locator('tr.all .bar.eff').innerText()), 'the cluster row shows the efficiency');

  log(t.step = 'processes view');
  await page.goto(`${url}/#procs`);
  const row = `table.procs tr[data-proc="${key}"]`;
  await until(async () => (await page.locator(row).count()) === 1, `the Processes view lists ${key}`, 15000);
  check((await page.locator(`${row} td.cmd`).innerText()).includes('demo_primes'), 'its command is demo_primes');
  check((await page.locator(`${row} td.where`).innerText()).trim() === '1', 'it runs at home (node 1)');

  log(t.step = 'migration map: drag onto node 2');
  await page.goto(`${url}/#map`);
  const sq = `rect[data-proc="${key}"]`;
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '1', `the map draws ${key} at node 1`, 10000);
  await drag(page, sq, 'g[data-node="2"] circle');
  await until(() => where() === '2', `after the drag onto node 2, omx where ${pid} says 2`, 20000, 300);
  const t2 = Date.now();
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '2', 'the map redraws it at node 2', 10000);
  await until(async () => (await page.locator(`line[data-line="${key}"]`).count()) === 1, 'a line from it to its home', 5000);
  check(await page.locator(`${sq}.migrated`).count() === 1, 'it is drawn as migrated (green)');
  if (shots) await page.screenshot({ path: `${shots}/cluster-map-migrated.png` }).catch(() => {});
  // let the collector take a process snapshot while it is on node 2 (process lists are recorded
  // less often than loads: at most every 5 s)
  const col = await getJson('/api/v1/history');
  check(col, '/api/v1/history answers on node 1 (the collector runs there)');
  const interval = col.interval_ms || 1000;
  let tPast = 0;
  await until(async () => {
    const snap = await getJson(`/api/v1/history/processes?at=${Date.now()}`);
    const p = snap?.processes?.find((r) => `${r.home}:${r.home_pid}` === key);
    if (snap && snap.time >= t2 && p && p.where === 2) tPast = snap.time;
    return tPast > 0;
  }, 'the collector records a process list with it on node 2', 10 * interval + 15000, 300);

  t.step = 'guests of node 2';
  await page.goto(`${url}/#procs`);
  await until(async () => (await page.locator(`${row} td.where`).innerText()).includes('2'), 'the Processes view shows it on node 2', 10000);
  await page.locator('select[aria-label="guests of node"]').selectOption('2');
  await until(async () => (await page.locator(`[data-testid=guests] tr[data-proc="${key}"]`).count()) === 1,
    `node 2's guests list ${key}`, 10000);

  log(t.step = 'migration map: double-click sends it home');
  await page.goto(`${url}/#map`);
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '2', 'the map draws it at node 2 again', 10000);
  await page.dblclick(sq);
  await until(() => where() === '1', `after the double-click, omx where ${pid} says 1`, 20000, 300);
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '1', 'the map redraws it at home', 10000);
  check(await page.locator(`line[data-line="${key}"]`).count() === 0, 'no line once home');

  log(t.step = 'history');
  await page.goto(`${url}/#history`);
  await until(async () => Number(await page.locator('[data-testid=chart-load]').getAttribute('data-points')) >= 2,
    'the load chart has points collected during the test', 15000);
  await until(async () => (await page.locator('[data-testid=chart-load] canvas').count()) >= 1, 'the load chart is drawn', 5000);
  const local = await page.evaluate((ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60e3).toISOString().slice(0, 19),
    Math.ceil(tPast / 1000) * 1000);
  await page.locator('input[aria-label="moment (time)"]').fill(local);
  const past = `[data-testid=past-procs] tr[data-proc="${key}"]`;
  await until(async () => (await page.locator(past).count()) === 1, `the process list at ${local} has ${key}`, 10000);
  check((await page.locator(past).getAttribute('data-where')) === '2', `and shows it on node 2 then (${await page.locator(past).getAttribute('data-where')})`);
  t.step = 'api reference';
  const docs = await fetch(`${url}/api/docs/`);
  check(docs.ok && (await docs.text()).includes('/api/v1/processes/{home}/{pid}/migrate'), 'the server serves the API reference at /api/docs/');
  check((await (await fetch(`${url}/openapi.yaml`)).text()).startsWith('openapi: 3'), 'the server serves /openapi.yaml');
  check(errors.length === 0, `no page errors: ${errors.join(' | ')}`);
});
