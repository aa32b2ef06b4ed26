// dashboard_ui_mock: the front-end in Debian's chromium against the mock server
// (test/mock-server.mjs): every view renders the fixture, the migrator and a drag on the
// migration map send the right POSTs (JSON, right path and body), an API error line is shown,
// the history charts have points and marks, the read-only and no-collector cases say so, and
// the API reference page and the spec are served.
//   node test/ui-mock.mjs --root BUILD/web [--shots DIR]
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { args, check, drag, runBrowserTest, until } from './lib.mjs';

const a = args();
const root = a.root || join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const shots = a.shots;

function startMock(extra = []) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'mock-server.mjs'), '--port', '0', '--root', root, ...extra],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.on('data', (d) => {
      const m = String(d).match(/listening (\d+)/);
      if (m) resolve({ proc: p, url: `http://127.0.0.1:${m[1]}` });
    });
    p.on('exit', (c) => reject(new Error(`mock server exited ${c}`)));
  });
}

const mocks = [];
const log = async (url) => (await fetch(`${url}/__mock/log`)).json();
const posted = async (url, path, pred = () => true) => (await log(url)).find((p) => p.path === path && pred(p));

await runBrowserTest({ shots, prefix: 'mock' }, async (t) => {
  const page = t.page;
  const m = await startMock();
  mocks.push(m.proc);
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (e) => errors.push(e.message));

  t.step = 'read-only, no collector';
  const r = await startMock(['--readonly', '--no-history']);
  mocks.push(r.proc);
  await page.goto(`${r.url}/#history`);
  await until(async () => (await page.locator('[data-testid=readonly]').count()) === 1, 'the read-only notice');
  await until(async () => (await page.locator('[data-testid=no-collector]').innerText()).includes('no collector on this node'),
    'History shows the server\'s "no collector on this node"');
  await page.goto(`${r.url}/#procs`);
  await until(async () => (await page.locator('tr[data-proc="1:4242"]').count()) === 1, 'read-only: processes listed');
  await page.locator('tr[data-proc="1:4242"]').click();
  check(await page.locator('#migrator button[data-act=home]').isDisabled(), 'read-only: the migrator\'s buttons are disabled');
  errors.length = 0;  // its 404s (no collector) were asked for

  t.step = 'nodes view';
  await page.goto(`${m.url}/#nodes`);
  await until(async () => (await page.locator('table.nodes tr[data-up="1"]').count()) === 3, 'three nodes up in the Nodes view');
  check((await page.locator('[data-testid=whoami]').innerText()).includes('root'), 'whoami shows root');
  check(await page.locator('tr.all .bar.eff').count() === 1, 'the whole-cluster row has the efficiency bar');
  check((await page.locator('tr[data-node="1"] .lcd').inputValue()) === '10000', 'node 1 speed 10000 in the number box');
  // speed: type a number + Enter -> POST settings {speed}
  await page.locator('tr[data-node="2"] .lcd').fill('12000');
  await page.locator('tr[data-node="2"] .lcd').press('Enter');
  await until(() => posted(m.url, '/api/v1/nodes/2/settings', (p) => p.body.speed === 12000 && p.contentType.startsWith('application/json')),
    'editing node 2 speed POSTs settings {speed: 12000} as JSON');
  // node dialog: block on node 3
  await page.locator('tr[data-node="3"] button.addr').click();
  await page.locator('#node-dialog input[name=block]').check();
  await page.locator('#node-dialog button.primary').click();
  await until(() => posted(m.url, '/api/v1/nodes/3/settings', (p) => p.body.block === true), 'node dialog POSTs {block: true}');
  await page.locator('#node-dialog button.close').click();
  await page.locator('tr.all button.addr').click();
  await page.locator('#node-dialog button', { hasText: 'expel' }).click();
  await until(() => posted(m.url, '/api/v1/nodes/all/expel'), '"all nodes" expel POSTs /nodes/all/expel');
  await page.locator('#node-dialog button.close').click();

  t.step = 'processes view';
  await page.goto(`${m.url}/#procs`);
  await until(async () => (await page.locator('table.procs tr[data-proc="1:4242"]').count()) === 1, 'process 1:4242 listed');
  check(await page.locator('tr[data-proc="1:4243"].migrated').count() === 1, 'the migrated process is marked migrated');
  check(await page.locator('tr[data-proc="1:4243"] td.lock svg.lock-icon').count() === 1, 'the locked process has a lock mark');
  await page.locator('tr[data-proc="1:4242"]').click();
  await page.locator('#migrator button[data-node="3"]').click();
  await until(() => posted(m.url, '/api/v1/processes/1/4242/migrate', (p) => p.body.to === 3), 'migrator: node 3 POSTs migrate {to: 3}');
  await until(async () => (await page.locator('[data-testid=migrator-where]').innerText()) === '3', 'migrator shows it on node 3');
  await page.locator('#migrator button[data-act="STOP"]').click();
  await until(() => posted(m.url, '/api/v1/processes/1/4242/signal', (p) => p.body.signal === 'STOP'), 'SIGSTOP POSTs signal {signal: STOP}');
  await page.locator('#migrator input[aria-label=nice]').fill('7');
  await page.locator('#migrator button[data-act="renice"]').click();
  await until(() => posted(m.url, '/api/v1/processes/1/4242/renice', (p) => p.body.nice === 7), 'renice POSTs {nice: 7}');
  await page.locator('#migrator button.close').click();
  // an API error line (422) is shown
  await page.locator('tr[data-proc="2:777"]').click();
  await page.locator('#migrator button[data-node="1"]').click();
  await until(async () => (await page.locator('#migrator .result.error').innerText()).includes('cannot move'), 'the 422 error line is shown');
  await page.locator('#migrator button.close').click();
  await page.locator('select[aria-label="guests of node"]').selectOption('3');
  await until(async () => (await page.locator('[data-testid=guests] tr[data-proc="1:4242"]').count()) === 1, 'guests of node 3 list 1:4242');

  t.step = 'migration map';
  await page.goto(`${m.url}/#map`);
  const sq = 'rect[data-proc="1:4242"]';
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '3', 'the map draws 1:4242 at node 3');
  await page.hover(sq);
  await until(async () => (await page.locator('[data-testid=tooltip]').innerText()).includes('4242'), 'the tooltip shows the pid');
  await drag(page, sq, 'g[data-node="2"] circle');
  await until(() => posted(m.url, '/api/v1/processes/1/4242/migrate', (p) => p.body.to === 2 && p.contentType.startsWith('application/json')),
    'dragging 1:4242 onto node 2 POSTs migrate {to: 2}');
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '2', 'the map redraws 1:4242 at node 2');
  check(await page.locator('line[data-line="1:4242"]').count() === 1, 'a line from 1:4242 to its home');
  await page.dblclick(sq);
  await until(() => posted(m.url, '/api/v1/processes/1/4242/migrate', (p) => p.body.to === 'home'), 'double-click POSTs migrate {to: "home"}');
  await until(async () => (await page.locator(sq).getAttribute('data-where')) === '1', 'the map redraws 1:4242 at home');
  check(await page.locator('line[data-line="1:4242"]').count() === 0, 'no line once home');

  t.step = 'history';
  await page.goto(`${m.url}/#history`);
  await until(async () => Number(await page.locator('[data-testid=chart-load]').getAttribute('data-points')) > 10, 'the load chart has points');
  await until(async () => (await page.locator('[data-testid=chart-load] canvas').count()) >= 1, 'the load chart is drawn', 5000);
  check(Number(await page.locator('[data-testid=chart-load]').getAttribute('data-marks')) >= 1, 'the mark is on the chart');
  await page.locator('button[data-range="1 h"]').click();
  await page.locator('input[aria-label="mark label"]').fill('ui test');
  await page.locator('button[data-act=mark]').click();
  await until(() => posted(m.url, '/api/v1/history/marks', (p) => p.body.label === 'ui test'), 'add mark POSTs {label}');
  await until(async () => Number(await page.locator('[data-testid=chart-load]').getAttribute('data-marks')) >= 2, 'the new mark is drawn');
  await page.locator('button[data-act=show-at]').click();
  await until(async () => (await page.locator('[data-testid=past-procs] tr[data-proc="1:4242"]').count()) === 1, 'the past process list has 1:4242');

  t.step = 'api docs';
  const docs = await (await fetch(`${m.url}/api/docs/index.html`)).text();
  check(docs.includes('omx dashboard API') && docs.includes('/api/v1/processes/{home}/{pid}/migrate'), 'api/docs/index.html documents the API');
  check((await (await fetch(`${m.url}/openapi.yaml`)).text()).startsWith('openapi: 3'), 'openapi.yaml is served');
  check(!/https?:\/\/(?!127\.0\.0\.1)/.test(await (await fetch(`${m.url}/index.html`)).text()), 'index.html links nothing outside');
  const unexpected = errors.filter((e) => !/status of 422/.test(e));  // the 422 above was asked for
  check(unexpected.length === 0, `no console errors: ${unexpected.join(' | ')}`);

}, () => { for (const p of mocks) p.kill(); });
