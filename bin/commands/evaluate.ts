import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { CliError, type Command } from '../cli';
import { defaultPolicy } from '../../lambdas/core/policy/default-policy';
import { parsePolicy, type Policy } from '../../lambdas/core/policy/policy-schema';
import type * as GeoipAdapter from '../../lambdas/adapters/geoip-lite-locator';
import type * as UaAdapter from '../../lambdas/adapters/ua-parser-device-parser';
import { evaluateFile } from '../../tools/evaluation/evaluate-file';
import { ENGINE_SCORER } from '../../tools/evaluation/login-evaluator';
import { progressBar } from '../../tools/evaluation/progress-bar';
import { UNKNOWN_ACCOUNT_ID } from '../../tools/evaluation/traffic-generator';
import { renderSweep, runWorld, selectWorlds, summarizeSweep, type WorldResult } from '../../tools/evaluation/sweep';
import { BUNDLED_DATA_DIR, loadUserAgentPool } from '../../tools/evaluation/user-agent-pool';
import { describeNetworkData, localNetworkData } from '../../lambdas/local/local-network-data';

const USAGE = `usage: stepgate evaluate --input logins.csv --out DIR [options]
       stepgate evaluate --sweep [--worlds tuning|held-out|all|PRESET[#SEED],...] [--rows N] [--days N] [--out DIR]

Replays a login CSV in the RBA dataset's schema (Wiefling et al., ACM TOPS 2022) through the risk engine, each
login scored with only the history before it, and writes DIR/rows.jsonl, DIR/report.json and DIR/report.html.
Freeman et al.'s model (NDSS 2016, with the dataset authors' weights) replays the same rows beside it.

--sweep generates a grid of simulated worlds (see stepgate simulate-traffic --world) in memory, replays each through
the engine and the Freeman anchor, and prints each attacker model's worst case and median (block rate at 1 % and
5 % legitimate friction) and the default policy's friction; --out DIR also writes DIR/sweep.json and DIR/sweep.md.

  --input FILE            login CSV (the 9 GB rba-dataset.csv works: it is streamed)
  --out DIR               output folder
  --policy FILE           policy JSON (default: the built-in default policy)
  --labels FILE           attacker model per row, JSON lines (default: <input>.labels.jsonl when present)
  --action NAME           catalogue action a login is scored as (default auth.sign_in)
  --warmup-days N         first days reported apart (default 7)
  --no-threat-feed        ignore the "Is Attack IP" column
  --unknown-user ID       user id of logins to non-existent accounts (default the dataset's ${UNKNOWN_ACCOUNT_ID})
  --reorder-window N      rows held to restore time order (default 10000)
  --hot-profiles N        profiles kept as live objects; the others are kept as compact text (default 2000)
  --max-users N           users remembered at most; the least recently active go first (default 250000)
  --max-global-keys N     distinct values per population level; the rarest are dropped beyond (default 200000)
  --hot-profiles, --max-users and --max-global-keys bound the history; --heap-mb bounds the JavaScript heap
  (default 640; 0 = leave it to Node): without a bound V8 lets the heap grow to several times the live data.
  --heap-mb N             heap limit of the evaluating process, in MB
  --engine NAME           both (default), stepgate, or freeman (the anchor alone)
  --quiet                 no progress bar
  sweep: --worlds SET     tuning, held-out, all (default) or presets, e.g. harder,first-table#21
         --rows N         rows per world (default 30000)
         --days N         simulated days per world (default 45)

AS numbers come from the CSV's ASN column when it has one, else from the network lookup of each row's IP (the ASN
table built from @ip-location-db/asn, or the file in $STEPGATE_NETWORK_DATA; "off" for none); report.json's "asn"
says which, with the rows of each.`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

