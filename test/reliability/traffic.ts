import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableNames } from '../../lambdas/contracts/tables';

/**
 * Mixed traffic for the load test and `npm run soak`: familiar users signing in from their usual context, and
 * credential stuffing (one IP, many usernames) from a few IPs, with a bounded number of requests in flight. Every
 * answer is checked against the rule it exercises, so a run reports violations, not just latencies.
 */

export interface LegitUser {
  readonly userId: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly deviceId: string;
}

export interface TrafficOptions {
  readonly baseUrl: string;
  /** Current bearer token; called before every request so a long run can refresh it. */
  readonly token: () => string;
  /** Runs at least this long, then until `until()` holds (or `maxDurationMs` passes). */
  readonly durationMs: number;
  readonly maxDurationMs?: number;
  /** Extra stop condition, e.g. "every stuffing IP is past the threshold" on a slow machine. */
  readonly until?: (progress: { readonly answeredPerIp: ReadonlyMap<string, number> }) => boolean;
  /** Requests in flight at once (≤ 16 on the shared 2-core machines). */
  readonly concurrency: number;
  readonly legit: readonly LegitUser[];
  readonly stuffingIps: readonly string[];
  /** Share of requests that are credential stuffing, 0..1 (more when no familiar user is due). */
  readonly stuffingShare: number;
  /**
   * Least time between two requests of one familiar user. People do not sign in ten times a minute, and the
   * policy's velocity.user_burst rightly adds friction when they do; the default (10 s) keeps a user, its three
   * establishing sign-ins included, under that rule's 10-per-minute threshold.
   */
  readonly legitIntervalMs?: number;
  /** The policy's velocity.ipManyUsers threshold: distinct users per IP before the rule must fire. */
  readonly threshold: number;
  readonly label?: string;
  /** Called every `windowMs` with the window's figures (soak progress). */
  readonly onWindow?: (window: WindowReport) => void;
  readonly windowMs?: number;
}

export interface WindowReport {
  readonly endedAtMs: number;
  /** Length of this window (the last one may be shorter). */
  readonly lengthMs: number;
  readonly requests: number;
  readonly fiveXx: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly rssMb: number;
  readonly heapMb: number;
}

export interface TrafficReport {
  readonly sent: number;
  readonly byStatus: Record<string, number>;
  readonly fiveXx: number;
  /** Network-level failures (no HTTP answer at all). */
  readonly errors: number;
  readonly failedClosed: number;
  readonly legit: { readonly requests: number; readonly allowed: number; readonly wrongDecisions: string[] };
  readonly stuffing: {
    readonly requests: number;
    /** Requests sent after ≥ threshold distinct users from that IP had been answered. */
    readonly afterThreshold: number;
    readonly afterThresholdCaught: number;
    readonly misses: string[];
  };
  /** decisionId of every 200 that was really decided (not failed closed): each must have a stored record. */
  readonly decisionIds: string[];
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly durationMs: number;
  readonly throughput: number;
}

export const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
export const FIREFOX_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

/** Familiar users, each with a home address of their own (so legit traffic never shares an IP with stuffing). */
export function legitUsers(count: number, salt: string): LegitUser[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: `legit-${salt}-${i}@example.com`,
    // 12.0.0.0/8 is a US network geoip-lite locates; one /24 per user.
    ip: `12.45.${10 + Math.floor(i / 200)}.${20 + (i % 200)}`,
    userAgent: CHROME_MAC,
    deviceId: `device-${salt}-${i}`,
  }));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are arbitrary JSON, checked field by field
  readonly body: any;
}

