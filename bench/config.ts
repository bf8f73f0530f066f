import { join, resolve } from 'node:path';

/** The sections of `npm run bench`, in the order they run. */
export const SECTION_NAMES = ['scoring', 'network', 'handler', 'http', 'coldStart', 'roundTrips'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface BenchConfig {
  /** BENCH_QUICK=1: a smoke run (seconds, not minutes); its numbers only show that the code paths work. */
  readonly quick: boolean;
  readonly sections: ReadonlySet<SectionName>;
  readonly outFile: string;
  /** Seed of every random choice, so two runs score the same requests. */
  readonly seed: number;
  readonly users: number;
  readonly scoring: { readonly warmup: number; readonly samples: number; readonly throughputDecisions: number };
  readonly handler: { readonly warmup: number; readonly samples: number };
  readonly http: { readonly connections: readonly number[]; readonly warmupSeconds: number; readonly seconds: number };
  readonly coldStart: { readonly runs: number };
  readonly roundTrips: { readonly perScenario: number };
  /** BENCH_PROFILE=1: CPU-profile the in-process handler loop and one cold start, and print where time goes. */
  readonly profileHandler: boolean;
}

/**
 * The repository. The CLI runs the bench from an esbuild bundle in a temporary directory (see bench/launch.ts),
 * where `__dirname` is that directory, so the launcher passes the root in.
 */
export const REPO_ROOT = process.env.STEPGATE_BENCH_ROOT ?? join(__dirname, '..');
export const DEFAULT_OUT_FILE = join(REPO_ROOT, 'bench', 'results.json');

type Env = Readonly<Record<string, string | undefined>>;

function count(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function parseSections(raw: string | undefined): Set<SectionName> {
  if (raw === undefined || raw.trim() === '') return new Set(SECTION_NAMES);
  const out = new Set<SectionName>();
  for (const name of raw.split(',').map((s) => s.trim())) {
    if (!(SECTION_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown bench section "${name}" (known: ${SECTION_NAMES.join(', ')})`);
    }
    out.add(name as SectionName);
  }
  return out;
}

/**
 * Sample counts. The full run stays under ~3 minutes on a 2-core machine; every count can be overridden by env so
 * a noisy machine can trade time for tighter percentiles.
 */
export function configFromEnv(env: Env, overrides: BenchArgs = {}): BenchConfig {
  const quick = overrides.quick ?? (env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true');
  const q = (full: number, smoke: number) => (quick ? smoke : full);
  const connections = (env.BENCH_HTTP_CONNECTIONS ?? '1,4,16').split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_HTTP_CONNECTIONS: "${s}" is not a connection count`);
    return n;
  });
  return {
    quick,
    sections: parseSections(overrides.sections ?? env.BENCH_SECTIONS),
    outFile: resolve(overrides.outFile ?? env.BENCH_OUT ?? DEFAULT_OUT_FILE),
    seed: count(env, 'BENCH_SEED', 20_250_115),
    users: count(env, 'BENCH_USERS', q(2000, 200)),
    scoring: {
      warmup: count(env, 'BENCH_SCORING_WARMUP', q(20_000, 1000)),
      samples: count(env, 'BENCH_SCORING_SAMPLES', q(50_000, 2000)),
      throughputDecisions: count(env, 'BENCH_SCORING_THROUGHPUT', q(100_000, 5000)),
    },
    handler: {
      warmup: count(env, 'BENCH_HANDLER_WARMUP', q(60, 20)),
      samples: count(env, 'BENCH_HANDLER_SAMPLES', q(400, 40)),
    },
    http: {
      connections,
      warmupSeconds: count(env, 'BENCH_HTTP_WARMUP_SECONDS', q(3, 1)),
      seconds: count(env, 'BENCH_HTTP_SECONDS', q(10, 2)),
    },
    coldStart: { runs: count(env, 'BENCH_COLD_RUNS', q(5, 2)) },
    roundTrips: { perScenario: count(env, 'BENCH_ROUND_TRIP_SAMPLES', q(20, 3)) },
    profileHandler: env.BENCH_PROFILE === '1',
  };
}

export interface BenchArgs {
  quick?: boolean;
  sections?: string;
  outFile?: string;
}

export const BENCH_USAGE = `usage: stepgate bench [--quick] [--only scoring,network,handler,http,coldStart,roundTrips] [--out results.json]

env: BENCH_QUICK=1, BENCH_SECTIONS, BENCH_OUT, BENCH_SEED, BENCH_USERS, BENCH_SCORING_SAMPLES,
     BENCH_HANDLER_SAMPLES, BENCH_HTTP_SECONDS, BENCH_HTTP_CONNECTIONS, BENCH_COLD_RUNS,
     BENCH_ROUND_TRIP_SAMPLES, BENCH_PROFILE=1 (CPU profiles: handler loop, HTTP server, one cold start)`;

export function parseBenchArgs(args: readonly string[]): BenchArgs {
  const out: BenchArgs = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value\n\n${BENCH_USAGE}`);
      return v;
    };
    if (arg === '--quick') out.quick = true;
    else if (arg === '--only') out.sections = value();
    else if (arg === '--out') out.outFile = value();
    else throw new Error(`unknown option ${arg}\n\n${BENCH_USAGE}`);
  }
  return out;
}
