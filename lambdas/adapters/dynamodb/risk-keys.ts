import { createHash } from 'node:crypto';

/**
 * Key layout of the risk table, in one place. Velocity uses fixed buckets read as a weighted sliding window:
 * count ≈ current + previous × (1 − elapsed fraction of the current bucket), so a counter is one item per bucket
 * (atomic ADD, TTL after two windows) and a read is two keys.
 */
export const MINUTE = 60_000;
export const TEN_MINUTES = 10 * MINUTE;
export const HOUR = 60 * MINUTE;

export const keys = {
  profile: (userId: string) => ({ pk: `USER#${userId}`, sk: 'PROFILE' }),
  decision: (decisionId: string) => ({ pk: `DECISION#${decisionId}`, sk: 'DECISION' }),
  request: (idempotencyKey: string) => ({ pk: `REQ#${idempotencyKey}`, sk: 'REQ' }),
  stepUp: (stepUpId: string) => ({ pk: `STEPUP#${stepUpId}`, sk: 'STEPUP' }),
  userRequests: (userId: string, bucket: number) => ({ pk: `VEL#U#${userId}`, sk: `M#${bucket}` }),
  ipRequests: (ip: string, bucket: number) => ({ pk: `VEL#IP#${ip}`, sk: `M#${bucket}` }),
  ipUsers: (ip: string, bucket: number) => ({ pk: `VEL#IPU#${ip}`, sk: `T#${bucket}` }),
  userFailures: (userId: string, bucket: number) => ({ pk: `VEL#UF#${userId}`, sk: `H#${bucket}` }),
  global: (level: string, value: string) => ({ pk: `GLOBAL#${level}#${value}`, sk: 'COUNT' }),
  globalTotal: () => ({ pk: 'GLOBAL#TOTAL', sk: 'COUNT' }),
};

export function bucketOf(now: number, width: number): number {
  return Math.floor(now / width);
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
