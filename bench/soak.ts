/**
 * `npm run soak`: the load test of test/reliability/load.test.ts for minutes instead of seconds, against a local
 * runtime of its own (its own in-memory DynamoDB Local, like `npm start`). Prints a progress line per window and a
 * summary, writes the summary as JSON, and exits 1 if any rule was broken (a 5xx, a dropped request, a fail-closed
 * answer on a healthy store, a legit user not allowed, stuffing past the threshold not caught, a lost record).
 *
 * Familiar users send at most one request per 10 s each (see TrafficOptions.legitIntervalMs), so their share of
 * the traffic is bounded by SOAK_LEGIT_USERS; stuffing fills the rest of the concurrency.
 *
 * Settings (environment): SOAK_SECONDS (180), SOAK_CONCURRENCY (16), SOAK_LEGIT_USERS (64), SOAK_STUFFING_IPS (3),
 * SOAK_STUFFING_SHARE (0.5), SOAK_WINDOW_SECONDS (30), SOAK_OUT (.stepgate/soak-summary.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defaultPolicy } from '../lambdas/core/policy/default-policy';
import { findFreePort } from '../lambdas/local/dynamodb-local';
import { startLocalRuntime, type LocalRuntime } from '../lambdas/local/runtime';
import {
  auditedDecisionIds,
  establish,
  legitUsers,
  runTraffic,
  storedDecisionIds,
  type WindowReport,
} from '../test/reliability/traffic';

function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
  return n;
}

async function main(): Promise<number> {
  const seconds = setting('SOAK_SECONDS', 180, 5, 24 * 3600);
  const concurrency = Math.round(setting('SOAK_CONCURRENCY', 16, 1, 256));
  const legitCount = Math.round(setting('SOAK_LEGIT_USERS', 64, 1, 10_000));
  const ipCount = Math.round(setting('SOAK_STUFFING_IPS', 3, 0, 200));
  const share = setting('SOAK_STUFFING_SHARE', 0.5, 0, 1);
  const windowSeconds = setting('SOAK_WINDOW_SECONDS', 30, 1, 3600);
  const out = resolve(process.env.SOAK_OUT ?? '.stepgate/soak-summary.json');
  const threshold = defaultPolicy.weights.velocity.ipManyUsers.threshold;
  // 81.2.69.0/24 is a GB network geoip-lite locates; one address per stuffing source.
  const stuffingIps = Array.from({ length: ipCount }, (_, i) => `81.2.69.${100 + i}`);

  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log(
    `soak: ${seconds} s, ${concurrency} in flight, ${legitCount} familiar users, ${ipCount} stuffing IPs at ${share * 100}% of traffic`,
  );
  const runtime: LocalRuntime = await startLocalRuntime({
    port: await findFreePort(),
    dynamoPort: await findFreePort(),
    env: {},
  });
  console.log(`local runtime ${runtime.url}, DynamoDB Local pid ${runtime.dynamoPid ?? '?'}`);
  const stop = () => {
    void runtime.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const { issuer, identities } = runtime.context;
  const mint = () =>
    issuer.clientCredentials(identities.appClient, identities.appClient.allowedScopes, Math.floor(Date.now() / 1000));
  let token = await mint();
  // Tokens live an hour; a long soak renews them like an app backend would.
  const renew = setInterval(() => void mint().then((t) => (token = t)), 20 * 60_000);
  const rssStart = process.memoryUsage().rss;
  let rssMax = rssStart;
  const windows: WindowReport[] = [];

  try {
    const users = legitUsers(legitCount, 'soak');
    console.log(`establishing ${users.length} familiar users (3 sign-ins each) ...`);
    // Set-up, not the load under test: a few at a time.
    const established = await establish(runtime.url, () => token, users, Math.min(concurrency, 4));
    console.log('window   requests  req/s   5xx  errors   p50 ms   p99 ms   rss MB  heap MB');
    const report = await runTraffic({
      baseUrl: runtime.url,
      token: () => token,
      durationMs: seconds * 1000,
      concurrency,
      legit: users,
      stuffingIps,
      stuffingShare: share,
      threshold,
      label: `soak${Date.now()}`,
      windowMs: windowSeconds * 1000,
      onWindow: (w) => {
        windows.push(w);
        rssMax = Math.max(rssMax, w.rssMb * 1048576);
        const cells = [
          `${Math.round(w.endedAtMs / 1000)}s`.padStart(6),
          String(w.requests).padStart(10),
          (w.requests / Math.max(1, w.lengthMs / 1000)).toFixed(1).padStart(6),
          String(w.fiveXx).padStart(5),
          String(w.errors).padStart(7),
          w.p50.toFixed(0).padStart(8),
          w.p99.toFixed(0).padStart(8),
          String(w.rssMb).padStart(8),
          String(w.heapMb).padStart(8),
        ];
        console.log(cells.join(' '));
      },
    });

    const stored = await storedDecisionIds(runtime.context.dynamo, runtime.context.tables);
    const lost = report.decisionIds.filter((id) => !stored.has(id));
    const audited = await auditedDecisionIds(runtime.context.dynamo, runtime.context.tables);
    const { decisionIds, ...figures } = report;
    const summary = {
      settings: { seconds, concurrency, legitUsers: legitCount, stuffingIps: ipCount, stuffingShare: share, threshold },
      established,
      ...figures,
      records: {
        decided: decisionIds.length,
        stored: stored.size - established,
        lost: lost.length,
        auditedDecisions: audited.length,
      },
      memory: { rssStartMb: Math.round(rssStart / 1048576), rssMaxMb: Math.round(rssMax / 1048576) },
      windows,
      finishedAt: new Date().toISOString(),
    };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);

    const violations: string[] = [];
    if (report.fiveXx > 0) violations.push(`${report.fiveXx} answers were 5xx`);
    if (report.errors > 0) violations.push(`${report.errors} requests got no answer`);
    if (report.failedClosed > 0) violations.push(`${report.failedClosed} answers failed closed on a healthy store`);
    if (report.legit.allowed !== report.legit.requests)
      violations.push(`${report.legit.requests - report.legit.allowed} familiar sign-ins were not allowed`);
    if (report.stuffing.afterThresholdCaught !== report.stuffing.afterThreshold)
      violations.push(
        `${report.stuffing.afterThreshold - report.stuffing.afterThresholdCaught} stuffing attempts slipped`,
      );
    if (lost.length > 0) violations.push(`${lost.length} answered decisions have no stored record`);
    if (stored.size !== established + decisionIds.length)
      violations.push(`stored ${stored.size} decisions for ${established + decisionIds.length} answered`);
    // Decision audit records: one per decided answer once the wiring audits decisions (none before that).
    const expectedAudit = established + decisionIds.length;
    if (audited.length > 0 && (audited.length !== expectedAudit || new Set(audited).size !== audited.length))
      violations.push(`${audited.length} decision audit records for ${expectedAudit} decisions`);

    console.log(
      [
        '',
        `requests sent      ${report.sent} in ${(report.durationMs / 1000).toFixed(0)} s (${report.throughput} req/s)`,
        `statuses           ${JSON.stringify(report.byStatus)}; 5xx ${report.fiveXx}; no answer ${report.errors}`,
        `latency ms         p50 ${report.latencyMs.p50}  p95 ${report.latencyMs.p95}  p99 ${report.latencyMs.p99}  max ${report.latencyMs.max}`,
        `familiar users     ${report.legit.allowed}/${report.legit.requests} allowed`,
        `stuffing           ${report.stuffing.requests} attempts; ${report.stuffing.afterThresholdCaught}/${report.stuffing.afterThreshold} past the threshold caught (velocity.ip_many_users, not allowed)`,
        `failed closed      ${report.failedClosed}`,
        `records            ${decisionIds.length} decided, ${lost.length} lost; decision audit records ${audited.length} for ${established + decisionIds.length} decisions (establishing included)`,
        `memory (rss)       ${summary.memory.rssStartMb} MB at start, ${summary.memory.rssMaxMb} MB max`,
        `summary written to ${out}`,
        violations.length === 0 ? 'soak: OK' : `soak: FAILED\n  - ${violations.join('\n  - ')}`,
      ].join('\n'),
    );
    for (const line of [...report.legit.wrongDecisions, ...report.stuffing.misses].slice(0, 10))
      console.log(`  ${line}`);
    return violations.length === 0 ? 0 : 1;
  } finally {
    clearInterval(renew);
    await runtime.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${(error as Error).message}`);
    process.exit(2);
  },
);
