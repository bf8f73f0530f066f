import { createHash } from 'node:crypto';
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { VelocityCounts } from '../../../core/risk/types';
import type { FailureKind, VelocityKeys } from '../../../ports/decision-store';
import { keyAttributes, n, numberAttribute, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * Velocity counters. Fixed buckets read as a weighted sliding window: count ≈ current + previous × (1 − elapsed
 * fraction of the current bucket). A user's and an address's counters each live in one item per bucket (atomic
 * ADDs, TTL after the window is gone), so a decision sends one counter update per subject and reads two items per
 * subject (current and previous bucket):
 * - `VEL#U#<user>` / `H#<hour>`: requests per minute (`m0` … `m59`), failed sign-ins (`signIns`) and failed
 *   step-ups (`stepUps`);
 * - `VEL#IP#<ip>` / `T#<ten minutes>`: requests per minute (`m0` … `m9`) and the set of users served (`users`);
 * - `VEL#NET#<IPv6 /64>` / `T#<ten minutes>`: the same for a native IPv6 client's /64.
 * Address and network subjects are keyed pseudonyms (`VelocityKeys`), never raw addresses. Counters live on the
 * server clock: a client's back-dated context.timestamp must not put its requests in buckets nobody reads.
 */
export const MINUTE = 60_000;
export const TEN_MINUTES = 10 * MINUTE;
export const HOUR = 60 * MINUTE;

export const velocityKeys = {
  user: (userId: string, hour: number): ItemKey => ({ pk: `VEL#U#${userId}`, sk: `H#${hour}` }),
  ip: (ip: string, tenMinutes: number): ItemKey => ({ pk: `VEL#IP#${ip}`, sk: `T#${tenMinutes}` }),
  network: (network: string, tenMinutes: number): ItemKey => ({ pk: `VEL#NET#${network}`, sk: `T#${tenMinutes}` }),
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

/** Short stable member id for the distinct-users-per-address sets: keeps set items small and user ids out of them. */
export function memberId(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 12);
}

/** The items a decision reads for its velocity, by name (current and previous bucket per subject). */
export function velocityReadKeys(userId: string, subjects: VelocityKeys, now: number): Record<string, ItemKey> {
  const tenMinutes = bucketOf(now, TEN_MINUTES);
  const hour = bucketOf(now, HOUR);
  return {
    userCur: velocityKeys.user(userId, hour),
    userPrev: velocityKeys.user(userId, hour - 1),
    ipCur: velocityKeys.ip(subjects.ip, tenMinutes),
    ipPrev: velocityKeys.ip(subjects.ip, tenMinutes - 1),
    ...(subjects.network !== undefined
      ? {
          networkCur: velocityKeys.network(subjects.network, tenMinutes),
          networkPrev: velocityKeys.network(subjects.network, tenMinutes - 1),
        }
      : {}),
  };
}

/**
 * The updates that count one request: in its user's hour item and its address's ten-minute item (and its IPv6
 * /64's: the one extra update an IPv6 request costs). Each returns the attributes it changed as they were before
 * (`UPDATED_OLD`): this minute's count, and the address's user set.
 */
export function countRequestUpdates(
  table: string,
  userId: string,
  subjects: VelocityKeys,
  now: number,
  lastNetwork?: string,
): { user: UpdateItemCommandInput; ip: UpdateItemCommandInput; network?: UpdateItemCommandInput } {
  const user = minuteSlot(now, HOUR);
  const address = minuteSlot(now, TEN_MINUTES);
  const countAddress = (key: ItemKey): UpdateItemCommandInput => ({
    TableName: table,
    Key: keyAttributes(key),
    UpdateExpression: 'ADD #minute :one, #users :member SET expiresAt = :ttl',
    ExpressionAttributeNames: { '#minute': address.attribute, '#users': 'users' },
    ExpressionAttributeValues: {
      ':one': n(1),
      ':member': { SS: [memberId(userId)] },
      ':ttl': expiresAt(now, TTL_SECONDS.addressVelocity),
    },
    ReturnValues: 'UPDATED_OLD',
  });
  return {
    user: {
      TableName: table,
      Key: keyAttributes(velocityKeys.user(userId, user.bucket)),
      // The user's last request (time and network) is replaced here; UPDATED_OLD hands back the one before.
      UpdateExpression: `ADD #minute :one SET expiresAt = :ttl${lastNetwork ? ', lastAt = :now, lastNet = :net' : ''}`,
      ExpressionAttributeNames: { '#minute': user.attribute },
      ExpressionAttributeValues: {
        ':one': n(1),
        ':ttl': expiresAt(now, TTL_SECONDS.userVelocity),
        ...(lastNetwork ? { ':now': n(now), ':net': { S: lastNetwork } } : {}),
      },
      ReturnValues: 'UPDATED_OLD',
    },
    ip: countAddress(velocityKeys.ip(subjects.ip, address.bucket)),
    ...(subjects.network !== undefined
      ? { network: countAddress(velocityKeys.network(subjects.network, address.bucket)) }
      : {}),
  };
}

/**
 * Counts one failure (a reported failed sign-in, a failed step-up try) in the user's current hour item; with the
 * address's velocity subject (`counterIp`), also notes in that item that a failure came from it.
 */
export function failureUpdate(
  table: string,
  userId: string,
  kind: FailureKind,
  now: number,
  counterIp?: string,
): UpdateItemCommandInput {
  return {
    TableName: table,
    Key: keyAttributes(velocityKeys.user(userId, bucketOf(now, HOUR))),
    UpdateExpression: `ADD #kind :one${counterIp ? ', failIps :member' : ''} SET expiresAt = :ttl`,
    ExpressionAttributeNames: { '#kind': kind },
    ExpressionAttributeValues: {
      ':one': n(1),
      ':ttl': expiresAt(now, TTL_SECONDS.userVelocity),
      ...(counterIp ? { ':member': { SS: [memberId(counterIp)] } } : {}),
    },
  };
}

/** Counts one failed sign-in against the address it came from (any user: credential stuffing). */
export function addressFailureUpdate(table: string, counterIp: string, now: number): UpdateItemCommandInput {
  return {
    TableName: table,
    Key: keyAttributes(velocityKeys.ip(counterIp, bucketOf(now, TEN_MINUTES))),
    UpdateExpression: 'ADD fails :one SET expiresAt = :ttl',
    ExpressionAttributeValues: { ':one': n(1), ':ttl': expiresAt(now, TTL_SECONDS.addressVelocity) },
  };
}

/** The velocity items as one decision sees them: what its counting updates returned, and what its read found. */
export interface VelocityItems {
  /** A read item by its name in `velocityReadKeys`, undefined when absent or expired. */
  readonly read: (name: string) => Item | undefined;
  /**
   * The current buckets as the request's own counting updates saw them just before counting (they include
   * requests in flight at the same moment); absent when the read did not count.
   */
  readonly counted?: {
    readonly user?: PromiseSettledResult<Item | undefined>;
    readonly ip?: PromiseSettledResult<Item | undefined>;
    readonly network?: PromiseSettledResult<Item | undefined>;
  };
  readonly hasNetwork: boolean;
  /** The request's address subject (`VelocityKeys.ip`): was a failed sign-in of this user reported from it? */
  readonly ip: string;
}

/** The sliding-window counts of one decision from its velocity items. */
export function velocityCounts(items: VelocityItems, now: number): VelocityCounts {
  const { read } = items;
  // What this request's own counting update saw before it changed the current bucket (the minute's count, the
  // address's user set); the read's copy of the item when the update failed (a throttled hot address item must
  // not fail the decision) or this read does not count.
  const counted = (subject: 'user' | 'ip' | 'network') => {
    const result = items.counted?.[subject];
    return result?.status === 'fulfilled' ? result.value : read(`${subject}Cur`);
  };
  const current = { user: counted('user'), ip: counted('ip'), network: counted('network') };
  // This minute's count comes from the current bucket as counted; the previous minute (in the current or the
  // previous bucket) is no longer written, so the read's copy is exact.
  const minuteCount = (subject: 'user' | 'ip' | 'network', at: number) => {
    const width = subject === 'user' ? HOUR : TEN_MINUTES;
    const slot = minuteSlot(at, width);
    if (slot.bucket !== bucketOf(now, width)) return numberAttribute(read(`${subject}Prev`), slot.attribute);
    return numberAttribute(at === now ? current[subject] : read(`${subject}Cur`), slot.attribute);
  };
  const perMinute = (subject: 'user' | 'ip' | 'network') =>
    slidingCount(minuteCount(subject, now), minuteCount(subject, now - MINUTE), now, MINUTE);
  const users = (item: Item | undefined) => item?.users?.SS ?? [];
  // Failures are not among the counting update's returned attributes: the read's copy has them.
  const failures = (kind: FailureKind) =>
    slidingCount(numberAttribute(read('userCur'), kind), numberAttribute(read('userPrev'), kind), now, HOUR);
  // The user's previous request: what this request's counting update replaced (or, when this read does not count,
  // the current hour's copy), else the previous hour's; never older than an hour.
  const lastRequest = (item: Item | undefined) => {
    const at = Number(item?.lastAt?.N);
    const network = item?.lastNet?.S;
    return Number.isFinite(at) && network !== undefined && at >= now - HOUR ? { at, network } : undefined;
  };
  const previous = lastRequest(current.user) ?? lastRequest(read('userPrev'));
  const member = memberId(items.ip);
  const failedFromIp = [read('userCur'), read('userPrev')].some((item) => item?.failIps?.SS?.includes(member));
  const ipFailed = slidingCount(
    numberAttribute(read('ipCur'), 'fails'),
    numberAttribute(read('ipPrev'), 'fails'),
    now,
    TEN_MINUTES,
  );
  return {
    userRequests: perMinute('user'),
    ipRequests: perMinute('ip'),
    ipDistinctUsers: new Set([...users(current.ip), ...users(read('ipPrev'))]).size,
    userFailedStepUps: failures('stepUps'),
    userFailedSignIns: failures('signIns'),
    ...(ipFailed > 0 ? { ipFailedSignIns: ipFailed } : {}),
    ...(failedFromIp ? { failedSignInFromIp: true } : {}),
    ...(previous ? { previous } : {}),
    ...(items.hasNetwork
      ? {
          networkRequests: perMinute('network'),
          networkDistinctUsers: new Set([...users(current.network), ...users(read('networkPrev'))]).size,
        }
      : {}),
  };
}
