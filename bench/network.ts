import { statSync } from 'node:fs';
import { locateUncached } from '../lambdas/adapters/geoip-lite-locator';
import { AsnTableLocator } from '../lambdas/adapters/asn-table/asn-table-locator';
import type { NetworkDataInfo } from '../lambdas/ports/network-locator';
import type { BenchConfig } from './config';
import type { Population } from './fixtures';
import { median, now, nsToUs, Rng, summarize, type Summary } from './stats';

/**
 * The network lookup on its own: `AsnTableLocator.lookup` (parse, classify, binary search, organisation and prefix
 * of the answer) per call, on the bench's addresses (where users sign in from: IPv4 in ~20 countries, IPv6) mixed
 * with uniformly random IPv4 addresses (unannounced space and gaps included); what it adds to a locator cache miss
 * (geoip-lite alone vs geoip-lite + lookup, the decide handler's miss path); and loading the table in-process.
 * The table's share of a cold start and of RSS is measured in the cold-start section, with and without it.
 */
export interface NetworkResult {
  readonly lookupP50Us: number;
  readonly lookupP99Us: number;
  readonly lookupV6P50Us: number;
  /** Lookups per second of one thread over the mixed addresses, no per-call timer. */
  readonly lookupsPerSec: number;
  /** Share of the mixed addresses with a network (the rest: private, reserved or unannounced). */
  readonly foundPct: number;
  readonly geoUncachedP50Us: number;
  readonly geoUncachedWithNetworkP50Us: number;
  readonly tableBytes: number;
  /** `AsnTableLocator.fromFile` in this process, median (the file is in the page cache after the first). */
  readonly loadMs: number;
  /** The same in CPU time (user + system): mostly the kernel faulting in the pages of the new buffer. */
  readonly loadCpuMs: number;
  readonly data: NetworkDataInfo;
  readonly samples: number;
  readonly summaries: Readonly<Record<string, Summary>>;
}

let sink = 0;

export function runNetwork(config: BenchConfig, pop: Population, tablePath: string): NetworkResult {
  const loads: number[] = [];
  const loadsCpu: number[] = [];
  let table: AsnTableLocator | undefined;
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    const c0 = process.cpuUsage();
    table = AsnTableLocator.fromFile(tablePath);
    const c1 = process.cpuUsage(c0);
    loads.push(Number(now() - t0) / 1e6);
    loadsCpu.push((c1.user + c1.system) / 1000);
  }
  const network = table as AsnTableLocator;
  const rng = new Rng(config.seed ^ 0xa5e);
  const v4 = pop.ips.countries.flatMap((c) => pop.ips.byCountry.get(c) ?? []);
  const addresses: string[] = [];
  for (let i = 0; i < 8192; i++) {
    const r = rng.int(4);
    if (r === 0) addresses.push(rng.pick(pop.ips.v6));
    else if (r === 1) {
      const n = rng.int(0x1_0000_0000) >>> 0;
      addresses.push(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
    } else addresses.push(rng.pick(v4));
  }
  const v6 = pop.ips.v6;

  const timed = (n: number, work: (i: number) => number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = now();
      sink ^= work(i);
      out.push(nsToUs(now() - t0));
    }
    return out;
  };
  const samples = Math.max(2000, Math.floor(config.scoring.samples / 2));
  // Warm-up: JIT tiers and the table's pages.
  timed(samples, (i) => network.lookup(addresses[i % addresses.length] as string)?.asn ?? 0);
  const lookups = timed(samples, (i) => network.lookup(addresses[i % addresses.length] as string)?.asn ?? 0);
  const v6Lookups = timed(Math.floor(samples / 2), (i) => network.lookup(v6[i % v6.length] as string)?.asn ?? 0);
  const found = addresses.filter((ip) => network.lookup(ip) !== undefined).length;

  const rounds = Math.max(20_000, samples * 4);
  const t0 = now();
  for (let i = 0; i < rounds; i++) sink ^= network.lookup(addresses[i % addresses.length] as string)?.asn ?? 0;
  const elapsedNs = Number(now() - t0);

  // geoip-lite alone and geoip-lite + lookup, alternating blocks over the same addresses.
  const geo: number[] = [];
  const geoNet: number[] = [];
  const block = Math.max(500, Math.floor(samples / 10));
  for (let r = 0; r < 5; r++) {
    geo.push(
      ...timed(
        block,
        (i) => (locateUncached(addresses[(r * block + i) % addresses.length] as string).country ?? '').length,
      ),
    );
    geoNet.push(
      ...timed(
        block,
        (i) => (locateUncached(addresses[(r * block + i) % addresses.length] as string, network).asn ?? '').length,
      ),
    );
  }

  const l = summarize(lookups);
  const l6 = summarize(v6Lookups);
  const g = summarize(geo);
  const gn = summarize(geoNet);
  return {
    lookupP50Us: l.p50,
    lookupP99Us: l.p99,
    lookupV6P50Us: l6.p50,
    lookupsPerSec: rounds / (elapsedNs / 1e9),
    foundPct: (100 * found) / addresses.length,
    geoUncachedP50Us: g.p50,
    geoUncachedWithNetworkP50Us: gn.p50,
    tableBytes: statSync(tablePath).size,
    loadMs: median(loads),
    loadCpuMs: median(loadsCpu),
    data: network.info,
    samples: l.n,
    summaries: { lookup: l, lookupV6: l6, geoUncached: g, geoUncachedWithNetwork: gn },
  };
}

export function networkSink(): number {
  return sink;
}
