import { randomUUID } from 'node:crypto';
import { GeoipLiteLocator } from '../lambdas/adapters/geoip-lite-locator';
import { AsnTableLocator } from '../lambdas/adapters/asn-table/asn-table-locator';
import { ensureBundledAsnTable } from '../tools/network-data/ip-location-db-asn';
import { UaParserDeviceParser } from '../lambdas/adapters/ua-parser-device-parser';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  findFreePort,
  localClientConfig,
  startDynamoDbLocal,
  type DynamoDbLocalHandle,
} from '../lambdas/local/dynamodb-local';
import { configFromEnv, parseBenchArgs, type BenchConfig } from './config';
import { runColdStart } from './cold-start';
import { runHandler } from './handler';
import { runHttp } from './http';
import { runNetwork } from './network';
import { runRoundTrips } from './round-trips';
import { runScoring } from './scoring';
import { createBenchTables, seedStore } from './seed';
import { buildIpPool, buildPopulation, loadUserAgents, requestFor, type Population } from './fixtures';
import { machineNotes, formatTable, writeJson, type BenchResults } from './report';
import { Rng, round } from './stats';

/**
 * `npm run bench`: the five sections of the performance issue in one process run, then a Markdown table on stdout
 * and bench/results.json. CPU-bound scoring runs first, before the DynamoDB Local JVM starts competing for the
 * cores; sections share one DynamoDB Local but each gets its own tables.
 */
export async function runBench(config: BenchConfig, log: (line: string) => void = console.log): Promise<BenchResults> {
  const started = Date.now();
  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      ...machineNotes(),
      quick: config.quick,
      seed: config.seed,
      users: config.users,
      // `bench` when run from the esbuild bundle the CLI builds (no tsx in the measured code), `tsx` otherwise.
      runner: process.env.STEPGATE_BENCH_RUNNER ?? 'tsx',
    },
    errors: {},
  };
  const section = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    const t0 = Date.now();
    log(`${name} ...`);
    try {
      const value = await work();
      log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.errors[name] = message;
      log(`${name} FAILED: ${message}`);
      return undefined;
    }
  };

  log(
    `stepgate bench${config.quick ? ' (quick: smoke figures only)' : ''}: sections ${[...config.sections].join(', ')}`,
  );
  // As decide runs live: geoip-lite plus the ASN table built from the installed package.
  const networkTable = ensureBundledAsnTable(log);
  const network = AsnTableLocator.fromFile(networkTable);
  results.meta.networkData = `${network.info.source} ${network.info.version ?? ''} (${network.info.dataDate})`.trim();
  const locator = new GeoipLiteLocator(undefined, network);
  const parser = new UaParserDeviceParser();
  const rng = new Rng(config.seed);
  const uas = loadUserAgents();
  const ips = buildIpPool(rng, locator);
  const pop: Population = buildPopulation(rng, config.users, { locator, parser, uas, ips }, Date.now());
  results.meta.uaSource = uas.source;
  results.meta.distinctUas = uas.all.length;
  results.meta.countries = ips.countries.length;
  results.meta.ipv6Addresses = ips.v6.length;
  results.meta.profileBytesMean = Math.round(pop.profileBytesMean);
  results.meta.profileBytesMax = pop.profileBytesMax;
  const deps = { locator, parser, network };

  if (config.sections.has('scoring')) {
    results.scoring = await section('1 scoring', () => Promise.resolve(runScoring(config, pop, network)));
  }
  if (config.sections.has('network')) {
    results.network = await section('1b network lookup', () => Promise.resolve(runNetwork(config, pop, networkTable)));
  }

  const needsDynamo = ['handler', 'http', 'coldStart', 'roundTrips'].some((s) => config.sections.has(s as never));
  let ddb: DynamoDbLocalHandle | undefined;
  try {
    if (needsDynamo) {
      ddb = await section('DynamoDB Local', async () => startDynamoDbLocal({ port: await findFreePort() }));
    }
    const endpoint = ddb?.endpoint;
    if (endpoint && config.sections.has('handler')) {
      results.handler = await section('2 handler vs floor', () => runHandler(config, pop, endpoint, deps, log));
    }
    if (endpoint && config.sections.has('roundTrips')) {
      results.roundTrips = await section('5 DynamoDB round trips and capacity', () =>
        runRoundTrips(config, pop, endpoint, deps),
      );
    }
    if (config.sections.has('coldStart')) {
      results.coldStart = await section('4 cold start', async () => {
        let invoke;
        if (endpoint) {
          const client = new DynamoDBClient(localClientConfig(endpoint));
          try {
            const tables = await createBenchTables(client, 'cold');
            await seedStore(client, tables, pop, deps, Date.now());
            const r = new Rng(config.seed ^ 0xc01d);
            // Not sign-ins: those sign a decision token with a key from Secrets Manager, unreachable here.
            const bodies = Array.from({ length: 2 }, (_, i) => ({
              ...requestFor(r, r.pick(pop.users), pop, i).body,
              action: 'payment.transfer',
              requestId: `cold-${randomUUID()}`,
            }));
            invoke = { endpoint, tables, bodies };
          } finally {
            client.destroy();
          }
        }
        return runColdStart(config, invoke, log, networkTable);
      });
    }
    if (endpoint && config.sections.has('http')) {
      results.http = await section('3 HTTP API under autocannon', () => runHttp(config, pop, endpoint, deps, log));
    }
  } finally {
    await ddb?.stop();
  }
  results.meta.durationSeconds = round((Date.now() - started) / 1000, 1);
  return results;
}

/** Entry of the bundled bench (see bench/launch.ts) and of `stepgate bench --in-process`. */
export async function main(args: string[]): Promise<number> {
  const config = configFromEnv(process.env, parseBenchArgs(args));
  const results = await runBench(config);
  writeJson(config.outFile, results);
  console.log('');
  console.log(formatTable(results));
  console.log('');
  console.log(`results: ${config.outFile} (${results.meta.durationSeconds} s)`);
  return Object.keys(results.errors).length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
