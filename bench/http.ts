import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { findFreePort } from '../lambdas/local/dynamodb-local';
import { startLocalRuntime } from '../lambdas/local/runtime';
import type { DeviceParser } from '../lambdas/ports/device-parser';
import type { GeoLocator } from '../lambdas/ports/geo-locator';
import type { BenchConfig } from './config';
import { requestFor, type Population } from './fixtures';
import { formatProfile, profile, summarizeProfile } from './profile';
import { seedStore } from './seed';
import { Rng, runQueueWaitPct, SchedProbe, summarize } from './stats';

/**
 * Section 3: the local HTTP API (`npm start`'s runtime: gateway emulation with JWT verification, the real decide
 * handler, DynamoDB Local) under autocannon at 1, 4 and 16 connections. The load generator runs on its own worker
 * thread, so it does not share the server's event loop; every request carries a different user's body.
 */
export interface HttpLevelResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Connection errors + timeouts + non-2xx answers. */
  readonly errors: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly timeouts: number;
  readonly seconds: number;
}

export interface HttpResult {
  readonly levels: Readonly<Record<string, HttpLevelResult>>;
  /** Share of the server thread's wall time spent waiting for a CPU during the measured runs. */
  readonly runQueueWaitPct: number;
}

interface WorkerReply {
  readonly error?: string;
  readonly requests: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly durationSeconds: number;
  readonly statusCodes: Record<string, number>;
  readonly firstError?: string;
  readonly firstNon2xx?: string;
  readonly latencies: number[];
}

// Plain JavaScript on purpose: an eval'd worker does not go through tsx, and it needs nothing but autocannon.
// Counts come from autocannon's events, not its result object: off the main thread autocannon skips aggregating
// the result (it expects to be one of its own workers).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const autocannon = require(workerData.autocannonPath);
const { bodies, url, token, connections, seconds } = workerData;
let next = workerData.offset;
const latencies = [];
const statusCodes = {};
let responses = 0;
let non2xx = 0;
let errors = 0;
let firstError;
let firstNon2xx;
const started = process.hrtime.bigint();
const instance = autocannon(
  {
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/decisions',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        onResponse: (status, body) => {
          if ((status < 200 || status >= 300) && firstNon2xx === undefined) firstNon2xx = status + ' ' + String(body).slice(0, 200);
        },
      },
    ],
  },
  (error, result) => {
    parentPort.postMessage({
      error: error ? String(error) : undefined,
      requests: responses,
      errors,
      timeouts: result && typeof result.timeouts === 'number' ? result.timeouts : 0,
      non2xx,
      durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      statusCodes,
      firstError,
      firstNon2xx,
      latencies,
    });
  },
);
instance.on('reqError', (error) => {
  errors++;
  if (firstError === undefined) firstError = String((error && error.message) || error);
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  responses++;
  statusCodes[statusCode] = (statusCodes[statusCode] || 0) + 1;
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  else non2xx++;
});
`;

function load(data: {
  bodies: string[];
  url: string;
  token: string;
  connections: number;
  seconds: number;
  offset: number;
}): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...data, autocannonPath: require.resolve('autocannon') },
    });
    worker.once('message', (reply: WorkerReply) => {
      void worker.terminate();
      if (reply.error) reject(new Error(`autocannon: ${reply.error}`));
      else resolve(reply);
    });
    worker.once('error', reject);
  });
}

async function appToken(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('local-app:local-app-secret').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export async function runHttp(
  config: BenchConfig,
  pop: Population,
  endpoint: string,
  deps: { locator: GeoLocator; parser: DeviceParser },
  log: (line: string) => void,
): Promise<HttpResult> {
  const runtime = await startLocalRuntime({
    port: await findFreePort(),
    dynamoPort: 0,
    dynamoEndpoint: endpoint,
    tablePrefix: `bench-http-${randomUUID().slice(0, 8)}`,
    env: {},
  });
  try {
    await seedStore(runtime.context.dynamo, runtime.context.tables, pop, deps, Date.now());
    const token = await appToken(runtime.url);
    const rng = new Rng(config.seed ^ 0x77e1);
    // Enough distinct bodies that no run repeats one (a repeated requestId would be an idempotent replay).
    const count = Math.max(5000, config.http.seconds * 3000);
    const bodies = Array.from({ length: count }, (_, i) =>
      JSON.stringify(requestFor(rng, rng.pick(pop.users), pop, i).body),
    );
    let offset = 0;
    const levels: Record<string, HttpLevelResult> = {};
    const probe = new SchedProbe();
    let runNs = 0;
    let wait = 0;
    for (const connections of config.http.connections) {
      const warm = await load({
        bodies,
        url: runtime.url,
        token,
        connections,
        seconds: config.http.warmupSeconds,
        offset,
      });
      // Past every body the warm-up could have sent (it reports how many it did).
      offset += warm.requests + warm.errors + connections;
      const before = probe.read();
      const run = () => load({ bodies, url: runtime.url, token, connections, seconds: config.http.seconds, offset });
      let reply: WorkerReply;
      if (config.profileHandler && connections === 4) {
        // The server side (gateway, JWT check, handler, SDK) of the 4-connection run: where its CPU goes.
        const profiled = await profile(run);
        reply = profiled.result;
        log(formatProfile(summarizeProfile(profiled.profile, 25), '  CPU profile of the server, 4 connections'));
      } else reply = await run();
      const after = probe.read();
      if (before && after) {
        runNs += after[0] - before[0];
        wait += after[1] - before[1];
      }
      offset += reply.requests + reply.errors + connections;
      const lat = summarize(reply.latencies);
      const errors = reply.errors + reply.timeouts + reply.non2xx;
      levels[`c${connections}`] = {
        rps: reply.requests / Math.max(0.001, reply.durationSeconds),
        p50Ms: lat.p50,
        p99Ms: lat.p99,
        errors,
        requests: reply.requests,
        non2xx: reply.non2xx,
        timeouts: reply.timeouts,
        seconds: reply.durationSeconds,
      };
      if (errors > 0) {
        log(
          `  ${connections} connections: status ${JSON.stringify(reply.statusCodes)}; first error: ` +
            `${reply.firstError ?? '-'}; first non-2xx: ${reply.firstNon2xx ?? '-'}`,
        );
      }
      log(
        `  ${String(connections).padStart(2)} connections: ${levels[`c${connections}`]?.rps.toFixed(0)} req/s, ` +
          `p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, ${errors} errors`,
      );
    }
    probe.close();
    return { levels, runQueueWaitPct: runNs + wait > 0 ? runQueueWaitPct([0, 0, 0], [runNs, wait, 0]) : NaN };
  } finally {
    // autocannon stops on time with requests in flight; let the server finish them before the client goes away.
    await new Promise((r) => setTimeout(r, 1000));
    await runtime.stop();
  }
}
