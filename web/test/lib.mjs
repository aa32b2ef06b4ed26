// Shared pieces of the browser tests: Debian's chromium driven by playwright-core, checks that
// fail with one clear line, screenshots of every view.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.OMX_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // root in a test netns: no sandbox; no GPU, no /dev/shm surprises
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  return { browser, page, consoleErrors };
}

export class Failure extends Error {}
export function check(cond, what) {
  if (!cond) throw new Failure(what);
}

/** Polls fn until it returns a truthy value; fails with `what` after `ms`. */
export async function until(fn, what, ms = 10000, every = 200) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e.message; }
    if (Date.now() > end) throw new Failure(`${what} (after ${ms} ms${last !== undefined && last !== false && last !== null ? `; last: ${String(last).slice(0, 300)}` : ''})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export async function screenshots(page, dir, prefix) {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  for (const tab of ['nodes', 'procs', 'history', 'map']) {
    try {
      await page.evaluate((t) => { location.hash = t; }, tab);
      await page.waitForTimeout(tab === 'history' ? 1200 : 500);
      await page.screenshot({ path: join(dir, `${prefix}-${tab}.png`), fullPage: true });
    } catch (e) { console.error(`screenshot of ${tab}: ${e.message}`); }
  }
  console.log(`screenshots in ${dir}/${prefix}-*.png`);
}

/** The centre of an element, in page pixels. */
export async function centre(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Failure(`${selector} is not on the page`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the real mouse (pointer events) from one element onto another. */
export async function drag(page, from, to) {
  const a = await centre(page, from);
  const b = await centre(page, to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(a.x + 10, a.y + 10, { steps: 3 });
  await page.mouse.move(b.x, b.y, { steps: 12 });
  await page.mouse.up();
}

export function args(argv = process.argv.slice(2)) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const k = argv[i].slice(2);
      if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) o[k] = argv[++i];
      else o[k] = true;
    }
  }
  return o;
}

/**
 * Runs a browser test: launches chromium, calls body(t) with t.page (t.step names what it is
 * checking, for the failure line), then screenshots every view into `shots` as PREFIX-*.png
 * (PREFIX-failed-*.png on failure) and prints PASS or "FAIL (step): why"; exit code 1 on
 * failure. `cleanup` runs last, whatever happened.
 */
export async function runBrowserTest({ shots, prefix }, body, cleanup = () => {}) {
  if (shots) rmSync(shots, { recursive: true, force: true });
  const t = { step: 'start', page: undefined };
  let browser;
  try {
    ({ browser, page: t.page } = await launch());
    await body(t);
    await screenshots(t.page, shots, prefix);
    console.log('PASS');
  } catch (e) {
    console.error(`FAIL (${t.step}): ${e instanceof Failure ? e.message : e.stack}`);
    if (t.page) await screenshots(t.page, shots, `${prefix}-failed`);
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await cleanup();
  }
}
