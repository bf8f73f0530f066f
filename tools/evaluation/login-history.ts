import type { ContextKeys } from '../../lambdas/core/risk/context-keys';
import type { GlobalStats, UserProfile, VelocityCounts } from '../../lambdas/core/risk/types';
import { decodeProfile, encodeProfile } from './profile-codec';

const MINUTE = 60_000;
const DAY = 86_400_000;

interface ProfileEntry {
  /** The profile while the user is idle, `encodeProfile` text: ~1.3 KB against ~7 KB for the live object. */
  packed?: string;
  lastSeen: number;
}

export interface ProfileStoreOptions {
  /** Profiles kept as live objects (the recently active users). */
  hot: number;
  /** Users kept at all; beyond it the least recently active are forgotten first. */
  maxUsers: number;
  /** A user idle this long is forgotten, as the service's risk-history retention (DynamoDB TTL) would. */
  retentionDays: number;
}

/**
 * Per-user profiles for an offline replay, in bounded memory. Live objects for the recently active users, compact
 * text for the others, and users idle past the retention period (or beyond `maxUsers`) are dropped: a dropped
 * user is a new user again on return, exactly what the deployed service does once the history TTL has passed.
 */
export class ProfileStore {
  private readonly entries = new Map<string, ProfileEntry>();
  private readonly live = new Map<string, UserProfile>();
  private lastSweep = -Infinity;
  forgottenIdle = 0;
  forgottenOverflow = 0;

  constructor(private readonly options: ProfileStoreOptions) {}

  get users(): number {
    return this.entries.size;
  }

  get(userId: string): UserProfile | undefined {
    const hot = this.live.get(userId);
    if (hot) return hot;
    const entry = this.entries.get(userId);
    if (entry?.packed === undefined) return undefined;
    const profile = decodeProfile(entry.packed);
    entry.packed = undefined;
    this.keepLive(userId, profile);
    return profile;
  }

  /** Records that the user was active at `now` (with or without a profile change), keeping recency order. */
  touch(userId: string, now: number, profile?: UserProfile): void {
    const entry = this.entries.get(userId) ?? { lastSeen: now };
    this.entries.delete(userId);
    entry.lastSeen = Math.max(entry.lastSeen, now);
    this.entries.set(userId, entry);
    if (profile) {
      entry.packed = undefined;
      this.keepLive(userId, profile);
    }
    this.sweep(now);
  }

  private keepLive(userId: string, profile: UserProfile): void {
    this.live.delete(userId);
    this.live.set(userId, profile);
    while (this.live.size > this.options.hot) {
      const [oldId, oldProfile] = this.live.entries().next().value as [string, UserProfile];
      this.live.delete(oldId);
      const entry = this.entries.get(oldId);
      if (entry) entry.packed = encodeProfile(oldProfile);
    }
  }

  private forget(userId: string): void {
    this.entries.delete(userId);
    this.live.delete(userId);
  }

  private sweep(now: number): void {
    while (this.entries.size > this.options.maxUsers) {
      const oldest = this.entries.keys().next().value as string;
      this.forget(oldest);
      this.forgottenOverflow++;
    }
    // Entries are in recency order, so the idle ones are at the front; checking once a simulated hour is plenty.
    if (now - this.lastSweep < 60 * MINUTE) return;
    this.lastSweep = now;
    const cutoff = now - this.options.retentionDays * DAY;
    for (const [userId, entry] of this.entries) {
      if (entry.lastSeen >= cutoff) break;
      this.forget(userId);
      this.forgottenIdle++;
    }
  }
}

export const GLOBAL_LEVELS = ['ip', 'prefix', 'asn', 'country', 'ua', 'browser', 'os', 'deviceType'] as const;
export type GlobalLevel = (typeof GLOBAL_LEVELS)[number];

