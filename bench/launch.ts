import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';
import { REPO_ROOT } from './config';

/**
 * Runs the bench from an esbuild bundle rather than under tsx: tsx compiles with `keepNames`, which wraps every
 * function and class the engine creates in a `__name(...)` call and made `evaluate` ~25 % slower in this
 * benchmark, a cost the deployed Lambda (an esbuild bundle without keepNames) never pays. npm packages stay
 * external and resolve from the repository's node_modules, exactly the code the tests run.
 */
export async function launchBundledBench(args: readonly string[]): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof Esbuild;
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-run-'));
  try {
    const outfile = join(dir, 'bench.js');
    await esbuild.build({
      entryPoints: [join(REPO_ROOT, 'bench', 'run.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile,
      logLevel: 'error',
    });
    const child = spawn(process.execPath, [outfile, ...args], {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_PATH: join(REPO_ROOT, 'node_modules'),
        STEPGATE_BENCH_ROOT: REPO_ROOT,
        STEPGATE_BENCH_RUNNER: 'esbuild bundle',
      },
    });
    // Ctrl-C reaches the child through the terminal's process group; the parent only waits for it to finish.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    try {
      return await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      });
    } finally {
      process.off('SIGINT', ignore);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
