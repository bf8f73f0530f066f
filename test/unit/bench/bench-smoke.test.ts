import { configFromEnv } from '../../../bench/config';
import { buildIpPool, buildPopulation, loadUserAgents } from '../../../bench/fixtures';
import { formatTable, toJson, type BenchResults } from '../../../bench/report';
import { runScoring } from '../../../bench/scoring';
import { Rng } from '../../../bench/stats';
import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../../../lambdas/adapters/ua-parser-device-parser';

// A smoke test of the bench's plumbing only: tiny sample counts, and no thresholds (timing belongs to
// `npm run bench`, never to a test on a shared machine).
describe('bench scoring section (quick)', () => {
  it('runs and reports every scoring key of bench/results.json as a number', () => {
    const config = configFromEnv({
      BENCH_QUICK: '1',
      BENCH_USERS: '30',
      BENCH_SCORING_WARMUP: '100',
      BENCH_SCORING_SAMPLES: '200',
      BENCH_SCORING_THROUGHPUT: '200',
    });
    const locator = new GeoipLiteLocator();
    const parser = new UaParserDeviceParser();
    const rng = new Rng(config.seed);
    const uas = loadUserAgents();
    const ips = buildIpPool(rng, locator);
    const pop = buildPopulation(rng, config.users, { locator, parser, uas, ips }, Date.now());
    const results: BenchResults = { meta: { quick: true }, scoring: runScoring(config, pop), errors: {} };

    const json = toJson(results) as { scoring: Record<string, unknown> };
    for (const key of ['cachedP50Us', 'cachedP99Us', 'uncachedP50Us', 'uncachedP99Us', 'decisionsPerSec']) {
      expect(typeof json.scoring[key]).toBe('number');
      expect(json.scoring[key]).toBeGreaterThan(0);
    }
    expect(formatTable(results)).toContain('1 scoring');
  }, 60_000);
});
