import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { GeoLocator } from '../../lambdas/ports/geo-locator';
import { csvLine } from './csv-reader';
import { defaultLabelsPath } from './evaluate-file';
import { IpAtlas } from './ip-atlas';
import { Prng } from './prng';
import { formatRbaRow, RBA_COLUMNS } from './rba-row';
import { TrafficGenerator, type TrafficOptions, type TrafficLabel } from './traffic-generator';
import type { UserAgentPool } from './user-agent-pool';

/** Random addresses probed to map the address space; enough for a few hundred networks in a small country. */
export const ATLAS_SAMPLES = 300_000;

/** `samples` trades start-up time for geographic detail (tests use fewer). */
export function buildGenerator(
  options: TrafficOptions,
  locator: GeoLocator,
  agents: UserAgentPool,
  samples = ATLAS_SAMPLES,
): TrafficGenerator {
  const atlas = new IpAtlas(locator, new Prng(options.seed), samples, options.world.network.layout);
  return new TrafficGenerator(options, atlas, agents);
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * Writes generated traffic as `<out>` (the RBA dataset's CSV schema) and `<out>.labels.jsonl` (the attacker model
 * of every attack row; unlisted rows are legit). Streams one simulated day at a time.
 */
export async function writeTrafficFile(
  out: string,
  generator: TrafficGenerator,
): Promise<{ rows: number; labels: Record<TrafficLabel, number> }> {
  const csv = createWriteStream(out, { encoding: 'utf8' });
  const labels = createWriteStream(defaultLabelsPath(out), { encoding: 'utf8' });
  const counts: Record<TrafficLabel, number> = { legit: 0, naive: 0, vpn: 0, targeted: 0, stuffing: 0 };
  let rows = 0;
  await write(csv, `${csvLine(RBA_COLUMNS)}\n`);
  for (const batch of generator.batches()) {
    const lines: string[] = [];
    const labelLines: string[] = [];
    for (const { row, label } of batch) {
      lines.push(formatRbaRow(row));
      counts[label]++;
      if (label !== 'legit') labelLines.push(JSON.stringify({ index: row.index, model: label }));
    }
    rows += batch.length;
    if (lines.length > 0) await write(csv, `${lines.join('\n')}\n`);
    if (labelLines.length > 0) await write(labels, `${labelLines.join('\n')}\n`);
  }
  await Promise.all([close(csv), close(labels)]);
  return { rows, labels: counts };
}