async function post(baseUrl: string, token: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${baseUrl}/v1/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

function codes(body: unknown): string[] {
  const reasons = (body as { reasons?: unknown } | undefined)?.reasons;
  return Array.isArray(reasons) ? reasons.map((r) => String((r as { code?: unknown }).code)) : [];
}

/** Gives each user three trusted sign-ins from their usual context (the policy's new-user rule needs three). */
export async function establish(
  baseUrl: string,
  token: () => string,
  users: readonly LegitUser[],
  concurrency: number,
) {
  let next = 0;
  let sent = 0;
  const worker = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const u = users[i]!;
      for (let round = 0; round < 3; round++) {
        const answer = await post(baseUrl, token(), {
          userId: u.userId,
          action: 'auth.sign_in',
          context: { ip: u.ip, userAgent: u.userAgent, deviceId: u.deviceId },
        });
        sent++;
        if (
          answer.status !== 200 ||
          answer.body.decision !== 'allow' ||
          codes(answer.body).includes('store.unavailable')
        ) {
          throw new Error(
            `establishing ${u.userId} failed: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
          );
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
  return sent;
}

/**
 * Runs the mix for `durationMs`. Legit users have at most one request in flight each (a person signs in once at a
 * time); stuffing uses a fresh username every time. Expectations checked per answer:
 * - legit: 200 and `allow` (their action is `auth.sign_in` or `profile.view`), never `velocity.ip_many_users`;
 * - stuffing sent after ≥ threshold distinct users from its IP were answered: `velocity.ip_many_users` and not allow.
 */
export async function runTraffic(options: TrafficOptions): Promise<TrafficReport> {
  const label = options.label ?? 'run';
  const started = Date.now();
  const deadline = started + options.durationMs;
  const hardDeadline = started + Math.max(options.durationMs, options.maxDurationMs ?? options.durationMs);
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const decisionIds: string[] = [];
  const wrongDecisions: string[] = [];
  const misses: string[] = [];
  const answeredPerIp = new Map<string, number>();
  const busy = new Set<string>();
  const lastSent = new Map<string, number>();
  const interval = options.legitIntervalMs ?? 10_000;
  // Staggered first requests, so familiar users do not all arrive in the first second.
  for (const u of options.legit) lastSent.set(u.userId, started - Math.random() * interval);
  let sent = 0;
  let fiveXx = 0;
  let errors = 0;
  let failedClosed = 0;
  let legitRequests = 0;
  let legitAllowed = 0;
  let stuffingRequests = 0;
  let afterThreshold = 0;
  let afterThresholdCaught = 0;
  let stuffingSerial = 0;
  // Per-window figures for the soak's progress lines.
  let window = { startedAt: started, requests: 0, fiveXx: 0, errors: 0, latencies: [] as number[] };
  let windowTimer: NodeJS.Timeout | undefined;
  const flushWindow = () => {
    const sorted = [...window.latencies].sort((a, b) => a - b);
    const mem = process.memoryUsage();
    const now = Date.now();
    options.onWindow?.({
      endedAtMs: now - started,
      lengthMs: now - window.startedAt,
      requests: window.requests,
      fiveXx: window.fiveXx,
      errors: window.errors,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      rssMb: Math.round(mem.rss / 1048576),
      heapMb: Math.round(mem.heapUsed / 1048576),
    });
    window = { startedAt: now, requests: 0, fiveXx: 0, errors: 0, latencies: [] };
  };
  if (options.onWindow) windowTimer = setInterval(flushWindow, options.windowMs ?? 30_000);

  const due = (u: LegitUser, now: number) => !busy.has(u.userId) && now - lastSent.get(u.userId)! >= interval;
  let cursor = 0;
  const pickLegit = (): LegitUser | undefined => {
    const now = Date.now();
    for (let n = 0; n < options.legit.length; n++) {
      const u = options.legit[(cursor + n) % options.legit.length]!;
      if (due(u, now)) {
        cursor = (cursor + n + 1) % options.legit.length;
        return u;
      }
    }
    return undefined;
  };

  const one = async (): Promise<void> => {
    const wantsLegit = options.stuffingIps.length === 0 || Math.random() >= options.stuffingShare;
    const legit = wantsLegit ? pickLegit() : undefined;
    if (!legit && options.stuffingIps.length === 0) {
      // Nobody is due and there is no attack to send: wait a little instead of spinning.
      await new Promise((r) => setTimeout(r, 50));
      return;
    }
    let body: Record<string, unknown>;
    let ip: string;
    let answeredBefore = 0;
    if (legit) {
      busy.add(legit.userId);
      lastSent.set(legit.userId, Date.now());
      ip = legit.ip;
      body = {
        userId: legit.userId,
        action: Math.random() < 0.75 ? 'auth.sign_in' : 'profile.view',
        context: { ip: legit.ip, userAgent: legit.userAgent, deviceId: legit.deviceId },
      };
    } else {
      const serial = stuffingSerial++;
      ip = options.stuffingIps[serial % options.stuffingIps.length]!;
      answeredBefore = answeredPerIp.get(ip) ?? 0;
      body = {
        userId: `victim-${label}-${serial}@example.com`,
        action: 'auth.sign_in',
        context: { ip, userAgent: FIREFOX_WIN },
      };
    }
    const t0 = performance.now();
    sent++;
    window.requests++;
    let answer: Answer;
    try {
      answer = await post(options.baseUrl, options.token(), body);
    } catch (error) {
      errors++;
      window.errors++;
      if (legit) busy.delete(legit.userId);
      if (errors <= 3) console.error(`${label}: request failed without an answer: ${(error as Error).message}`);
      return;
    }
    const ms = performance.now() - t0;
    latencies.push(ms);
    window.latencies.push(ms);
    byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
    if (answer.status >= 500) {
      fiveXx++;
      window.fiveXx++;
    }
    const reasons = codes(answer.body);
    // Failed-closed answers carry no stored decision (store down, or the decision could not be recorded).
    const closed = reasons.includes('store.unavailable') || reasons.includes('decision.unrecorded');
    if (closed) failedClosed++;
    if (answer.status === 200 && !closed && typeof answer.body.decisionId === 'string') {
      decisionIds.push(answer.body.decisionId);
    }
    if (legit) {
      busy.delete(legit.userId);
      legitRequests++;
      if (answer.status === 200 && answer.body.decision === 'allow' && !reasons.includes('velocity.ip_many_users')) {
        legitAllowed++;
      } else if (wrongDecisions.length < 20) {
        wrongDecisions.push(
          `${legit.userId} ${String(body.action)}: ${answer.status} ${answer.body?.decision} [${reasons.join(',')}]`,
        );
      }
    } else {
      stuffingRequests++;
      if (answer.status === 200) answeredPerIp.set(ip, (answeredPerIp.get(ip) ?? 0) + 1);
      if (answeredBefore >= options.threshold) {
        afterThreshold++;
        if (answer.status === 200 && answer.body.decision !== 'allow' && reasons.includes('velocity.ip_many_users')) {
          afterThresholdCaught++;
        } else if (misses.length < 20) {
          misses.push(
            `${ip} after ${answeredBefore} users: ${answer.status} ${answer.body?.decision} [${reasons.join(',')}]`,
          );
        }
      }
    }
  };

  const more = () => {
    const now = Date.now();
    if (now >= hardDeadline) return false;
    return now < deadline || (options.until !== undefined && !options.until({ answeredPerIp }));
  };
  const worker = async () => {
    while (more()) await one();
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    if (windowTimer) clearInterval(windowTimer);
  }
  // The last, partial window.
  if (options.onWindow && window.requests > 0) flushWindow();
  const durationMs = Date.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    sent,
    byStatus,
    fiveXx,
    errors,
    failedClosed,
    legit: { requests: legitRequests, allowed: legitAllowed, wrongDecisions },
    stuffing: { requests: stuffingRequests, afterThreshold, afterThresholdCaught, misses },
    decisionIds,
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[sorted.length - 1] ?? 0),
    },
    durationMs,
    throughput: round((sent / durationMs) * 1000),
  };
}

/** Decision records (`DECISION#<id>`) in the risk table: the history every decided 200 must have left behind. */
export async function storedDecisionIds(dynamo: DynamoDBClient, tables: TableNames): Promise<Set<string>> {
  const ids = new Set<string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: tables.risk,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'DECISION#' } },
        ProjectionExpression: 'decisionId',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) if (item.decisionId?.S) ids.add(item.decisionId.S);
    start = out.LastEvaluatedKey;
  } while (start);
  return ids;
}

/** decisionId of every audit record of kind `decision` in the audit table (duplicates kept, to be counted). */
export async function auditedDecisionIds(dynamo: DynamoDBClient, tables: TableNames): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await dynamo.send(new ScanCommand({ TableName: tables.audit, ExclusiveStartKey: start }));
    for (const item of out.Items ?? []) {
      const event = item.event?.M;
      // eventId is `decision:<decisionId>` (lambdas/composition/decide.ts decisionAuditEvent).
      if (event?.kind?.S === 'decision') ids.push((event.eventId?.S ?? '').replace(/^decision:/, ''));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return ids;
}
