import { emptyProfile, learn, contextKeys } from '../../../lambdas/core/risk';
import type { RequestFeatures } from '../../../lambdas/core/risk/types';
import { GlobalCounts, ProfileStore, VelocityWindows } from '../../../tools/evaluation/login-history';
import { TimeOrderBuffer } from '../../../tools/evaluation/time-order';

const MIN = 60_000;
const DAY = 86_400_000;

const features = (ip: string): RequestFeatures => ({
  ip,
  geo: { kind: 'public', country: 'NO', asn: '2119' },
  device: { uaFamily: 'Chrome', deviceType: 'desktop', isBot: false, isHeadless: false, isCli: false, uaKey: 'k' },
});

describe('VelocityWindows', () => {
  it('counts requests per user and IP over 1 min and distinct users per IP over 10 min, excluding the current one', () => {
    const v = new VelocityWindows();
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) v.record('request', `u${i}`, '1.1.1.1', t0 + i * 1000);
    v.record('request', 'u0', '1.1.1.1', t0 + 5000);
    expect(v.counts('u0', '1.1.1.1', t0 + 6000)).toMatchObject({ userRequests: 2, ipRequests: 6, ipDistinctUsers: 5 });
    // Two minutes later the 1-minute windows are empty, the 10-minute one is not.
    expect(v.counts('u0', '1.1.1.1', t0 + 2 * MIN)).toMatchObject({
      userRequests: 0,
      ipRequests: 0,
      ipDistinctUsers: 5,
    });
    expect(v.counts('u0', '1.1.1.1', t0 + 11 * MIN)).toMatchObject({ ipDistinctUsers: 0 });
  });

  it('counts failed sign-ins and failed step-ups per user for an hour', () => {
    const v = new VelocityWindows();
    v.record('failedSignIn', 'u', 'ip', 0);
    v.record('failedSignIn', 'u', 'ip', 10 * MIN);
    v.record('failedStepUp', 'u', 'ip', 20 * MIN);
    expect(v.counts('u', 'ip', 30 * MIN)).toMatchObject({ userFailedSignIns: 2, userFailedStepUps: 1 });
    expect(v.counts('u', 'ip', 65 * MIN)).toMatchObject({ userFailedSignIns: 1, userFailedStepUps: 1 });
    expect(v.counts('u', 'ip', 81 * MIN)).toMatchObject({ userFailedSignIns: 0, userFailedStepUps: 0 });
    expect(v.held).toBe(0);
  });
});

describe('ProfileStore', () => {
  it('gives back the same profile after compacting idle users to JSON', () => {
    const store = new ProfileStore({ hot: 1, maxUsers: 10, retentionDays: 90 });
    const a = learn(undefined, features('1.1.1.1'), 1000, 'trusted');
    const b = learn(undefined, features('2.2.2.2'), 2000, 'trusted');
    store.touch('a', 1000, a);
    store.touch('b', 2000, b); // pushes a out of the live set
    expect(store.get('a')).toEqual(a);
    expect(store.get('b')).toEqual(b);
    expect(store.get('nobody')).toBeUndefined();
  });

  it('forgets users idle past the retention period, as the store TTL would', () => {
    const store = new ProfileStore({ hot: 10, maxUsers: 10, retentionDays: 30 });
    store.touch('old', 0, emptyProfile(0));
    store.touch('recent', 20 * DAY, emptyProfile(0));
    store.touch('now', 31 * DAY);
    expect(store.get('old')).toBeUndefined();
    expect(store.get('recent')).toBeDefined();
    expect(store.forgottenIdle).toBe(1);
  });

  it('keeps at most maxUsers, dropping the least recently active', () => {
    const store = new ProfileStore({ hot: 2, maxUsers: 3, retentionDays: 90 });
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) store.touch(id, i, emptyProfile(i));
    expect(store.users).toBe(3);
    expect(store.get('a')).toBeUndefined();
    expect(store.forgottenOverflow).toBe(1);
  });
});

describe('GlobalCounts', () => {
  it('counts users per trusted value, as the service does, and prunes the rarest values beyond its bound', () => {
    const g = new GlobalCounts(4);
    const keys = (ip: string) => contextKeys(features(ip));
    const all = ['ip', 'prefix', 'asn', 'country', 'ua', 'browser', 'os', 'deviceType'];
    // Three users trust 9.9.9.9; five others each trust their own address; one more user brings nothing new.
    for (let i = 0; i < 3; i++) g.add(keys('9.9.9.9'), all, true);
    for (let i = 0; i < 5; i++) g.add(keys(`10.0.0.${i}`), ['ip'], true);
    g.add(keys('9.9.9.9'), [], false);
    expect(g.total).toBe(8);
    expect(g.stats(keys('9.9.9.9'))).toMatchObject({ total: 8, ip: 3, country: 3, asn: 3 });
    expect(g.pruned).toBeGreaterThan(0);
    expect(g.stats(keys('10.0.0.0')).ip).toBe(0);
  });
});

describe('TimeOrderBuffer', () => {
  it('restores time order within its window and counts rows that arrive too late', () => {
    const out: number[] = [];
    const buffer = new TimeOrderBuffer<number>(2, (t) => t);
    for (const t of [5, 3, 4, 10, 8, 1, 12]) buffer.push(t, (x) => out.push(x));
    buffer.drain((x) => out.push(x));
    // 1 arrives after 5 was released: passed through at once and counted.
    expect(out).toEqual([3, 4, 5, 1, 8, 10, 12]);
    expect(buffer.late).toBe(1);
  });

  it('keeps file order among equal timestamps', () => {
    const out: string[] = [];
    const buffer = new TimeOrderBuffer<string>(10, () => 7);
    for (const s of ['a', 'b', 'c']) buffer.push(s, (x) => out.push(x));
    buffer.drain((x) => out.push(x));
    expect(out).toEqual(['a', 'b', 'c']);
  });
});