async function loadPolicy(path: string | undefined): Promise<Policy> {
  if (path === undefined) return defaultPolicy;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read policy ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Accept a bare policy or the admin API's {"version", "policy", ...} envelope.
  const candidate = json !== null && typeof json === 'object' && 'policy' in json ? json.policy : json;
  const parsed = parsePolicy(candidate);
  if (!parsed.ok) {
    throw new CliError(`invalid policy ${path}:\n${parsed.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
  return parsed.policy;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const CHILD = 'STEPGATE_EVALUATE_CHILD';

/**
 * Runs the same evaluation in a child Node process with `--max-old-space-size`: the heap limit can only be set when
 * a process starts, and it is what keeps a replay of millions of rows inside its memory budget (V8 otherwise grows
 * the heap to a multiple of the live data before it collects).
 */
async function runWithHeapLimit(heapMb: number, args: string[]): Promise<number> {
  const cli = resolve(__dirname, '../stepgate-cli.js');
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, cli, 'evaluate', ...args], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD]: '1' },
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (signal) throw new CliError(`evaluation stopped by ${signal}`);
  return code ?? 1;
}

async function sweepCommand(
  policy: Policy,
  o: { worlds: string; rows: number; days: number; action: string; out?: string; quiet: boolean },
): Promise<number> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { GeoipLiteLocator } = require('../../lambdas/adapters/geoip-lite-locator') as typeof GeoipAdapter;
  const { UaParserDeviceParser } = require('../../lambdas/adapters/ua-parser-device-parser') as typeof UaAdapter;
  /* eslint-enable @typescript-eslint/no-require-imports */
  let worlds;
  try {
    worlds = selectWorlds(o.worlds);
  } catch (error) {
    throw new CliError((error as Error).message, 2);
  }
  if (o.rows < 1000) throw new CliError('--rows must be at least 1000 for a sweep', 2);
  const deps = {
    scorer: ENGINE_SCORER,
    locator: new GeoipLiteLocator(50_000),
    devices: new UaParserDeviceParser(20_000),
    agents: await loadUserAgentPool(BUNDLED_DATA_DIR),
  };
  const results: WorldResult[] = [];
  for (const world of worlds) {
    const r = runWorld(deps, world, { rows: o.rows, days: o.days, policy, action: o.action });
    results.push(r);
    if (!o.quiet) {
      const models = Object.entries(r.engine.models)
        .map(
          ([m, f]) =>
            `${m} ${pct(f.at1)}/${pct(f.at5)} (F ${pct(r.freeman.models[m]?.at1 ?? 0)}/${pct(r.freeman.models[m]?.at5 ?? 0)})`,
        )
        .join('  ');
      console.error(`${r.id.padEnd(28)} ${r.seconds} s  friction ${pct(r.engine.friction)}  ${models}`);
    }
  }
  const summary = summarizeSweep(results);
  const table = renderSweep(results, summary);
  console.log(table);
  if (o.out) {
    await mkdir(o.out, { recursive: true });
    const command = `stepgate evaluate --sweep --worlds ${o.worlds} --rows ${o.rows} --days ${o.days}`;
    await writeFile(
      join(o.out, 'sweep.json'),
      `${JSON.stringify({ command, policy: { version: policy.version }, summary, worlds: results }, null, 2)}\n`,
    );
    await writeFile(join(o.out, 'sweep.md'), `${command}\n\n${table}\n`);
  }
  return 0;
}

export const evaluateCommand: Command = {
  summary: 'evaluate the engine on a login CSV (RBA dataset schema): ROC, block rates at fixed friction, HTML report',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          input: { type: 'string' },
          out: { type: 'string' },
          policy: { type: 'string' },
          labels: { type: 'string' },
          action: { type: 'string', default: 'auth.sign_in' },
          'warmup-days': { type: 'string' },
          'no-threat-feed': { type: 'boolean', default: false },
          'unknown-user': { type: 'string', default: UNKNOWN_ACCOUNT_ID },
          'reorder-window': { type: 'string' },
          'hot-profiles': { type: 'string' },
          'max-users': { type: 'string' },
          'max-global-keys': { type: 'string' },
          'heap-mb': { type: 'string' },
          quiet: { type: 'boolean', default: false },
          engine: { type: 'string', default: 'both' },
          sweep: { type: 'boolean', default: false },
          worlds: { type: 'string', default: 'all' },
          rows: { type: 'string' },
          days: { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }));
    } catch (error) {
      throw new CliError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, 2);
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const policy = await loadPolicy(values.policy);
    if (!policy.actions[values.action]) throw new CliError(`the policy has no action "${values.action}"`);
    if (values.sweep) {
      return sweepCommand(policy, {
        worlds: values.worlds,
        rows: positiveInt('rows', values.rows, 30_000),
        days: positiveInt('days', values.days, 45),
        action: values.action,
        ...(values.out ? { out: values.out } : {}),
        quiet: values.quiet,
      });
    }
    if (!values.input || !values.out) throw new CliError(`--input and --out are required\n\n${USAGE}`, 2);
    const engines = values.engine;
    if (engines !== 'both' && engines !== 'stepgate' && engines !== 'freeman') {
      throw new CliError(`--engine must be both, stepgate or freeman, got "${engines}"`, 2);
    }
    const heapMb = positiveInt('heap-mb', values['heap-mb'], 640);
    if (heapMb > 0 && process.env[CHILD] !== '1' && getHeapStatistics().heap_size_limit > (heapMb + 64) * 2 ** 20) {
      return runWithHeapLimit(heapMb, args);
    }
    // Loaded only here: geoip-lite holds ~110 MB, which a parent that merely starts the heap-limited child must not.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { GeoipLiteLocator } = require('../../lambdas/adapters/geoip-lite-locator') as typeof GeoipAdapter;
    const { UaParserDeviceParser } = require('../../lambdas/adapters/ua-parser-device-parser') as typeof UaAdapter;
    /* eslint-enable @typescript-eslint/no-require-imports */
    // Rows without an ASN column get the AS number of their IP, as live decisions do ($STEPGATE_NETWORK_DATA=off:
    // none).
    const network = localNetworkData(process.env, Date.now(), (line) => console.error(line));
    if (!network.locator) console.error(describeNetworkData(network));
    const bar = values.quiet ? undefined : progressBar(process.stderr, 'evaluating');
    const { report } = await evaluateFile(
      {
        scorer: ENGINE_SCORER,
        locator: new GeoipLiteLocator(undefined, network.locator),
        devices: new UaParserDeviceParser(20_000),
      },
      {
        input: values.input,
        outDir: values.out,
        ...(values.labels ? { labels: values.labels } : {}),
        policy,
        action: values.action,
        warmupDays: positiveInt('warmup-days', values['warmup-days'], 7),
        threatFeed: !values['no-threat-feed'],
        unknownUserId: values['unknown-user'],
        reorderWindow: Math.max(1, positiveInt('reorder-window', values['reorder-window'], 10_000)),
        history: {
          hotProfiles: Math.max(1, positiveInt('hot-profiles', values['hot-profiles'], 2_000)),
          maxUsers: Math.max(1, positiveInt('max-users', values['max-users'], 250_000)),
          maxGlobalKeys: Math.max(1000, positiveInt('max-global-keys', values['max-global-keys'], 200_000)),
        },
        ...(bar ? { onProgress: bar.update } : {}),
        engines,
        ...(network.locator ? { networkData: network.locator.info } : {}),
      },
    ).catch((error: unknown) => {
      bar?.done();
      if (error instanceof Error && 'line' in error) throw new CliError(`${values.input}: ${error.message}`);
      throw error;
    });
    bar?.done();
    const { headline, performance: perf } = report;
    console.log(
      `${report.rows.total} rows in ${perf.wallSeconds} s (${perf.rowsPerSecond} rows/s, peak RSS ${perf.peakRssMB} MB)`,
    );
    const engineName = engines === 'freeman' ? 'Freeman et al.' : 'stepgate';
    console.log(`AS numbers: ${report.asn.source}`);
    console.log(
      `users with history: ${headline.legitLogins} legit logins` +
        (engines === 'freeman' ? '' : `, policy friction ${pct(headline.legitFriction)}`),
    );
    const anchor = report.freeman?.headline;
    for (const m of headline.models) {
      const at = m.atFriction.map((p) => `${pct(p.blockRate)} @${pct(p.maxFriction)}`).join('  ');
      console.log(
        `  ${engineName} ${m.model.padEnd(9)} ${String(m.rows).padStart(7)} rows` +
          (engines === 'freeman' ? '' : `  policy blocks ${pct(m.policyBlockRate).padStart(7)}`) +
          `  ${at}  AUC ${m.auc?.toFixed(3) ?? '–'}`,
      );
      const f = anchor?.models.find((x) => x.model === m.model);
      if (f) {
        const fat = f.atFriction.map((p) => `${pct(p.blockRate)} @${pct(p.maxFriction)}`).join('  ');
        const ratio = f.atFriction.map((p, i) => {
          const mine = m.atFriction[i]?.blockRate ?? 0;
          return p.blockRate > 0 ? `${(mine / p.blockRate).toFixed(2)}×` : mine > 0 ? '∞' : '–';
        });
        console.log(
          `  Freeman  ${m.model.padEnd(9)} ${' '.repeat(12)}${' '.repeat(29)}${fat}  AUC ${f.auc?.toFixed(3) ?? '–'}  ratio ${ratio.join(' / ')}`,
        );
      }
    }
    console.log(`report: ${values.out}/report.html`);
    return 0;
  },
};
