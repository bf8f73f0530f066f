import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { ColdStartResult } from './cold-start';
import type { HandlerResult } from './handler';
import type { HttpResult } from './http';
import type { NetworkResult } from './network';
import type { RoundTripResult } from './round-trips';
import type { ScoringResult } from './scoring';
import { round } from './stats';

/** Everything one `npm run bench` measured; sections that were skipped or failed are absent. */
export interface BenchResults {
  meta: Record<string, string | number | boolean>;
  scoring?: ScoringResult;
  network?: NetworkResult;
  handler?: HandlerResult;
  http?: HttpResult;
  coldStart?: ColdStartResult;
  roundTrips?: RoundTripResult;
  errors: Record<string, string>;
}

export interface BudgetCheck {
  readonly name: string;
  readonly value: number;
  readonly limit: string;
  readonly ok: boolean;
}

/** The performance budgets (docs/performance.md), checked against this run. */
export function budgets(r: BenchResults): BudgetCheck[] {
  const out: BudgetCheck[] = [];
  if (r.scoring) {
    out.push({
      name: 'scoring.cachedP50Us',
      value: r.scoring.cachedP50Us,
      limit: '≤ 10 µs',
      ok: r.scoring.cachedP50Us <= 10,
    });
    out.push({
      name: 'scoring.uaParseUncachedP99Us',
      value: r.scoring.uaParseUncachedP99Us,
      limit: '≤ 150 µs',
      ok: r.scoring.uaParseUncachedP99Us <= 150,
    });
  }
  if (r.network) {
    out.push({
      name: 'network.lookupP50Us',
      value: r.network.lookupP50Us,
      limit: '≤ 5 µs',
      ok: r.network.lookupP50Us <= 5,
    });
  }
  if (r.coldStart) {
    out.push({
      name: 'coldStart.networkInitDeltaMs',
      value: r.coldStart.networkInitDeltaMs,
      limit: '≤ 30 ms',
      ok: r.coldStart.networkInitDeltaMs <= 30,
    });
    out.push({
      name: 'coldStart.networkRssDeltaMb',
      value: r.coldStart.networkRssDeltaMb,
      limit: '≤ 30 MB',
      ok: r.coldStart.networkRssDeltaMb <= 30,
    });
  }
  if (r.handler) {
    out.push({
      name: 'handler.ratioToFloor',
      value: r.handler.ratioToFloor,
      limit: '≤ 1.3×',
      ok: r.handler.ratioToFloor <= 1.3,
    });
    out.push({
      name: 'handler.workAfterResponse',
      value: r.handler.workAfterResponse,
      limit: '= 0',
      ok: r.handler.workAfterResponse === 0,
    });
  }
  const c4 = r.http?.levels.c4;
  if (c4) out.push({ name: 'http.c4.errors', value: c4.errors, limit: '= 0', ok: c4.errors === 0 });
  if (r.roundTrips) {
    out.push({ name: 'roundTrips.reads', value: r.roundTrips.reads, limit: '≤ 1', ok: r.roundTrips.reads <= 1 });
    out.push({ name: 'roundTrips.writes', value: r.roundTrips.writes, limit: '≤ 1', ok: r.roundTrips.writes <= 1 });
  }
  return out;
}

export function machineNotes(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cpus: cpu.length,
    memGb: round(totalmem() / 2 ** 30, 1),
    freeMemGbAtStart: round(freemem() / 2 ** 30, 1),
    loadAvg1mAtStart: round(loadavg()[0] ?? NaN, 2),
  };
}

const r2 = (n: number | undefined, d = 2) => (n === undefined ? undefined : round(n, d));

/**
 * The JSON file: the keys (numbers) first in each section, then the extra figures that explain them.
 * Every number is rounded to what the measurement can tell apart.
 */
