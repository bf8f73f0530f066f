import { parseArgs } from 'node:util';
import { CliError, type Command } from '../cli';
import { GeoipLiteLocator } from '../../lambdas/adapters/geoip-lite-locator';
import { DEFAULT_TRAFFIC } from '../../tools/evaluation/traffic-generator';
import { applyOverrides, WORLD_PRESETS, worldPreset } from '../../tools/evaluation/traffic-world';
import { BUNDLED_DATA_DIR, loadUserAgentPool } from '../../tools/evaluation/user-agent-pool';
import { buildGenerator, writeTrafficFile } from '../../tools/evaluation/write-traffic';

const DEFAULT_DATA_DIR = BUNDLED_DATA_DIR;

const USAGE = `usage: stepgate simulate-traffic --out FILE [options]

Writes synthetic, labelled login traffic in the RBA dataset's CSV schema: legitimate users (home and mobile
networks, offices, networks near home, trips, new and shared devices, browser updates, own hours, quiet spells,
typos) and attackers after Wiefling et al. (naive, VPN, targeted) plus credential stuffing. FILE.labels.jsonl names
the attacker model of each attack row. A world (preset plus overrides) sets every dial; see docs/detection.md.

  --out FILE              CSV to write
  --rows N                rows (default 20000)
  --seed N                PRNG seed; the same seed gives the same file (default 1)
  --days N                simulated days (default ${DEFAULT_TRAFFIC.days})
  --start DATE            first day, ISO date (default 2020-02-03)
  --world NAME            preset world (default ${DEFAULT_TRAFFIC.world}): ${Object.keys(WORLD_PRESETS).join(', ')}
  --set PATH=VALUE        change one dial of the world, repeatable (e.g. --set attack.victims=active
                          --set travel.userShare=0.3 --set attack.targeted.placement.sameNetwork=0.5)
  --takeover-share X      shorthand for attack.takeoverShare.{naive,vpn,targeted}=X
  --stuffing-share X      shorthand for attack.stuffingShare=X
  --print-world           print the world's dials as JSON and exit
  --data DIR              folder with ua-parser-js-1.0.x/ and uap-core/ (default: the repository's data/)`;

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new CliError(`--${name} must be a number in [${min}, ${max}]`);
  return n;
}

export const simulateTrafficCommand: Command = {
  summary: 'write synthetic labelled login traffic (RBA dataset schema) with naive/VPN/targeted/stuffing attackers',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          out: { type: 'string' },
          rows: { type: 'string' },
          seed: { type: 'string' },
          days: { type: 'string' },
          start: { type: 'string' },
          world: { type: 'string', default: DEFAULT_TRAFFIC.world },
          set: { type: 'string', multiple: true, default: [] },
          'print-world': { type: 'boolean', default: false },
          'takeover-share': { type: 'string' },
          'stuffing-share': { type: 'string' },
          data: { type: 'string' },
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
    const overrides = [...values.set];
    if (values['takeover-share'] !== undefined) {
      const x = number('takeover-share', values['takeover-share'], 0.01, 0, 0.2);
      for (const m of ['naive', 'vpn', 'targeted']) overrides.push(`attack.takeoverShare.${m}=${x}`);
    }
    if (values['stuffing-share'] !== undefined) {
      overrides.push(`attack.stuffingShare=${number('stuffing-share', values['stuffing-share'], 0.03, 0, 0.5)}`);
    }
    let world;
    try {
      world = applyOverrides(worldPreset(values.world), overrides);
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
    if (values['print-world']) {
      console.log(JSON.stringify(world, null, 2));
      return 0;
    }
    if (!values.out) throw new CliError(`--out is required\n\n${USAGE}`, 2);
    const start = values.start === undefined ? DEFAULT_TRAFFIC.start : Date.parse(`${values.start}T00:00:00Z`);
    if (!Number.isFinite(start)) throw new CliError(`--start must be an ISO date, got "${values.start}"`);
    const dataDir = values.data ?? DEFAULT_DATA_DIR;
    const agents = await loadUserAgentPool(dataDir).catch((error: unknown) => {
      throw new CliError(
        `cannot load user agents from ${dataDir}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const generator = buildGenerator(
      {
        seed: Math.trunc(number('seed', values.seed, 1, 0, 2 ** 32 - 1)),
        rows: Math.trunc(number('rows', values.rows, 20_000, 1, 1e9)),
        days: Math.trunc(number('days', values.days, DEFAULT_TRAFFIC.days, 1, 3650)),
        start,
        world,
      },
      new GeoipLiteLocator(),
      agents,
    );
    const { rows, labels } = await writeTrafficFile(values.out, generator);
    console.log(
      `wrote ${rows} rows to ${values.out} (${Object.entries(labels)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); labels in ${values.out}.labels.jsonl`,
    );
    return 0;
  },
};
