import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { contextKeys } from '../../../core/risk/context-keys';
import type { GlobalStats, ProfileMaps, RequestFeatures, UserProfile } from '../../../core/risk/types';
import { keyAttributes, n, numberAttribute, type Item, type ItemKey } from './item';
import { expiresAt, TTL_SECONDS } from './ttl';

/**
 * Population counts: how many users trust each value at each level (`GLOBAL#<level>#<value>` / `COUNT`, attribute
 * `n`), and how many users have any trusted event (`GLOBAL#TOTAL` / `COUNT`). Counts of USERS: a value adds 1 the
 * first time it enters a user's trusted profile, and the total adds 1 with a user's first trusted event. A familiar
 * login therefore moves no counter, which keeps these hot items off the common path; p(value) is the share of
 * users who use it. Both the decision store and the grant store (learning after a passed step-up) count this way.
 */
export type GlobalLevel = Exclude<keyof GlobalStats, 'total'>;
export type GlobalKeys = Partial<Record<GlobalLevel, string>>;

export const populationKeys = {
  level: (level: string, value: string): ItemKey => ({ pk: `GLOBAL#${level}#${value}`, sk: 'COUNT' }),
  total: (): ItemKey => ({ pk: 'GLOBAL#TOTAL', sk: 'COUNT' }),
};

/** The trusted-profile map holding each population level's values. */
const PROFILE_MAP_OF: Record<GlobalLevel, keyof ProfileMaps> = {
  ip: 'ips',
  prefix: 'prefixes',
  asn: 'asns',
  country: 'countries',
  ua: 'uas',
  browser: 'browsers',
  os: 'oses',
  deviceType: 'deviceTypes',
};

const LEVELS = Object.keys(PROFILE_MAP_OF) as GlobalLevel[];

/**
 * The population counters a profile update moves (see above): a value counts when it becomes trusted for the user
 * (values that wait as observed count once they are confirmed), the total with the user's first recorded login.
 * `previous`: the profile before the update (undefined: the user had none; null: the caller does not have it, and a
 * value then counts when its trusted count is 1).
 */
export function populationIncrements(
  next: UserProfile,
  levels: GlobalKeys,
  previous: UserProfile | null | undefined = null,
): ItemKey[] {
  const out: ItemKey[] = [];
  const first = previous === null ? next.trustedEvents === 1 : (previous?.trustedEvents ?? 0) === 0;
  if (first && next.trustedEvents >= 1) out.push(populationKeys.total());
  for (const [level, value] of Object.entries(levels) as [GlobalLevel, string | undefined][]) {
    if (value === undefined) continue;
    const map = PROFILE_MAP_OF[level];
    const trustedNow = Object.hasOwn(next.trusted[map] ?? {}, value);
    const counted =
      previous === null
        ? trustedNow && next.trusted[map][value]?.count === 1
        : trustedNow && !Object.hasOwn(previous?.trusted?.[map] ?? {}, value);
    if (counted) out.push(populationKeys.level(level, value));
  }
  return out;
}

/** The population levels of a request, keyed as the user's profile keys them (see GlobalStats). */
export function globalKeys(features: RequestFeatures): GlobalKeys {
  const keys = contextKeys(features);
  return {
    ip: keys.ip,
    prefix: keys.prefix,
    asn: keys.asn,
    country: keys.country,
    ua: keys.ua,
    browser: keys.browser,
    os: keys.os,
    deviceType: keys.deviceType,
  };
}

/** The counter items a decision reads for `levels`, by level. */
export function populationReadKeys(levels: GlobalKeys): Partial<Record<GlobalLevel, ItemKey>> {
  const out: Partial<Record<GlobalLevel, ItemKey>> = {};
  for (const level of LEVELS) {
    const value = levels[level];
    if (value !== undefined) out[level] = populationKeys.level(level, value);
  }
  return out;
}

/** The population statistics from the counter items read (`level` undefined: the item of the total). */
export function globalStats(read: (level: GlobalLevel | undefined) => Item | undefined): GlobalStats {
  const count = (level: GlobalLevel) => numberAttribute(read(level), 'n');
  return {
    total: numberAttribute(read(undefined), 'n'),
    ip: count('ip'),
    prefix: count('prefix'),
    asn: count('asn'),
    country: count('country'),
    ua: count('ua'),
    browser: count('browser'),
    os: count('os'),
    deviceType: count('deviceType'),
  };
}

export function globalStatsZero(): GlobalStats {
  return { total: 0, ip: 0, prefix: 0, asn: 0, country: 0, ua: 0, browser: 0, os: 0, deviceType: 0 };
}

/**
 * Atomic ADDs on the counters a learned profile moves. Best effort: population counts are statistics, not state
 * that must be exact, so a failed ADD never fails the change that taught the profile. They stay out of that
 * change's transaction on purpose: hot counters (one address during credential stuffing, the total) would
 * otherwise make concurrent transactions cancel each other.
 */
export async function addPopulationCounts(
  client: DynamoDBClient,
  table: string,
  next: UserProfile,
  levels: GlobalKeys,
  nowMs: number,
  previous: UserProfile | null | undefined = null,
): Promise<void> {
  const ttl = expiresAt(nowMs, TTL_SECONDS.population);
  await Promise.allSettled(
    populationIncrements(next, levels, previous).map((key) =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: keyAttributes(key),
          UpdateExpression: 'ADD n :one SET expiresAt = :ttl',
          ExpressionAttributeValues: { ':one': n(1), ':ttl': ttl },
        }),
      ),
    ),
  );
}