export function toJson(r: BenchResults): Record<string, unknown> {
  const out: Record<string, unknown> = { meta: r.meta };
  if (r.scoring) {
    const { summaries, ...figures } = r.scoring;
    out.scoring = Object.fromEntries(
      Object.entries(figures).map(([k, v]) => [k, r2(v, k.startsWith('decisionsPerSec') ? 0 : 2)]),
    );
    out.scoringDetail = summaries;
  }
  if (r.network) {
    const { summaries, data, ...figures } = r.network;
    out.network = {
      ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, r2(v, k === 'lookupsPerSec' ? 0 : 3)])),
      data,
    };
    out.networkDetail = summaries;
  }
  if (r.handler) {
    const { summaries, profile, ...figures } = r.handler;
    out.handler = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, r2(v, 3)]));
    out.handlerDetail = { ...summaries, ...(profile ? { profile } : {}) };
  }
  if (r.http) {
    const http: Record<string, unknown> = {};
    for (const [level, v] of Object.entries(r.http.levels)) {
      http[level] = {
        rps: r2(v.rps, 1),
        p50Ms: r2(v.p50Ms, 2),
        p99Ms: r2(v.p99Ms, 2),
        errors: v.errors,
        requests: v.requests,
        non2xx: v.non2xx,
        timeouts: v.timeouts,
      };
    }
    http.runQueueWaitPct = r2(r.http.runQueueWaitPct, 1);
    out.http = http;
  }
  if (r.coldStart) {
    const c = r.coldStart;
    out.coldStart = {
      initMs: r2(c.initMs, 1),
      rssMb: r2(c.rssMb, 1),
      processToReadyMs: r2(c.processToReadyMs, 1),
      firstInvokeMs: r2(c.firstInvokeMs, 1),
      secondInvokeMs: r2(c.secondInvokeMs, 1),
      baselineRssMb: r2(c.baselineRssMb, 1),
      geoipInitMs: r2(c.geoipInitMs, 1),
      geoipRssMb: r2(c.geoipRssMb, 1),
      initMsNoNetwork: r2(c.initMsNoNetwork, 1),
      rssMbNoNetwork: r2(c.rssMbNoNetwork, 1),
      networkInitDeltaMs: r2(c.networkInitDeltaMs, 1),
      networkRssDeltaMb: r2(c.networkRssDeltaMb, 1),
      initCpuMs: r2(c.initCpuMs, 1),
      networkInitCpuDeltaMs: r2(c.networkInitCpuDeltaMs, 1),
      runs: c.runs,
    };
    out.bundle = {
      bytes: c.bundleBytes,
      gzipBytes: c.bundleGzipBytes,
      networkDataBytes: c.networkDataBytes,
      buildMs: c.buildMs,
      topInputs: c.topInputs,
    };
  }
  if (r.roundTrips) {
    const s = r.roundTrips.scenarios;
    const rounded = Object.fromEntries(
      Object.entries(s).map(([name, cost]) => [
        name,
        Object.fromEntries(Object.entries(cost).map(([k, v]) => [k, typeof v === 'number' ? r2(v, 2) : v])),
      ]),
    );
    out.roundTrips = {
      reads: r2(r.roundTrips.reads, 2),
      writes: r2(r.roundTrips.writes, 2),
      requestsMax: r2(r.roundTrips.requestsMax, 2),
      scenarios: rounded,
    };
    // The "with and without a grant": the same risky request (new device, high action) both ways.
    const cap = (c: (typeof s)['grant']) => ({
      rcuReturned: r2(c.rcuReturned),
      wcuReturned: r2(c.wcuReturned),
      rcuComputed: r2(c.rcuComputed),
      wcuComputed: r2(c.wcuComputed),
      requests: r2(c.requests),
    });
    out.capacity = { noGrant: cap(s.stepUp), grant: cap(s.grant), allowTeaches: cap(s.allowTeaches) };
  }
  out.budgets = budgets(r).map((b) => ({ ...b, value: r2(b.value, 3) }));
  if (Object.keys(r.errors).length > 0) out.errors = r.errors;
  return out;
}

