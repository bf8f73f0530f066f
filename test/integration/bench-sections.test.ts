import { configFromEnv } from '../../bench/config';
import { buildIpPool, buildPopulation, loadUserAgents } from '../../bench/fixtures';
import { runHandler } from '../../bench/handler';
import { runRoundTrips } from '../../bench/round-trips';
import { Rng } from '../../bench/stats';
import { GeoipLiteLocator } from '../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../lambdas/adapters/ua-parser-device-parser';
import { testDynamoEndpoint } from '../support/dynamodb';

// The bench's DynamoDB sections on tiny samples against the suite's DynamoDB Local: the plumbing (floor replay,
// request capture, cost model) and what it must observe, never a timing (that belongs to `npm run bench`).
describe('bench handler and DynamoDB-cost sections (quick)', () => {
  const config = configFromEnv({
    BENCH_QUICK: '1',
    BENCH_USERS: '30',
    BENCH_HANDLER_WARMUP: '3',
    BENCH_HANDLER_SAMPLES: '6',
    BENCH_ROUND_TRIP_SAMPLES: '2',
  });
  const locator = new GeoipLiteLocator();
  const parser = new UaParserDeviceParser();
  const rng = new Rng(config.seed);
  const pop = buildPopulation(
    rng,
    config.users,
    { locator, parser, uas: loadUserAgents(), ips: buildIpPool(rng, locator) },
    Date.now(),
  );

  it('replays each decision as its floor and leaves no work after the response', async () => {
    const r = await runHandler(config, pop, testDynamoEndpoint(), { locator, parser }, () => undefined);
    expect(r.samples).toBe(6);
    expect(r.non200).toBe(0);
    expect(r.floorErrors).toBe(0);
    expect(r.workAfterResponse).toBe(0);
    // Every decision counts itself in two velocity items and reads one batch.
    expect(r.counterUpdatesMean).toBeGreaterThanOrEqual(2);
    expect(r.readKeysMean).toBeGreaterThanOrEqual(12);
    for (const key of ['p50Ms', 'floorP50Ms', 'readTransactP50Ms', 'ratioToFloor', 'ratioToReadTransact'] as const) {
      expect(r[key]).toBeGreaterThan(0);
    }
  }, 120_000);

  it('counts one read and one write round trip and the requests of each scenario', async () => {
    const r = await runRoundTrips(config, pop, testDynamoEndpoint(), { locator, parser });
    expect({ reads: r.reads, writes: r.writes }).toEqual({ reads: 1, writes: 1 });
    const familiar = r.scenarios.allowTeaches;
    expect({
      batchGets: familiar.batchGets,
      transactions: familiar.transactions,
      updates: familiar.updateItems,
    }).toEqual({ batchGets: 1, transactions: 1, updates: 2 });
    // The model (item sizes, projections) and DynamoDB Local's own consumed capacity agree on writes.
    for (const s of Object.values(r.scenarios)) expect(Math.abs(s.wcuComputed - s.wcuReturned)).toBeLessThanOrEqual(1);
  }, 120_000);
});
