import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readCsv } from './csv-reader';
import type { PopulationSummary, Segment } from './evaluation-metrics';
import { FreemanEvaluator } from './freeman-anchor';
import {
  LoginEvaluator,
  type Deps,
  type LoginEvaluatorOptions,
  type ReplayEvaluator,
  type RowResult,
} from './login-evaluator';
import { parseRbaRecord, RbaHeader, type RbaLogin } from './rba-row';
import { rowFeatures } from './row-features';
import { renderHtmlReport } from './report-html';
import { TimeOrderBuffer } from './time-order';
import type { NetworkDataInfo } from '../../lambdas/ports/network-locator';

export interface EvaluateFileOptions extends Omit<LoginEvaluatorOptions, 'labelOf'> {
  input: string;
  outDir: string;
  /** Attacker-model labels, JSON lines `{"index": n, "model": "naive"}`; default `<input>.labels.jsonl` if present. */
  labels?: string;
  /** Rows held to restore time order (the file is expected to be nearly sorted). */
  reorderWindow: number;
  /** Called about every 100 ms of work with the bytes read so far. */
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
  /**
   * Which engines replay the rows: the stepgate engine, the Freeman et al. anchor, or both on the same rows (the
   * default). rows.jsonl holds the first one's scores.
   */
  engines?: 'both' | 'stepgate' | 'freeman';
  /** The ASN data behind the locator's network lookup, when it has one (named in the report). */
  networkData?: NetworkDataInfo;
}

/** How the run got its AS numbers, in words for the report. */
export function describeAsnSource(
  counts: { csv: number; lookup: number; none: number },
  data?: NetworkDataInfo,
): string {
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  const lookup = data
    ? `network lookup (${data.source}${data.version ? ` ${data.version}` : ''}, data of ${data.dataDate})`
    : 'network lookup';
  const parts: string[] = [];
  if (counts.csv > 0 && counts.lookup === 0) parts.push("the CSV's ASN column");
  else if (counts.csv === 0 && counts.lookup > 0) parts.push(lookup);
  else if (counts.csv > 0)
    parts.push(`the CSV's ASN column (${rows(counts.csv)}), else ${lookup} (${rows(counts.lookup)})`);
  if (counts.none > 0) {
    const why = data ? 'private, reserved or unannounced addresses' : 'no ASN column and no network data';
    parts.push(`${parts.length > 0 ? 'none for' : 'none:'} ${rows(counts.none)} (${why})`);
  }
  return parts.join('; ');
}

/** Reads a labels side file into a map; only attack rows are listed there, the rest are legit. */
export async function readLabels(path: string): Promise<Map<number, string>> {
  const labels = new Map<number, string>();
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const { index, model } = JSON.parse(line) as { index: number; model: string };
    if (typeof index === 'number' && typeof model === 'string' && model !== 'legit') labels.set(index, model);
  }
  return labels;
}

export function defaultLabelsPath(input: string): string {
  return `${input}.labels.jsonl`;
}

/** report.json; the fields below are the ones callers read, the rest is documentation of the run. */
export interface EvaluationReport {
  [field: string]: unknown;
  rows: { total: number; outOfOrderBeyondWindow: number } & Record<Segment, number>;
  /** Where the AS numbers came from: the CSV's ASN column, the network lookup, or neither (rows of each). */
  asn: { source: string; rows: { csv: number; lookup: number; none: number }; networkData: NetworkDataInfo | null };
  period: { from: string | null; to: string | null };
  thresholds: { stepUpAt: number; denyAt: number } | null;
  performance: { wallSeconds: number; rowsPerSecond: number; cpuSeconds: number; peakRssMB: number };
  headline: PopulationSummary;
  byHistory: Record<string, PopulationSummary>;
  apart: Record<string, PopulationSummary>;
  /** The Freeman et al. anchor on the same rows, when it ran beside the engine. */
  freeman?: { headline: PopulationSummary; byHistory: Record<string, PopulationSummary> };
}

export interface EvaluateFileResult {
  report: EvaluationReport;
  rows: number;
}

/**
 * `stepgate evaluate`: streams a login CSV through the engine and writes `rows.jsonl` (index, decision, score),
 * `report.json` and a self-contained `report.html` into `outDir`. Memory is bounded by the history store's limits,
 * the reorder window and the labels of attack rows, not by the size of the file.
 */