/**
 * Population counts, per context value, of the users who trust it (the global side of the population signals),
 * counted as the service counts them: a value adds one when it becomes trusted for a user, the total adds one
 * with a user's first recorded login. Bounded: when a level holds more than `maxKeys` values, the rarest are
 * dropped (a value one user in millions trusts carries almost no weight); `pruned` says how often that happened.
 */
export class GlobalCounts {
  private readonly counts = new Map<GlobalLevel, Map<string, number>>(GLOBAL_LEVELS.map((l) => [l, new Map()]));
  total = 0;
  pruned = 0;

  constructor(private readonly maxKeys: number) {}

  stats(keys: ContextKeys): GlobalStats {
    const c = (level: GlobalLevel) => {
      const key = keys[level];
      return key === undefined ? 0 : (this.counts.get(level)?.get(key) ?? 0);
    };
    return {
      total: this.total,
      ip: c('ip'),
      prefix: c('prefix'),
      asn: c('asn'),
      country: c('country'),
      ua: c('ua'),
      browser: c('browser'),
      os: c('os'),
      deviceType: c('deviceType'),
    };
  }

  /** Adds a user (`newUser`) and the values of `keys` at `levels`, which just became trusted for that user. */
  add(keys: ContextKeys, levels: readonly string[], newUser: boolean): void {
    if (newUser) this.total++;
    for (const level of GLOBAL_LEVELS) {
      const key = keys[level];
      if (key === undefined || !levels.includes(level)) continue;
      const map = this.counts.get(level)!;
      map.set(key, (map.get(key) ?? 0) + 1);
      if (map.size > this.maxKeys) this.prune(map);
    }
  }

  get keys(): number {
    let n = 0;
    for (const map of this.counts.values()) n += map.size;
    return n;
  }

  private prune(map: Map<string, number>): void {
    this.pruned++;
    for (let floor = 1; map.size > this.maxKeys * 0.75; floor *= 2) {
      for (const [key, count] of map) if (count <= floor) map.delete(key);
    }
  }
}

type VelocityKind = 'request' | 'failedStepUp' | 'failedSignIn';

interface WindowEvent {
  t: number;
  userId: string;
  ip: string;
}

function pairKey(userId: string, ip: string): string {
  return `${userId}\u0000${ip}`;
}

/** Sliding windows over a time-ordered stream: counters go up as events arrive and down as they leave. */
class SlidingWindow {
  private events: WindowEvent[] = [];
  private head = 0;

  constructor(
    private readonly span: number,
    private readonly onLeave: (event: WindowEvent) => void,
  ) {}

  add(event: WindowEvent): void {
    this.events.push(event);
  }

  expire(now: number): void {
    const cutoff = now - this.span;
    while (this.head < this.events.length && this.events[this.head]!.t <= cutoff) {
      this.onLeave(this.events[this.head]!);
      this.head++;
    }
    // Compact now and then so the array holds only the window, not the whole stream.
    if (this.head > 4096 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.events.length - this.head;
  }
}

function inc<K>(map: Map<K, number>, key: K, by: number): void {
  const v = (map.get(key) ?? 0) + by;
  if (v <= 0) map.delete(key);
  else map.set(key, v);
}

/**
 * The velocity counters the service keeps in DynamoDB, with the windows `VelocityCounts` documents: requests per
 * user and per IP over 1 min, distinct users per IP over 10 min, failed step-ups and failed sign-ins per user over
 * 1 h. Memory is bounded by the traffic of the last hour.
 */
export class VelocityWindows {
  private readonly userRequests = new Map<string, number>();
  private readonly ipRequests = new Map<string, number>();
  private readonly ipUsers = new Map<string, Map<string, number>>();
  private readonly failedStepUps = new Map<string, number>();
  private readonly failedSignIns = new Map<string, number>();
  private readonly failedFromIp = new Map<string, number>();
  private readonly ipFailed = new Map<string, number>();
  private readonly previous = new Map<string, { at: number; network: string }>();
  private readonly minute = new SlidingWindow(MINUTE, (e) => {
    inc(this.userRequests, e.userId, -1);
    inc(this.ipRequests, e.ip, -1);
  });
  private readonly tenMinutes = new SlidingWindow(10 * MINUTE, (e) => {
    const users = this.ipUsers.get(e.ip);
    if (!users) return;
    inc(users, e.userId, -1);
    if (users.size === 0) this.ipUsers.delete(e.ip);
  });
  private readonly tenMinuteFailures = new SlidingWindow(10 * MINUTE, (e) => inc(this.ipFailed, e.ip, -1));
  private readonly hourStepUps = new SlidingWindow(60 * MINUTE, (e) => inc(this.failedStepUps, e.userId, -1));
  private readonly hourSignIns = new SlidingWindow(60 * MINUTE, (e) => {
    inc(this.failedSignIns, e.userId, -1);
    inc(this.failedFromIp, pairKey(e.userId, e.ip), -1);
  });
  private readonly hourRequests = new SlidingWindow(60 * MINUTE, (e) => {
    const last = this.previous.get(e.userId);
    if (last !== undefined && last.at <= e.t) this.previous.delete(e.userId);
  });

