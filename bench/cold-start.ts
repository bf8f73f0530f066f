import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type * as Esbuild from 'esbuild';
import { LAMBDA_ENTRIES } from '../lib/lambda-entries';
import type { BenchConfig } from './config';
import { REPO_ROOT } from './config';
import type { DecisionBody } from './fixtures';
import { decisionEvent, lambdaContext } from './seed';
import { bundleResolver, formatProfile, summarizeProfileFile } from './profile';
import { median } from './stats';

/**
 * Section 4: the decide Lambda as CDK bundles it (lib/constructs/stepgate-function.ts `bundlingOptions`: esbuild,
 * platform node, CommonJS, minified, source map without sources, AWS SDK bundled, geoip-lite external and shipped
 * as a node module), then import + init measured in fresh child processes: the time `require` of the bundle takes
 * (module evaluation, geoip-lite reading its data, client construction) and the RSS after it, median of N runs.
 * Two baselines from the same runs explain the figure: an empty Node process and geoip-lite alone; and the same bundle
 * without its ASN table (NETWORK_DATA_FILE=off) says what the network data costs.
 */
export interface ColdStartResult {
  readonly entry: string;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly buildMs: number;
  readonly initMs: number;
  readonly rssMb: number;
  /** From process start to the handler being ready (Node's own boot included). */
  readonly processToReadyMs: number;
  /** The first decision of the cold process against DynamoDB Local (connection set-up, lazy SDK paths). */
  readonly firstInvokeMs: number;
  readonly secondInvokeMs: number;
  readonly baselineRssMb: number;
  readonly geoipInitMs: number;
  readonly geoipRssMb: number;
  /** The same bundle started with NETWORK_DATA_FILE=off (no ASN table), in the same runs, interleaved. */
  readonly initMsNoNetwork: number;
  readonly rssMbNoNetwork: number;
  /** Median of the per-run differences with − without the ASN table: what the data adds. */
  readonly networkInitDeltaMs: number;
  /** The same in CPU time of the init (user + system), and the init's CPU time with the table. */
  readonly networkInitCpuDeltaMs: number;
  readonly initCpuMs: number;
  readonly networkRssDeltaMb: number;
  /** The ASN table shipped beside the bundle (not part of `bundleBytes`). */
  readonly networkDataBytes: number;
  readonly runs: number;
  readonly target: string;
  readonly topInputs: readonly { readonly input: string; readonly bytes: number }[];
}

const WIRING_ENTRY = LAMBDA_ENTRIES.decide.entry;

/** Run by `node -e` in a fresh process: prints one line `BENCH_RESULT {json}` (the handler may log other lines). */
const CHILD_SOURCE = `
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const mod = require(process.env.BENCH_BUNDLE);
const initMs = Number(process.hrtime.bigint() - t0) / 1e6;
const c1 = process.cpuUsage(c0);
const out = { initMs, initCpuMs: (c1.user + c1.system) / 1000, rssMb: process.memoryUsage().rss / 1048576, processToReadyMs: performance.now() };
const finish = () => { process.stdout.write('\\nBENCH_RESULT ' + JSON.stringify(out) + '\\n'); process.exit(0); };
if (!process.env.BENCH_EVENTS) finish();
else {
  const events = JSON.parse(process.env.BENCH_EVENTS);
  const context = JSON.parse(process.env.BENCH_CONTEXT);
  (async () => {
    const times = [];
    for (const event of events) {
      const t = process.hrtime.bigint();
      const res = await mod.handler(event, context);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      out.status = res && res.statusCode;
    }
    out.firstInvokeMs = times[0];
    out.secondInvokeMs = times[1];
    finish();
  })().catch((e) => { out.error = String(e && e.message || e); finish(); });
}
`;

const BASELINE_SOURCE = `
const t0 = process.hrtime.bigint();
if (process.env.BENCH_REQUIRE) require(process.env.BENCH_REQUIRE);
const out = { initMs: Number(process.hrtime.bigint() - t0) / 1e6, rssMb: process.memoryUsage().rss / 1048576 };
process.stdout.write('BENCH_RESULT ' + JSON.stringify(out) + '\\n');
`;