export async function evaluateFile(deps: Deps, options: EvaluateFileOptions): Promise<EvaluateFileResult> {
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const totalBytes = (await stat(options.input)).size;
  const labelsPath =
    options.labels ?? (existsSync(defaultLabelsPath(options.input)) ? defaultLabelsPath(options.input) : undefined);
  const labels = labelsPath ? await readLabels(labelsPath) : undefined;
  const labelOf = labels ? { labelOf: (index: number) => labels.get(index) ?? 'legit' } : {};
  const engines = options.engines ?? 'both';
  const engine = engines === 'freeman' ? undefined : new LoginEvaluator(deps, { ...options, ...labelOf });
  const anchor =
    engines === 'stepgate'
      ? undefined
      : new FreemanEvaluator(deps, {
          warmupDays: options.warmupDays,
          ...(options.unknownUserId !== undefined ? { unknownUserId: options.unknownUserId } : {}),
          retentionDays: options.policy.retention.riskHistoryDays,
          maxUsers: options.history.maxUsers,
          maxGlobalKeys: options.history.maxGlobalKeys,
          ...labelOf,
        });
  const evaluator: ReplayEvaluator = (engine ?? anchor)!;
  await mkdir(options.outDir, { recursive: true });
  const rowsOut = createWriteStream(join(options.outDir, 'rows.jsonl'), { encoding: 'utf8' });
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const ok = rowsOut.write(pending.join(''));
    pending = [];
    if (!ok) await once(rowsOut, 'drain');
  };
  let firstTimestamp: number | undefined;
  let lastTimestamp: number | undefined;
  const emit = (row: RbaLogin) => {
    firstTimestamp ??= row.timestamp;
    lastTimestamp = Math.max(lastTimestamp ?? -Infinity, row.timestamp);
    const features = rowFeatures(row, deps.locator, deps.devices);
    const r: RowResult = evaluator.process(row, features);
    if (engine && anchor) anchor.process(row, features);
    pending.push(
      `{"index":${r.index},"decision":"${r.decision}","score":${r.score},"rank":${Number(r.rank.toFixed(3))}}\n`,
    );
  };

  const stream = createReadStream(options.input, { highWaterMark: 1 << 20 });
  const order = new TimeOrderBuffer<RbaLogin>(options.reorderWindow, (r) => r.timestamp);
  let header: RbaHeader | undefined;
  let ordinal = 0;
  let lastProgress = 0;
  for await (const record of readCsv(stream)) {
    if (!header) {
      header = new RbaHeader(record.fields);
      continue;
    }
    order.push(parseRbaRecord(header, record.fields, record.line, ordinal++), emit);
    if (pending.length >= 4096) await flush();
    if (options.onProgress && (ordinal & 1023) === 0) {
      const now = Date.now();
      if (now - lastProgress >= 100) {
        lastProgress = now;
        options.onProgress(stream.bytesRead, totalBytes, ordinal);
      }
    }
  }
  if (!header) throw new Error(`${options.input} is empty`);
  order.drain(emit);
  await flush();
  rowsOut.end();
  await once(rowsOut, 'finish');
  options.onProgress?.(totalBytes, totalBytes, ordinal);

  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const summary = evaluator.summary();
  const freemanSummary = engine && anchor ? anchor.summary() : undefined;
  const policy = options.policy;
  const level = policy.actions[options.action]?.level;
  const report: EvaluationReport = {
    input: options.input,
    labels: labelsPath ?? null,
    action: options.action,
    level: level ?? null,
    thresholds: level ? { stepUpAt: policy.levels[level].stepUpAt, denyAt: policy.levels[level].denyAt } : null,
    policy: { version: policy.version, description: policy.description ?? null },
    options: {
      warmupDays: options.warmupDays,
      threatFeed: options.threatFeed,
      unknownUserId: options.unknownUserId ?? null,
      reorderWindow: options.reorderWindow,
      history: options.history,
      retentionDays: policy.retention.riskHistoryDays,
    },
    rows: {
      total: evaluator.rows,
      ...evaluator.segmentRows,
      outOfOrderBeyondWindow: order.late,
    },
    asn: {
      source: describeAsnSource(evaluator.asnSource, options.networkData),
      rows: { ...evaluator.asnSource },
      networkData: options.networkData ?? null,
    },
    period: {
      from: firstTimestamp === undefined ? null : new Date(firstTimestamp).toISOString(),
      to: lastTimestamp === undefined ? null : new Date(lastTimestamp).toISOString(),
    },
    engine: engine ? 'stepgate' : 'freeman',
    users: engine
      ? {
          distinct: engine.distinctUsers ?? null,
          heldAtEnd: engine.profiles.users,
          forgottenIdle: engine.profiles.forgottenIdle,
          forgottenOverflow: engine.profiles.forgottenOverflow,
          globalKeys: engine.global.keys,
          globalPrunes: engine.global.pruned,
        }
      : null,
    performance: {
      wallSeconds: Number(wallSeconds.toFixed(2)),
      rowsPerSecond: Math.round(evaluator.rows / Math.max(wallSeconds, 1e-9)),
      cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    ...summary,
    ...(freemanSummary ? { freeman: { headline: freemanSummary.headline, byHistory: freemanSummary.byHistory } } : {}),
  };
  await writeFile(join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const facts: [string, string][] = [
    ['input', options.input],
    ['labels', labelsPath ?? '(none: attacks are the rows marked Is Account Takeover)'],
    ['rows', String(evaluator.rows)],
    ['period', `${report.period.from ?? '–'} → ${report.period.to ?? '–'}`],
    ['policy', `version ${policy.version}${policy.description ? ` (${policy.description})` : ''}`],
    [
      'action',
      `${options.action} (${level ?? '?'}: step up at ${report.thresholds?.stepUpAt ?? '?'}, deny at ${report.thresholds?.denyAt ?? '?'})`,
    ],
    ['warm-up', `${options.warmupDays} days (${evaluator.segmentRows['warm-up']} rows counted apart)`],
    ['threat feed (Is Attack IP)', options.threatFeed ? 'used' : 'ignored'],
    ['AS numbers', report.asn.source],
    [
      'run',
      `${report.performance.wallSeconds} s, ${report.performance.rowsPerSecond} rows/s, peak RSS ${report.performance.peakRssMB} MB`,
    ],
  ];
  await writeFile(
    join(options.outDir, 'report.html'),
    renderHtmlReport({ title: 'stepgate evaluation', facts, ...summary }),
  );
  return { report, rows: evaluator.rows };
}