  /** Counts before the current request, as the store would return them. */
  counts(userId: string, ip: string, now: number): VelocityCounts {
    this.expire(now);
    const counts: VelocityCounts = {
      userRequests: this.userRequests.get(userId) ?? 0,
      ipRequests: this.ipRequests.get(ip) ?? 0,
      ipDistinctUsers: this.ipUsers.get(ip)?.size ?? 0,
      userFailedStepUps: this.failedStepUps.get(userId) ?? 0,
      userFailedSignIns: this.failedSignIns.get(userId) ?? 0,
    };
    if ((this.failedFromIp.get(pairKey(userId, ip)) ?? 0) > 0) counts.failedSignInFromIp = true;
    const ipFailed = this.ipFailed.get(ip) ?? 0;
    if (ipFailed > 0) counts.ipFailedSignIns = ipFailed;
    const previous = this.previous.get(userId);
    if (previous !== undefined) counts.previous = { ...previous };
    return counts;
  }

  /** `network`: the request's network key (ASN, else prefix), remembered as the user's previous request. */
  record(kind: VelocityKind, userId: string, ip: string, now: number, network?: string): void {
    const event = { t: now, userId, ip };
    switch (kind) {
      case 'request': {
        if (network !== undefined) {
          this.previous.set(userId, { at: now, network });
          this.hourRequests.add(event);
        }
        inc(this.userRequests, userId, 1);
        inc(this.ipRequests, ip, 1);
        let users = this.ipUsers.get(ip);
        if (!users) this.ipUsers.set(ip, (users = new Map<string, number>()));
        inc(users, userId, 1);
        this.minute.add(event);
        this.tenMinutes.add(event);
        break;
      }
      case 'failedStepUp':
        inc(this.failedStepUps, userId, 1);
        this.hourStepUps.add(event);
        break;
      case 'failedSignIn':
        inc(this.failedSignIns, userId, 1);
        inc(this.failedFromIp, pairKey(userId, ip), 1);
        inc(this.ipFailed, ip, 1);
        this.hourSignIns.add(event);
        this.tenMinuteFailures.add(event);
        break;
    }
  }

  private expire(now: number): void {
    this.minute.expire(now);
    this.tenMinutes.expire(now);
    this.hourStepUps.expire(now);
    this.hourSignIns.expire(now);
    this.hourRequests.expire(now);
    this.tenMinuteFailures.expire(now);
  }

  /** Events currently held (for the memory report). */
  get held(): number {
    return (
      this.minute.size +
      this.tenMinutes.size +
      this.hourStepUps.size +
      this.hourSignIns.size +
      this.hourRequests.size +
      this.tenMinuteFailures.size
    );
  }
}