interface ChildResult {
  initMs: number;
  /** CPU time (user + system) of the init: what a busy machine inflates least. */
  initCpuMs?: number;
  rssMb: number;
  processToReadyMs?: number;
  firstInvokeMs?: number;
  secondInvokeMs?: number;
  status?: number;
  error?: string;
}

function runChild(source: string, env: Record<string, string>, nodeArgs: string[] = []): ChildResult {
  const out = spawnSync(process.execPath, [...nodeArgs, '-e', source], {
    cwd: REPO_ROOT,
    // Only what a Lambda would have, plus the bench's own variables: no NODE_OPTIONS or tsx hooks from the parent.
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = out.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line)
    throw new Error(`cold-start child failed (${out.status}): ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildResult;
}

export async function runColdStart(
  config: BenchConfig,
  invoke:
    { endpoint: string; tables: { risk: string; audit: string; policy: string }; bodies: DecisionBody[] } | undefined,
  log: (line: string) => void,
  networkTable: string,
): Promise<ColdStartResult> {
  // Loaded here, not at the top: the other sections (and the smoke test) do not need esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof Esbuild;
  const entry = join(REPO_ROOT, WIRING_ENTRY);
  if (!existsSync(entry)) throw new Error(`${WIRING_ENTRY} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-'));
  try {
    const outfile = join(dir, 'index.js');
    const t0 = Date.now();
    // CDK's NodejsFunction passes target node24 for the nodejs24.x runtime; this machine runs Node 20, so the
    // bundle targets node20 (esbuild only lowers syntax; the code is the same).
    const target = 'node20';
    const build = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target,
      format: 'cjs',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      external: ['geoip-lite'],
      outfile,
      metafile: true,
      logLevel: 'error',
    });
    const buildMs = Date.now() - t0;
    const bytes = statSync(outfile).size;
    const gzip = gzipSync(readFileSync(outfile)).length;
    const byInput = new Map<string, number>();
    const output = Object.entries(build.metafile.outputs).find(([path]) => path.endsWith('index.js'))?.[1];
    for (const [input, info] of Object.entries(output?.inputs ?? {})) {
      const nm = input.lastIndexOf('node_modules/');
      let key = input;
      if (nm !== -1) {
        const parts = input.slice(nm + 'node_modules/'.length).split('/');
        key = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? input);
      } else key = input.split('/').slice(0, 2).join('/');
      byInput.set(key, (byInput.get(key) ?? 0) + info.bytesInOutput);
    }
    const topInputs = [...byInput.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([input, b]) => ({ input, bytes: b }));

    const nodePath = join(REPO_ROOT, 'node_modules');
    // Every variable the stack gives the function (lib/lambda-entries.ts), so a wiring that reads one more still
    // starts; placeholders except where the bench has real values (tables, region, endpoint).
    const placeholders: Record<string, string> = {};
    for (const name of LAMBDA_ENTRIES.decide.env) placeholders[name] = `bench-${name.toLowerCase()}`;
    const lambdaEnv: Record<string, string> = {
      ...placeholders,
      NODE_PATH: nodePath,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STAGE: 'bench',
      SECRETS_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stepgate-bench',
      RISK_TABLE: invoke?.tables.risk ?? 'bench-risk',
      AUDIT_TABLE: invoke?.tables.audit ?? 'bench-audit',
      POLICY_TABLE: invoke?.tables.policy ?? 'bench-policy',
      POWERTOOLS_SERVICE_NAME: 'stepgate',
      POWERTOOLS_METRICS_NAMESPACE: 'Stepgate',
      // CDK ships the table beside the bundle; here it is the same file where the build left it.
      NETWORK_DATA_FILE: networkTable,
      BENCH_BUNDLE: outfile,
      ...(invoke
        ? {
            AWS_ENDPOINT_URL_DYNAMODB: invoke.endpoint,
            BENCH_EVENTS: JSON.stringify(invoke.bodies.slice(0, 2).map((b) => decisionEvent(b))),
            BENCH_CONTEXT: JSON.stringify(lambdaContext),
          }
        : {}),
    };
    const runs: ChildResult[] = [];
    const withoutNetwork: ChildResult[] = [];
    const baseline: ChildResult[] = [];
    const geoip: ChildResult[] = [];
    // Interleaved, so a burst of load on the shared machine does not land on one kind only.
    for (let i = 0; i < config.coldStart.runs; i++) {
      const r = runChild(CHILD_SOURCE, lambdaEnv);
      if (r.error) throw new Error(`cold-start invoke failed: ${r.error}`);
      if (invoke && r.status !== 200) throw new Error(`cold-start invoke answered ${r.status}`);
      runs.push(r);
      const { BENCH_EVENTS: _events, ...initOnly } = lambdaEnv;
      withoutNetwork.push(runChild(CHILD_SOURCE, { ...initOnly, NETWORK_DATA_FILE: 'off' }));
      baseline.push(runChild(BASELINE_SOURCE, {}));
      geoip.push(runChild(BASELINE_SOURCE, { NODE_PATH: nodePath, BENCH_REQUIRE: 'geoip-lite' }));
    }
    if (config.profileHandler) {
      // One more cold start under --cpu-prof: what import + init and the first decision spend their time on.
      const profDir = join(dir, 'prof');
      runChild(CHILD_SOURCE, lambdaEnv, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=200']);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) {
        const summary = summarizeProfileFile(join(profDir, file), 25, bundleResolver(outfile));
        log(formatProfile(summary, '  CPU profile of one cold start (init + 2 decisions)'));
      }
    }
    const result: ColdStartResult = {
      entry: WIRING_ENTRY,
      bundleBytes: bytes,
      bundleGzipBytes: gzip,
      buildMs,
      initMs: median(runs.map((r) => r.initMs)),
      rssMb: median(runs.map((r) => r.rssMb)),
      processToReadyMs: median(runs.map((r) => r.processToReadyMs ?? NaN)),
      firstInvokeMs: invoke ? median(runs.map((r) => r.firstInvokeMs ?? NaN)) : NaN,
      secondInvokeMs: invoke ? median(runs.map((r) => r.secondInvokeMs ?? NaN)) : NaN,
      baselineRssMb: median(baseline.map((r) => r.rssMb)),
      geoipInitMs: median(geoip.map((r) => r.initMs)),
      geoipRssMb: median(geoip.map((r) => r.rssMb)),
      initMsNoNetwork: median(withoutNetwork.map((r) => r.initMs)),
      rssMbNoNetwork: median(withoutNetwork.map((r) => r.rssMb)),
      networkInitDeltaMs: median(runs.map((r, i) => r.initMs - (withoutNetwork[i]?.initMs ?? NaN))),
      networkRssDeltaMb: median(runs.map((r, i) => r.rssMb - (withoutNetwork[i]?.rssMb ?? NaN))),
      networkInitCpuDeltaMs: median(runs.map((r, i) => (r.initCpuMs ?? NaN) - (withoutNetwork[i]?.initCpuMs ?? NaN))),
      initCpuMs: median(runs.map((r) => r.initCpuMs ?? NaN)),
      networkDataBytes: statSync(networkTable).size,
      runs: runs.length,
      target,
      topInputs,
    };
    log(
      `  bundle ${(bytes / 1024).toFixed(0)} KiB (gzip ${(gzip / 1024).toFixed(0)} KiB); init ${result.initMs.toFixed(0)} ms ` +
        `(geoip-lite alone ${result.geoipInitMs.toFixed(0)} ms), RSS ${result.rssMb.toFixed(0)} MB; ASN table ` +
        `+${result.networkInitDeltaMs.toFixed(1)} ms, +${result.networkRssDeltaMb.toFixed(1)} MB`,
    );
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
