import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item } from './item';

/**
 * Every lifetime DynamoDB's TTL enforces on the risk table, in epoch seconds (the unit of the table's TTL
 * attribute, `expiresAt`), named once. TTL deletes lazily (up to days later), so readers also drop items whose
 * `expiresAt` has passed (`isLive`).
 */
const MINUTE = 60;
const HOUR = 60 * MINUTE;
export const DAY_SECONDS = 24 * HOUR;

export const TTL_SECONDS = {
  /** A user's hour bucket is read as the previous hour for another hour, then gone. */
  userVelocity: 3 * HOUR,
  /** An address's ten-minute bucket is read as the previous bucket for ten minutes, then gone. */
  addressVelocity: 30 * MINUTE,
  /** Population counts (how many users trust a value) fade out with the users they counted. */
  population: 400 * DAY_SECONDS,
  /** How long a request id replays its first answer. */
  idempotency: DAY_SECONDS,
  /** Pending step-ups live this long past their own expiry so late verifications still find (and reject) them. */
  stepUpGrace: HOUR,
  /** Used and expired challenges stay readable this long (for investigations). */
  challengeRetention: DAY_SECONDS,
  /** A failure budget outlives its window by this much. */
  failureBudgetGrace: HOUR,
  /** A pending TOTP enrolment outlives its confirmation deadline by this much. */
  pendingTotpGrace: HOUR,
  /** A removed authenticator's item (its secret already erased) stays this long for investigations. */
  removedTotp: 30 * DAY_SECONDS,
  /** Session approvals are read within seconds of being written; kept a little longer for investigations. */
  approval: HOUR,
} as const;

export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The `expiresAt` value for an item that lives `ttlSeconds` from `fromMs` (epoch ms). */
export function expiresAt(fromMs: number, ttlSeconds: number): AttributeValue {
  return { N: String(epochSeconds(fromMs) + ttlSeconds) };
}

/** Whether an item is still there for readers at `nowMs`: no `expiresAt`, or one still ahead. */
export function isLive(item: Item, nowMs: number): boolean {
  const ttl = item.expiresAt?.N;
  return ttl === undefined || Number(ttl) > epochSeconds(nowMs);
}

/** The item while live at `nowMs`, undefined when absent or expired. */
export function live(item: Item | undefined, nowMs: number): Item | undefined {
  return item && isLive(item, nowMs) ? item : undefined;
}
