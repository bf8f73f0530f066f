/**
 * `npm run bench:console`: the security console's budgets, measured on a running local stack (`npm start`, or
 * STEPGATE_URL) with the Debian chromium driven by playwright-core.
 *
 * - JS: every script the page loads (console/dist/assets/*.js), gzip level 6 (what CloudFront and most servers send).
 * - First screen: a fresh browser context (empty cache) is signed in through managed login; the clock starts when
 *   the sign-in form is submitted (the answer redirects back to /console/ with the code) and stops when the overview
 *   shows its counts, so it covers the password check, the page, its script, the configuration, the token exchange
 *   and the overview's API calls.
 *
 * Prints one Markdown row per figure; figures are medians and maxima over RUNS sign-ins (default 7).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildConsole, CONSOLE_DIST, consoleBuilt } from '../lambdas/local/console-static';

const BASE = process.env.STEPGATE_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`;
const RUNS = Number(process.env.RUNS ?? '7');
const JS_BUDGET_KB = 150;
const FIRST_SCREEN_BUDGET_MS = 1000;

function jsGzipKb(): number {
  const assets = path.join(CONSOLE_DIST, 'assets');
  const bytes = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(readFileSync(path.join(assets, f)), { level: 6 }).length, 0);
  return bytes / 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  if (!consoleBuilt()) await buildConsole();
  const health = await fetch(`${BASE}/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`no stepgate at ${BASE}: start one with npm start (or set STEPGATE_URL)`);

  const browser = await chromium.launch({
    executablePath: process.env.STEPGATE_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const signInMs: number[] = [];
  const firstScreenMs: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const start = Date.now();
      await page.goto(`${BASE}/console/`);
      await page.getByTestId('sign-in').waitFor();
      signInMs.push(Date.now() - start);
      await page.getByTestId('sign-in').click();
      await page.waitForURL(/\/oauth2\/authorize/);
      await page.fill('#username', process.env.STEPGATE_ADMIN_USER ?? 'admin@example.com');
      await page.fill('#password', process.env.STEPGATE_ADMIN_PASSWORD ?? 'Admin-Local-1!');
      await page.click('#sign-in');
      await page.getByTestId('decisions-total').waitFor();
      // performance.now() counts from the start of the navigation that made this page: the form's submission.
      firstScreenMs.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const js = jsGzipKb();
  const fmt = (ms: number) => `${Math.round(ms)} ms`;
  // The machine's load goes with the figures: on shared cores, Chromium's script parsing waits for the CPU.
  const load = loadavg()[0]!.toFixed(1);
  console.log(
    `stepgate console budgets at ${BASE} (${RUNS} fresh browser contexts, Chromium headless; ${cpus().length} cores, load average ${load})`,
  );
  console.log('| figure | measured | budget |');
  console.log('| --- | --- | --- |');
  console.log(`| console JS, gzip -6 | ${js.toFixed(1)} KB | ≤ ${JS_BUDGET_KB} KB |`);
  console.log(
    `| sign-in screen (cold cache) | median ${fmt(median(signInMs))}, max ${fmt(Math.max(...signInMs))} | — |`,
  );
  console.log(
    `| first screen after sign-in (overview with counts) | median ${fmt(median(firstScreenMs))}, max ${fmt(Math.max(...firstScreenMs))} | ≤ ${FIRST_SCREEN_BUDGET_MS} ms |`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
