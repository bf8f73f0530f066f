import fc from 'fast-check';
import { boundKey, contextKeys, MAX_KEY_LENGTH } from '../../../lambdas/core/risk/context-keys';
import { evaluate } from '../../../lambdas/core/risk/engine';
import {
  DEFAULT_LEARNING,
  emptyProfile,
  learn,
  newlyTrusted,
  PROFILE_LIMITS,
  recordFailure,
} from '../../../lambdas/core/risk/learning';
import type { ProfileMaps, RequestFeatures, UserProfile } from '../../../lambdas/core/risk/types';
import { DAY, HOME, HOUR, MIN, NOW, TOKYO_GEO, input, trustedProfile } from './fixtures';

const ATTACKER: RequestFeatures = {
  ip: '106.72.0.9',
  deviceId: 'attacker-laptop',
  geo: TOKYO_GEO,
  device: { ...HOME.device, uaFamily: 'Firefox', os: 'Linux', uaKey: 'ff-linux' },
};

describe('contextKeys', () => {
  it('derives the hierarchical keys of a request', () => {
    expect(contextKeys(HOME)).toEqual({
      device: 'device-home',
      ip: '81.167.144.58',
      prefix: '81.167.144.0/24',
      asn: 'AS29695',
      country: 'NO',
      region: 'NO/Vestland',
      city: 'NO/Vestland/Bergen',
      ua: 'chrome-120-windows-10',
      browser: 'Chrome 120',
      os: 'Windows 10',
      deviceType: 'desktop',
    });
  });

  it('canonicalizes IPs so that equivalent spellings share a key', () => {
    const a = contextKeys({ ...HOME, ip: '::ffff:81.167.144.58', geo: { kind: 'public', country: 'NO' } });
    expect(a.ip).toBe('81.167.144.58');
    expect(a.prefix).toBe('81.167.144.0/24');
    const b = contextKeys({ ...HOME, ip: '2001:DB8:0:0::1', geo: { kind: 'public' } });
    expect(b.ip).toBe('2001:db8::1');
    expect(b.prefix).toBe('2001:db8::/48');
  });

  it('bounds long keys and keeps them distinct', () => {
    const long = 'Mozilla/5.0 '.repeat(50);
    const a = contextKeys({ ...HOME, device: { ...HOME.device, uaKey: `${long}A` } });
    const b = contextKeys({ ...HOME, device: { ...HOME.device, uaKey: `${long}B` } });
    expect(a.ua.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
    expect(a.ua).not.toBe(b.ua);
  });

  it('falls back to the parsed UA parts and to desktop', () => {
    const k = contextKeys({ ...HOME, device: { deviceType: '', isBot: false, isHeadless: false, isCli: false } });
    expect(k.deviceType).toBe('desktop');
    expect(k.ua).toBe('?|?|desktop');
    expect(k.browser).toBeUndefined();
  });

  it('gives a reused Device or Geo object (the adapters cache them) the keys a fresh copy gets (property)', () => {
    const text = fc.oneof(fc.constant(''), fc.string({ maxLength: 8 }), fc.string({ minLength: 60, maxLength: 90 }));
    const opt = fc.option(text, { nil: undefined });
    const geoArb = fc.record(
      {
        kind: fc.constantFrom<'public' | 'private' | 'unknown'>('public', 'private', 'unknown'),
        country: opt,
        region: opt,
        city: opt,
        asn: opt,
        prefix: opt,
      },
      { requiredKeys: ['kind'] },
    );
    const deviceArb = fc.record(
      {
        uaFamily: opt,
        browserMajor: opt,
        os: opt,
        deviceType: text,
        isBot: fc.boolean(),
        isHeadless: fc.boolean(),
        isCli: fc.boolean(),
        uaKey: opt,
      },
      { requiredKeys: ['deviceType', 'isBot', 'isHeadless', 'isCli'] },
    );
    const ipArb = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
      fc.string({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(geoArb, deviceArb, ipArb, ipArb, (geo, device, ip1, ip2) => {
        // Same objects twice, with different addresses: the second call is served from the per-object cache.
        const first = contextKeys({ ip: ip1, geo, device });
        const second = contextKeys({ ip: ip2, geo, device });
        expect(first).toEqual(contextKeys({ ip: ip1, geo: { ...geo }, device: { ...device } }));
        expect(second).toEqual(contextKeys({ ip: ip2, geo: { ...geo }, device: { ...device } }));
        expect(second.country).toBe(geo.country ? boundKey(geo.country) : undefined);
        expect(second.os).toBe(device.os ? boundKey(device.os) : undefined);
        expect(second.deviceType).toBe(boundKey(device.deviceType || 'desktop'));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a plain IPv4 address as written and folds every other spelling to it', () => {
    for (const ip of ['81.167.144.58', '::ffff:81.167.144.58', '::FFFF:81.167.144.58', '0:0:0:0:0:ffff:51a7:903a']) {
      expect(contextKeys({ ...HOME, ip }).ip).toBe('81.167.144.58');
    }
    expect(contextKeys({ ...HOME, ip: '081.167.144.58' }).ip).toBe('081.167.144.58'); // not an IP: kept as text
  });
});

describe('learn', () => {
  it('starts a profile and counts a trusted context', () => {
    const p = learn(undefined, HOME, NOW, 'trusted');
    expect(p.schemaVersion).toBe(2);
    expect(p.createdAt).toBe(NOW);
    expect(p.trustedEvents).toBe(1);
    expect(p.trusted.devices).toEqual({ 'device-home': { count: 1, lastSeen: NOW } });
    expect(p.trusted.cities).toEqual({ 'NO/Vestland/Bergen': { count: 1, lastSeen: NOW } });
    expect(p.lastTrusted).toEqual({ at: NOW, lat: HOME.geo.lat, lon: HOME.geo.lon, country: 'NO', city: 'Bergen' });
    const q = learn(p, HOME, NOW + MIN, 'trusted');
    expect(q.trustedEvents).toBe(2);
    expect(q.trusted.ips['81.167.144.58']).toEqual({ count: 2, lastSeen: NOW + MIN });
  });

  it('does not modify the profile it is given', () => {
    const p = trustedProfile(3);
    const copy = structuredClone(p);
    learn(p, ATTACKER, NOW, 'trusted');
    learn(p, ATTACKER, NOW, 'unverified');
    expect(p).toEqual(copy);
  });

  it('keeps unverified sightings apart from the trusted profile', () => {
    const p = learn(trustedProfile(5), ATTACKER, NOW, 'unverified');
    expect(p.trustedEvents).toBe(5);
    expect(p.trusted.devices).not.toHaveProperty(['attacker-laptop']);
    expect(p.unverified.devices).toEqual({ 'attacker-laptop': { count: 1, lastSeen: NOW } });
    expect(p.unverified.ips).not.toHaveProperty([HOME.ip]);
    expect(p.lastTrusted?.lat).toBe(HOME.geo.lat);
  });

  it('moves a context from unverified to trusted after a passed step-up', () => {
    const p = learn(learn(trustedProfile(5), ATTACKER, NOW, 'unverified'), ATTACKER, NOW + MIN, 'trusted');
    expect(p.unverified.devices).toEqual({});
    expect(p.trusted.devices['attacker-laptop']).toEqual({ count: 1, lastSeen: NOW + MIN });
  });

  it('does not let a challenged attacker look familiar, however often they try', () => {
    let p: UserProfile | undefined = trustedProfile(20);
    const first = evaluate(input({ profile: p, features: ATTACKER }));
    for (let i = 0; i < 50; i++) p = learn(p, ATTACKER, NOW - 50 * MIN + i * MIN, 'unverified');
    expect(evaluate(input({ profile: p, features: ATTACKER }))).toEqual(first);
  });

  it('moves the travel origin only with a located trusted event, and never backwards in time', () => {
    const p = trustedProfile(3);
    const unlocated = learn(p, { ...HOME, geo: { kind: 'private' } }, NOW, 'trusted');
    expect(unlocated.lastTrusted).toEqual(p.lastTrusted);
    const older = learn(p, { ...HOME, geo: TOKYO_GEO }, NOW - 30 * DAY, 'trusted');
    expect(older.lastTrusted).toEqual(p.lastTrusted);
    const newer = learn(p, { ...HOME, geo: TOKYO_GEO }, NOW, 'trusted');
    expect(newer.lastTrusted).toMatchObject({ at: NOW, country: 'JP', lat: TOKYO_GEO.lat });
  });

  it('bounds every map, evicting the least recently seen entries', () => {
    let p = emptyProfile(0);
    for (let i = 0; i < 100; i++) {
      p = learn(p, { ...HOME, ip: `198.51.${i}.1`, deviceId: `d${i}` }, NOW + i, 'trusted');
      p = learn(p, { ...HOME, ip: `203.0.${i}.1`, deviceId: `u${i}` }, NOW + i, 'unverified');
    }
    expect(Object.keys(p.trusted.ips)).toHaveLength(PROFILE_LIMITS.trusted.ips);
    expect(Object.keys(p.trusted.devices)).toHaveLength(PROFILE_LIMITS.trusted.devices);
    expect(p.trusted.ips).toHaveProperty(['198.51.99.1']);
    expect(p.trusted.ips).not.toHaveProperty(['198.51.0.1']);
    expect(Object.keys(p.unverified.ips)).toHaveLength(PROFILE_LIMITS.unverified.ips);
    expect(p.trustedEvents).toBe(100);
    // The home device was used every time and is never evicted.
    expect(p.trusted.countries.NO?.count).toBe(100);
  });

  it('keeps the worst-case profile under 20 KB of JSON', () => {
    let p = emptyProfile(NOW);
    const fill = (i: number, tag: string): RequestFeatures => {
      const long = (s: string) => `${tag}${s}${i}-`.padEnd(200, 'x');
      return {
        ip: `2001:${{ t: 'db8', p: 'db9' }[tag] ?? 'dba'}:${i.toString(16)}:ffff:ffff:ffff:ffff:ffff`,
        deviceId: long('device'),
        geo: {
          kind: 'public',
          country: long('c'),
          region: long('r'),
          city: long('city'),
          asn: long('as'),
          prefix: long('p'),
          lat: -33.123456789,
          lon: 151.123456789,
        },
        device: {
          uaKey: long('ua'),
          uaFamily: long('b'),
          browserMajor: '123',
          os: long('os'),
          deviceType: long('t'),
          isBot: false,
          isHeadless: false,
          isCli: false,
        },
      };
    };
    for (let i = 0; i < 60; i++) {
      p = learn(p, fill(i, 't'), NOW + i * 1_000_000_000, 'trusted');
      p = learn(p, fill(i, 'p'), NOW + i * 1_000_000_000 + 1, 'observed');
      p = learn(p, fill(i, 'u'), NOW + i * 1_000_000_000, 'unverified');
    }
    for (const name of Object.keys(PROFILE_LIMITS.trusted) as (keyof ProfileMaps)[]) {
      expect(Object.keys(p.trusted[name])).toHaveLength(PROFILE_LIMITS.trusted[name]);
      expect(Object.keys(p.pending?.[name] ?? {})).toHaveLength(PROFILE_LIMITS.unverified[name]);
    }
    expect(p.habits?.hours).toHaveLength(24);
    const bytes = Buffer.byteLength(JSON.stringify(p));
    expect(bytes).toBeLessThan(20_000);
  });

  it('stores hostile keys as plain data', () => {
    for (const id of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const p = learn(undefined, { ...HOME, deviceId: id }, NOW, 'trusted');
      expect(Object.getPrototypeOf(p.trusted.devices)).toBe(Object.prototype);
      expect(Object.keys(p.trusted.devices)).toEqual([id]);
      const roundTrip = JSON.parse(JSON.stringify(p)) as UserProfile;
      expect(
        evaluate(input({ profile: roundTrip, features: { ...HOME, deviceId: id } })).reasons.map((r) => r.code),
      ).not.toContain('device.new');
      expect(
        evaluate(input({ profile: trustedProfile(5), features: { ...HOME, deviceId: id } })).reasons.map((r) => r.code),
      ).toContain('device.new');
    }
  });

  it('keeps hostile keys as plain data when a stored profile is learned from again', () => {
    for (const id of ['__proto__', 'constructor']) {
      let p: UserProfile | undefined;
      // Stored and read back between requests, as the store does: the copy of a parsed map must keep the key.
      for (const deviceId of [id, 'laptop', id]) {
        const next = learn(p, { ...HOME, deviceId }, NOW, 'trusted');
        p = JSON.parse(JSON.stringify(next)) as UserProfile;
      }
      const devices = learn(p, { ...HOME, deviceId: 'phone' }, NOW, 'trusted').trusted.devices;
      expect(Object.getPrototypeOf(devices)).toBe(Object.prototype);
      expect(Object.keys(devices).sort()).toEqual([id, 'laptop', 'phone'].sort());
      expect(Object.getOwnPropertyDescriptor(devices, id)?.value).toMatchObject({ count: 2 });
    }
  });

  it('makes a context familiar once learned as trusted (property)', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.string({ minLength: 1, maxLength: 80 }),
        fc.integer({ min: 3, max: 30 }),
        (ip, deviceId, n) => {
          const ctx = { ...HOME, ip, deviceId };
          let p: UserProfile | undefined;
          for (let i = 0; i < n; i++) p = learn(p, ctx, NOW - (n - i) * DAY, 'trusted');
          const e = evaluate(input({ profile: p, features: ctx }));
          expect(e.score).toBe(0);
          expect(e.decision).toBe('allow');
        },
      ),
      { numRuns: 100 },
    );
  });

  describe('without a step-up (observed)', () => {
    const NEW_HOME = { ...HOME, ip: '198.51.100.7', geo: { ...HOME.geo, asn: 'AS64496', prefix: '198.51.100.0/24' } };
    const observe = (p: UserProfile | undefined, at: number, ctx = NEW_HOME, options = {}) =>
      learn(p, ctx, at, 'observed', options);

    it('trusts the first login of an account (nothing to compare it with)', () => {
      const p = observe(undefined, NOW);
      expect(p.trusted.ips).toHaveProperty([NEW_HOME.ip]);
      expect(p.habits).toMatchObject({ n: 1 });
      expect(Object.values(p.habits!.novel).every((x) => x === 0)).toBe(true);
    });

    it('keeps a new value pending until it is used again on another day, then trusts it', () => {
      const start = NOW - 3 * DAY;
      let p = observe(trustedProfile(10, HOME, 4 * DAY), start);
      expect(p.trusted.ips).not.toHaveProperty([NEW_HOME.ip]);
      expect(p.pending?.ips[NEW_HOME.ip]).toMatchObject({ count: 1, days: 1, firstSeen: start });
      p = observe(p, start + HOUR);
      expect(p.pending?.ips[NEW_HOME.ip]).toMatchObject({ count: 2, days: 1 });
      p = observe(p, start + DAY);
      expect(p.trusted.ips[NEW_HOME.ip]).toMatchObject({ count: 3 });
      expect(p.pending?.ips).not.toHaveProperty([NEW_HOME.ip]);
    });

    it('gives a pending value credit when scoring only from the next day on', () => {
      const start = NOW - DAY;
      const p = observe(trustedProfile(10, HOME, 2 * DAY), start);
      const sameDay = evaluate(input({ profile: p, features: NEW_HOME, now: start + HOUR }));
      const nextDay = evaluate(input({ profile: p, features: NEW_HOME }));
      expect(sameDay.reasons.map((r) => r.code)).toContain('geo.new_network');
      expect(nextDay.reasons.map((r) => r.code)).not.toContain('geo.new_network');
    });

    it('never confirms a value first seen right after failed attempts; a step-up still proves it', () => {
      let p = observe(trustedProfile(10, HOME, 4 * DAY), NOW - 3 * DAY, NEW_HOME, { afterFailures: true });
      for (let d = 2; d >= 0; d--) p = observe(p, NOW - d * DAY);
      expect(p.pending?.ips[NEW_HOME.ip]).toMatchObject({ tainted: true, days: 4 });
      expect(p.trusted.ips).not.toHaveProperty([NEW_HOME.ip]);
      expect(evaluate(input({ profile: p, features: NEW_HOME, now: NOW + DAY })).reasons.map((r) => r.code)).toContain(
        'geo.new_network',
      );
      p = learn(p, NEW_HOME, NOW, 'trusted');
      expect(p.trusted.ips).toHaveProperty([NEW_HOME.ip]);
    });

    it('never confirms an address and network a failed attempt came from; other places start their run again', () => {
      const other = { ...HOME, ip: '203.0.113.50', geo: { ...HOME.geo, asn: 'AS64511', prefix: '203.0.113.0/24' } };
      let p = observe(trustedProfile(10, HOME, 5 * DAY), NOW - 4 * DAY);
      p = observe(p, NOW - 4 * DAY + MIN, other);
      p = recordFailure(p, NOW - 3 * DAY, { ip: NEW_HOME.ip, network: 'AS64496' });
      expect(p.lastFailure).toBe(NOW - 3 * DAY);
      expect(p.pending?.ips[NEW_HOME.ip]?.tainted).toBe(true);
      expect(p.pending?.asns.AS64496?.tainted).toBe(true);
      expect(p.pending?.ips[other.ip]?.tainted).toBeUndefined();
      for (const at of [NOW - 2 * DAY, NOW - DAY, NOW]) {
        p = observe(p, at);
        p = observe(p, at, other);
      }
      expect(p.trusted.ips).not.toHaveProperty([NEW_HOME.ip]);
      expect(p.trusted.ips).toHaveProperty([other.ip]);
    });

    it('confirms by repetition only a run of days with no failed attempt in between', () => {
      const other = { ...HOME, ip: '203.0.113.50', geo: { ...HOME.geo, asn: 'AS64511', prefix: '203.0.113.0/24' } };
      let p = observe(trustedProfile(10, HOME, 5 * DAY), NOW - 3 * DAY, other);
      // A failed sign-in from somewhere else: the other place's first day no longer counts.
      p = recordFailure(p, NOW - 3 * DAY + HOUR, { ip: '192.0.2.66', network: 'AS64999' });
      p = observe(p, NOW - 2 * DAY, other);
      expect(p.trusted.ips).not.toHaveProperty([other.ip]);
      expect(p.pending?.ips[other.ip]).toMatchObject({ count: 1, days: 1, firstSeen: NOW - 2 * DAY });
      p = observe(p, NOW - DAY, other);
      expect(p.trusted.ips).toHaveProperty([other.ip]);
    });

    it('does not let one takeover that got through make the attacker look familiar', () => {
      const victim = trustedProfile(20);
      const before = evaluate(input({ profile: victim, features: ATTACKER, action: 'auth.sign_in' }));
      const poisoned = learn(victim, ATTACKER, NOW - 10 * MIN, 'observed');
      const after = evaluate(input({ profile: poisoned, features: ATTACKER, action: 'auth.sign_in' }));
      expect(after.score).toBeGreaterThan(0);
      for (const code of ['geo.new_network', 'geo.new_country', 'device.new', 'device.ua_changed']) {
        expect(after.reasons.map((r) => r.code)).toContain(code);
        expect(before.reasons.map((r) => r.code)).toContain(code);
      }
    });

    it('lets trust fade: a value unused for longer than trustDays must be proven again', () => {
      const p = trustedProfile(10, HOME, (DEFAULT_LEARNING.trustDays + 1) * DAY);
      const q = learn(p, HOME, NOW, 'observed');
      expect(q.trusted.ips).not.toHaveProperty([HOME.ip]);
      expect(q.pending?.ips[HOME.ip]).toMatchObject({ count: 1 });
    });
  });

  describe('habits', () => {
    it('counts how often the user brings a value they had not proven, and at which hours', () => {
      let p = learn(undefined, HOME, NOW - 10 * DAY, 'trusted');
      p = learn(p, ATTACKER, NOW - 9 * DAY, 'trusted');
      p = learn(p, HOME, NOW - 8 * DAY + 3 * HOUR, 'trusted');
      const h = p.habits!;
      const decayed = (ago: number) => Math.pow(2, -ago / (DEFAULT_LEARNING.halfLifeDays * DAY));
      // The first login is the baseline; the attacker's context was new at every level but the hour.
      expect(h.n).toBeCloseTo(decayed(2 * DAY + 3 * HOUR) + decayed(DAY + 3 * HOUR) + 1, 3);
      expect(h.novel.net).toBeCloseTo(decayed(DAY + 3 * HOUR), 3);
      expect(h.novel.country).toBeCloseTo(decayed(DAY + 3 * HOUR), 3);
      expect(h.novel.device).toBeCloseTo(decayed(DAY + 3 * HOUR), 3);
      expect(h.novel.uaVersion).toBe(0);
      expect(h.hours[12]).toBeCloseTo(decayed(2 * DAY + 3 * HOUR) + decayed(DAY + 3 * HOUR), 3);
      expect(h.hours[15]).toBe(1);
      expect(p.lastSeen).toBe(NOW - 8 * DAY + 3 * HOUR);
    });
  });

  describe('newlyTrusted', () => {
    it('names the values that became trusted with this login', () => {
      const p = trustedProfile(3);
      const q = learn(p, ATTACKER, NOW, 'trusted');
      expect(newlyTrusted(p, q, contextKeys(ATTACKER)).sort()).toEqual(
        ['asn', 'browser', 'city', 'country', 'device', 'ip', 'os', 'prefix', 'region', 'ua'].sort(),
      );
      expect(newlyTrusted(q, learn(q, ATTACKER, NOW + MIN, 'trusted'), contextKeys(ATTACKER))).toEqual([]);
    });
  });
});
