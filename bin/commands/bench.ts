import type * as BenchConfig from '../../bench/config';
import type * as BenchLaunch from '../../bench/launch';
import type * as BenchRun from '../../bench/run';
import { CliError, type Command } from '../cli';

/**
 * `stepgate bench` (`npm run bench`): measures the budgets of docs/performance.md and writes bench/results.json. Kept to
 * a thin shim: `stepgate --help` loads every command for its summary, and the bench pulls in geoip-lite,
 * esbuild and autocannon only when it actually runs.
 */
export const benchCommand: Command = {
  summary: 'measure the performance budgets (scoring, handler vs floor, HTTP, cold start, DynamoDB cost)',
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  usage: () => (require('../../bench/config') as typeof BenchConfig).BENCH_USAGE,
  async run(args) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { configFromEnv, parseBenchArgs } = require('../../bench/config') as typeof BenchConfig;
    // `--in-process` measures under tsx (for debugging the bench itself); the default runs it from a bundle.
    const inProcess = args.includes('--in-process');
    const rest = args.filter((a) => a !== '--in-process');
    try {
      configFromEnv(process.env, parseBenchArgs(rest));
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
    if (inProcess) return (require('../../bench/run') as typeof BenchRun).main(rest);
    return (require('../../bench/launch') as typeof BenchLaunch).launchBundledBench(rest);
    /* eslint-enable @typescript-eslint/no-require-imports */
  },
};
