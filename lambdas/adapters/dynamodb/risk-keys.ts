import { createHash } from 'node:crypto';

/**
 * Key layout of the risk table, in one place. Velocity uses fixed buckets read as a weighted sliding window:
 * count ≈ current + previous × (1 − elapsed fraction of the current bucket). A user's and an IP's counters each
 * live in one item per bucket (atomic ADDs, TTL after the window is gone), so a decision sends one counter
 * update per subject and reads two items per subject (current and previous bucket):
 * - `VEL#U#<user>` / `H#<hour>`: requests per minute (`m0` … `m59`), failed sign-ins and failed step-ups;
 * - `VEL#IP#<ip>` / `T#<ten minutes>`: requests per minute (`m0` … `m9`) and the set of users served;
 * - `VEL#NET#<IPv6 /64>` / `T#<ten minutes>`: the same for a native IPv6 client's /64 (one more update per decision).
 * Address and network subjects are keyed pseudonyms (`VelocityKeys`), never raw addresses.
 */
export const MINUTE = 60_000;
export const TEN_MINUTES = 10 * MINUTE;
export const HOUR = 60 * MINUTE;

export const keys = {
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  decision: (decisionId: string) => ({ pk: `DECISION#${decisionId}`, sk: 'DECISION' }),
  request: (idempotencyKey: string) => ({ pk: `REQ#${idempotencyKey}`, sk: 'REQ' }),
  stepUp: (stepUpId: string) => ({ pk: `STEPUP#${stepUpId}`, sk: 'STEPUP' }),
  userVelocity: (userId: string, hour: number) => ({ pk: `VEL#U#${userId}`, sk: `H#${hour}` }),
  ipVelocity: (ip: string, tenMinutes: number) => ({ pk: `VEL#IP#${ip}`, sk: `T#${tenMinutes}` }),
  networkVelocity: (network: string, tenMinutes: number) => ({ pk: `VEL#NET#${network}`, sk: `T#${tenMinutes}` }),
  global: (level: string, value: string) => ({ pk: `GLOBAL#${level}#${value}`, sk: 'COUNT' }),
  globalTotal: () => ({ pk: 'GLOBAL#TOTAL', sk: 'COUNT' }),
};

export function bucketOf(now: number, width: number): number {
  return Math.floor(now / width);
}

/**
 * Where the request count of the minute containing `at` lives: attribute `m<minute within the bucket>` of the
 * item of the enclosing `width` bucket.
 */
export function minuteSlot(at: number, width: number): { bucket: number; attribute: string } {
  const bucket = bucketOf(at, width);
  return { bucket, attribute: `m${bucketOf(at, MINUTE) - bucket * (width / MINUTE)}` };
}

/** Weighted sliding-window estimate from the current and previous bucket counts. */
export function slidingCount(current: number, previous: number, now: number, width: number): number {
  const elapsed = (now % width) / width;
  return Math.round(current + previous * (1 - elapsed));
}

/** Short stable member id for the distinct-users-per-IP sets: keeps set items small and user ids out of them. */
export function memberId(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 12);
}