export function writeJson(path: string, r: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(toJson(r), null, 2)}\n`);
}

function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The printed summary: a Markdown table that can be pasted into the README as is. */
export function formatTable(r: BenchResults): string {
  const rows: string[][] = [['Section', 'Measure', 'Value', 'Budget']];
  const s = r.scoring;
  if (s) {
    rows.push([
      '1 scoring',
      'decision, UA+geo cached p50 / p99',
      `${fmt(s.cachedP50Us)} / ${fmt(s.cachedP99Us)} µs`,
      'p50 ≤ 10 µs',
    ]);
    rows.push([
      '',
      '  same, samples not preempted p50 / p99',
      `${fmt(s.cachedP50UsUnpreempted)} / ${fmt(s.cachedP99UsUnpreempted)} µs`,
      '',
    ]);
    rows.push([
      '',
      '  same, profile parsed just before (as in the handler) p50 / p99',
      `${fmt(s.cachedFreshProfileP50Us)} / ${fmt(s.cachedFreshProfileP99Us)} µs`,
      '',
    ]);
    rows.push(['', 'decision, uncached p50 / p99', `${fmt(s.uncachedP50Us)} / ${fmt(s.uncachedP99Us)} µs`, '']);
    rows.push([
      '',
      '  same, samples not preempted p50 / p99',
      `${fmt(s.uncachedP50UsUnpreempted)} / ${fmt(s.uncachedP99UsUnpreempted)} µs`,
      '',
    ]);
    rows.push([
      '',
      'UA parse uncached p50 / p99 (not preempted)',
      `${fmt(s.uaParseUncachedP50Us)} / ${fmt(s.uaParseUncachedP99Us)} (${fmt(s.uaParseUncachedP99UsUnpreempted)}) µs`,
      'p99 ≤ 150 µs',
    ]);
    rows.push([
      '',
      'parts p50: geo hit / miss, UA hit, evaluate, learn',
      `${fmt(s.geoLocateP50Us)} / ${fmt(s.geoLocateUncachedP50Us)}, ${fmt(s.uaParseCachedP50Us)}, ${fmt(s.evaluateP50Us)}, ${fmt(s.learnP50Us)} µs`,
      '',
    ]);
    rows.push([
      '',
      'decisions/s on one core, cached (per wall second)',
      `${fmt(s.decisionsPerSec, 0)} (${fmt(s.decisionsPerSecWall, 0)})`,
      '',
    ]);
    rows.push([
      '',
      'preempted samples; run-queue wait',
      `${fmt(s.preemptedSamplesPct)} %; ${fmt(s.runQueueWaitPct)} %`,
      '',
    ]);
  }
  const n = r.network;
  if (n) {
    rows.push([
      '1b network',
      'ASN lookup p50 / p99 (IPv6 p50)',
      `${fmt(n.lookupP50Us, 2)} / ${fmt(n.lookupP99Us, 2)} µs (${fmt(n.lookupV6P50Us, 2)})`,
      'p50 ≤ 5 µs',
    ]);
    rows.push([
      '',
      'lookups/s on one thread; addresses with a network',
      `${fmt(n.lookupsPerSec, 0)}; ${fmt(n.foundPct)} %`,
      '',
    ]);
    rows.push([
      '',
      'locator miss p50: geoip-lite alone / + ASN lookup',
      `${fmt(n.geoUncachedP50Us, 2)} / ${fmt(n.geoUncachedWithNetworkP50Us, 2)} µs`,
      '',
    ]);
    rows.push([
      '',
      'table: size; load in process, wall (CPU), median of 5',
      `${fmt(n.tableBytes / 1048576, 1)} MiB; ${fmt(n.loadMs, 1)} (${fmt(n.loadCpuMs, 1)}) ms`,
      '',
    ]);
  }
  const h = r.handler;
  if (h) {
    rows.push([
      '2 handler',
      'decision p50 / p90 / p99',
      `${fmt(h.p50Ms, 2)} / ${fmt(h.p90Ms, 2)} / ${fmt(h.p99Ms, 2)} ms`,
      '',
    ]);
    rows.push([
      '',
      'floor: its requests bare (BatchGet ∥ counters → Transact) p50 / p99',
      `${fmt(h.floorP50Ms, 2)} / ${fmt(h.floorP99Ms, 2)} ms`,
      '',
    ]);
    rows.push([
      '',
      'BatchGet → TransactWrite alone (no counters) p50 / p99',
      `${fmt(h.readTransactP50Ms, 2)} / ${fmt(h.readTransactP99Ms, 2)} ms`,
      '',
    ]);
    rows.push(['', 'ratio to floor p50 (p99)', `${fmt(h.ratioToFloor, 2)}× (${fmt(h.ratioToFloorP99, 2)}×)`, '≤ 1.3×']);
    rows.push(['', 'ratio to BatchGet → TransactWrite alone p50', `${fmt(h.ratioToReadTransact, 2)}×`, '']);
    rows.push([
      '',
      'per decision: keys read, tx items, counter updates',
      `${fmt(h.readKeysMean)}, ${fmt(h.transactItemsMean)}, ${fmt(h.counterUpdatesMean)}`,
      '',
    ]);
    rows.push([
      '',
      'decisions allow / step_up / deny; non-200; work after response',
      `${h.allow} / ${h.stepUp} / ${h.deny}; ${h.non200}; ${h.workAfterResponse}`,
      '',
    ]);
    rows.push(['', 'run-queue wait', `${fmt(h.runQueueWaitPct)} %`, '']);
  }
  if (r.http) {
    let first = true;
    for (const [level, v] of Object.entries(r.http.levels)) {
      rows.push([
        first ? '3 HTTP' : '',
        `${level.slice(1)} connection(s): req/s, p50, p99, errors`,
        `${fmt(v.rps, 0)}, ${fmt(v.p50Ms)} ms, ${fmt(v.p99Ms)} ms, ${v.errors}`,
        level === 'c4' ? '0 errors' : '',
      ]);
      first = false;
    }
  }
  const c = r.coldStart;
  if (c) {
    rows.push([
      '4 cold start',
      'bundle (gzip)',
      `${fmt(c.bundleBytes / 1024, 0)} KiB (${fmt(c.bundleGzipBytes / 1024, 0)} KiB)`,
      '',
    ]);
    rows.push(['', 'ASN table beside the bundle', `${fmt(c.networkDataBytes / 1048576, 1)} MiB`, '']);
    rows.push(['', `import + init, median of ${c.runs}`, `${fmt(c.initMs, 0)} ms`, 'reported']);
    rows.push([
      '',
      '  without the ASN table; what it adds (median of pairs)',
      `${fmt(c.initMsNoNetwork, 0)} ms; +${fmt(c.networkInitDeltaMs, 1)} ms`,
      '≤ +30 ms',
    ]);
    rows.push([
      '',
      '  CPU time of the init; what the ASN table adds',
      `${fmt(c.initCpuMs, 0)} ms; +${fmt(c.networkInitCpuDeltaMs, 1)} ms`,
      '',
    ]);
    rows.push(['', '  of which geoip-lite alone', `${fmt(c.geoipInitMs, 0)} ms`, '']);
    rows.push([
      '',
      'RSS after init (empty node; geoip-lite alone)',
      `${fmt(c.rssMb, 0)} MB (${fmt(c.baselineRssMb, 0)}; ${fmt(c.geoipRssMb, 0)})`,
      '',
    ]);
    rows.push([
      '',
      '  RSS without the ASN table; what it adds',
      `${fmt(c.rssMbNoNetwork, 0)} MB; +${fmt(c.networkRssDeltaMb, 1)} MB`,
      '≤ +30 MB',
    ]);
    rows.push(['', 'process start → ready', `${fmt(c.processToReadyMs, 0)} ms`, '']);
    rows.push([
      '',
      'first / second decision in the new process',
      `${fmt(c.firstInvokeMs, 1)} / ${fmt(c.secondInvokeMs, 1)} ms`,
      '',
    ]);
  }
  const rt = r.roundTrips;
  if (rt) {
    rows.push([
      '5 DynamoDB',
      'round trips per decision: read / write (worst)',
      `${fmt(rt.reads, 2)} / ${fmt(rt.writes, 2)}`,
      '≤ 1 / ≤ 1',
    ]);
    for (const [name, v] of Object.entries(rt.scenarios)) {
      rows.push([
        '',
        `${name} (${v.decision}): requests; RCU; WCU`,
        `${fmt(v.requests)} (${fmt(v.readKeys)} keys, ${fmt(v.transactItems)} tx items, ${fmt(v.updateItems)} updates); ` +
          `${fmt(v.rcuReturned)} ret / ${fmt(v.rcuComputed)} AWS; ${fmt(v.wcuReturned)} ret / ${fmt(v.wcuComputed)} AWS`,
        '',
      ]);
    }
  }
  const lines = [table(rows)];
  const checks = budgets(r);
  if (checks.length > 0) {
    lines.push('', 'budgets:');
    for (const b of checks) lines.push(`  ${b.ok ? 'PASS' : 'MISS'}  ${b.name} = ${fmt(b.value, 2)} (${b.limit})`);
  }
  for (const [section, message] of Object.entries(r.errors)) lines.push(`  ERROR ${section}: ${message}`);
  return lines.join('\n');
}
