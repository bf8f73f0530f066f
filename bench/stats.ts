import { closeSync, openSync, readSync } from 'node:fs';

/** Latency summaries. Nearest-rank percentiles: every reported value is one that was actually measured. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  let sum = 0;
  for (const v of arr) sum += v;
  return {
    n: arr.length,
    min: arr[0] ?? NaN,
    p50: percentile(arr, 50),
    p90: percentile(arr, 90),
    p99: percentile(arr, 99),
    max: arr[arr.length - 1] ?? NaN,
    mean: arr.length > 0 ? sum / arr.length : NaN,
  };
}

export function median(values: readonly number[]): number {
  return percentile(Array.from(Float64Array.from(values).sort()), 50);
}

/** Nanoseconds since an arbitrary origin; bigint so that sub-microsecond steps are not lost to float rounding. */
export const now = (): bigint => process.hrtime.bigint();

export const nsToUs = (ns: bigint): number => Number(ns) / 1e3;
export const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/** Rounds for the report: enough digits to compare, not so many that noise looks like signal. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The deterministic PRNG (mulberry32) the traffic generator uses: the same seed draws the same users, requests
 * and address pool every run. */
export { Prng as Rng } from '../tools/evaluation/prng';

/**
 * Reads this thread's scheduler statistics (/proc/thread-self/schedstat: ns on CPU, ns waiting on the run queue,
 * times scheduled in). Bracketing a timed call with two reads tells whether the scheduler took the CPU away during
 * it: on a shared machine those samples measure the neighbours, not the code, so the report shows percentiles with
 * and without them, and the share of run-queue wait as the noise figure. Linux only; elsewhere it reports nothing.
 */
export class SchedProbe {
  private readonly fd: number | undefined;
  private readonly buf = Buffer.alloc(128);

  constructor() {
    try {
      this.fd = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      this.fd = undefined;
    }
  }

  get available(): boolean {
    return this.fd !== undefined;
  }

  /** [runNs, waitNs, timesScheduledIn]; undefined when unavailable. */
  read(): [number, number, number] | undefined {
    if (this.fd === undefined) return undefined;
    // pread at offset 0 re-generates the seq_file, so one open descriptor serves every read.
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    const parts = this.buf.toString('latin1', 0, n).trim().split(' ');
    return [Number(parts[0]), Number(parts[1]), Number(parts[2])];
  }

  /** Times scheduled in (cheap marker: if it changed across a call, the call was preempted). */
  slices(): number {
    return this.read()?.[2] ?? 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/** Share of wall time this thread spent runnable but waiting for a CPU between two probe reads. */
export function runQueueWaitPct(
  before: [number, number, number] | undefined,
  after: [number, number, number] | undefined,
): number {
  if (!before || !after) return NaN;
  const run = after[0] - before[0];
  const wait = after[1] - before[1];
  return run + wait > 0 ? (100 * wait) / (run + wait) : 0;
}
