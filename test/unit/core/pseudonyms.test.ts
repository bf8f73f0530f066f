import fc from 'fast-check';
import { HmacPseudonymizer } from '../../../lambdas/adapters/hmac-pseudonymizer';
import { parseIp } from '../../../lambdas/core/net/ip';
import { listEntriesContaining } from '../../../lambdas/core/policy/compiled-policy';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { contextKeys } from '../../../lambdas/core/risk/context-keys';
import { evaluate } from '../../../lambdas/core/risk/engine';
import { emptyProfile, learn } from '../../../lambdas/core/risk/learning';
import {
  hasPseudonyms,
  isPseudonym,
  pseudonymizeProfile,
  reidentifyProfile,
} from '../../../lambdas/core/risk/pseudonyms';
import type { EvaluationInput, RequestFeatures } from '../../../lambdas/core/risk/types';
import { RequestIdentifiers } from '../../../lambdas/handlers/request-identifiers';
import { inputArb, policyArb } from '../simulation/arbitraries';
import { HOME, NOW } from './fixtures';

const ids = new RequestIdentifiers(new HmacPseudonymizer('unit-test-pseudonym-key-0123456789'));
const pseudonymOf = (kind: Parameters<typeof ids.pseudonym>[0], key: string) => ids.pseudonym(kind, key);

/** The engine input the decide handler builds with the privacy setting on, for the live decision (`live`) or a replay. */
function hashedInput(input: EvaluationInput, live: boolean): EvaluationInput {
  const address = parseIp(input.features.ip)!;
  const { pseudonymous } = ids.identify(input.features, address);
  const lists = listEntriesContaining(input.policy, address);
  return {
    ...input,
    features: { ...pseudonymous, ...(lists.length > 0 ? { lists } : {}) },
    ...(input.profile ? { profile: pseudonymizeProfile(input.profile, pseudonymOf) ?? input.profile } : {}),
    ...(live ? { address: input.features.ip } : {}),
  };
}

describe('pseudonymous identifiers', () => {
  it('replace every identifier of a request and keep its coarse attributes', () => {
    const { pseudonymous, velocityKeys } = ids.identify(HOME, parseIp(HOME.ip)!);
    expect(pseudonymous.ip).toMatch(/^h\.ip\./);
    expect(pseudonymous.deviceId).toMatch(/^h\.dev\./);
    expect(pseudonymous.geo.prefix).toMatch(/^h\.net\./);
    expect(pseudonymous.device.uaKey).toMatch(/^h\.ua\./);
    expect(pseudonymous.geo).toMatchObject({ country: 'NO', region: 'Vestland', city: 'Bergen', asn: 'AS29695' });
    expect(pseudonymous.device).toMatchObject({ uaFamily: 'Chrome', os: 'Windows 10', deviceType: 'desktop' });
    expect(JSON.stringify(pseudonymous)).not.toMatch(/81\.167|device-home|chrome-120-windows/);
    // IPv4 has no network counter; the address counter is keyed by the same pseudonym as the record.
    expect(velocityKeys).toEqual({ ip: pseudonymous.ip });
    // Cached per geo and device object: a warm request hashes only its address and device id.
    expect(ids.identify(HOME, parseIp(HOME.ip)!).pseudonymous.geo).toBe(pseudonymous.geo);
  });

  it('count an IPv6 client by its /64 too, and an IPv4-mapped address as the IPv4 address', () => {
    const v6 = (ip: string) => ids.identify({ ...HOME, ip }, parseIp(ip)!).velocityKeys;
    expect(v6('2a02:2f0c:8e10:4a00::1').network).toBe(v6('2a02:2f0c:8e10:4a00:ffff:1:2:3').network);
    expect(v6('2a02:2f0c:8e10:4a00::1').network).not.toBe(v6('2a02:2f0c:8e10:4a01::1').network);
    expect(v6('2a02:2f0c:8e10:4a00::1').network).toMatch(/^h\.net\./);
    expect(v6('::ffff:81.167.144.58')).toEqual(v6('81.167.144.58'));
    expect(v6('::ffff:81.167.144.58').network).toBeUndefined();
  });

  it('score exactly like raw identifiers, live and replayed (same familiarity, novelty, lists, travel)', () => {
    fc.assert(
      fc.property(inputArb, policyArb, (raw, policy) => {
        const input = { ...raw, policy };
        const expected = evaluate(input);
        expect(evaluate(hashedInput(input, true))).toEqual(expected);
        // A replay of the stored record has no address: lists come from the entries it recorded.
        expect(evaluate(hashedInput(input, false))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('replay list entries a candidate removed as removed, and cannot match entries it added', () => {
    const policy = { ...HOME_POLICY, lists: { allow: [], deny: ['81.167.144.0/24', '81.0.0.0/8'] } };
    const live: EvaluationInput = { ...BASE, policy };
    const recorded = hashedInput(live, false);
    expect(recorded.features.lists).toEqual(['81.167.144.0/24', '81.0.0.0/8']);
    expect(evaluate(recorded).decision).toBe('deny');
    const lifted = { ...policy, lists: { allow: [], deny: ['81.0.0.0/8'] } };
    expect(evaluate({ ...recorded, policy: lifted }).reasons[1]).toMatchObject({ code: 'ip.denylisted' });
    const added = { ...policy, lists: { allow: [], deny: ['81.167.0.0/16'] } };
    expect(evaluate({ ...recorded, policy: added }).reasons.map((r) => r.code)).not.toContain('ip.denylisted');
  });
});

const BASE: EvaluationInput = {
  userId: 'alice',
  action: 'auth.sign_in',
  now: NOW,
  features: HOME,
  velocity: { userRequests: 0, ipRequests: 0, ipDistinctUsers: 0, userFailedStepUps: 0, userFailedSignIns: 0 },
  global: { total: 0, ip: 0, prefix: 0, asn: 0, country: 0, ua: 0, browser: 0, os: 0, deviceType: 0 },
  policy: undefined as unknown as EvaluationInput['policy'],
};
const HOME_POLICY = defaultPolicy;

describe('profiles across a change of the privacy setting', () => {
  const other: RequestFeatures = { ...HOME, ip: '2a01:79c:cebf:d688::1', deviceId: '__proto__' };
  const raw = learn(
    learn(learn(emptyProfile(NOW), HOME, NOW - 3000, 'trusted'), HOME, NOW - 2000, 'trusted'),
    other,
    NOW - 1000,
    'unverified',
  );

  it('switched on: every identifier key becomes its pseudonym, counts kept, the profile marked', () => {
    const hashed = pseudonymizeProfile(raw, pseudonymOf)!;
    expect(hashed.pseudonymous).toBe(true);
    for (const map of ['ips', 'prefixes', 'devices', 'uas'] as const) {
      expect(Object.keys(hashed.trusted[map]).every(isPseudonym)).toBe(true);
      expect(Object.keys(hashed.unverified[map]).every(isPseudonym)).toBe(true);
    }
    expect(Object.hasOwn(hashed.unverified.devices, '__proto__')).toBe(false);
    expect(Object.values(hashed.trusted.ips)).toEqual([{ count: 2, lastSeen: NOW - 2000 }]);
    // Coarse attributes are not identifiers.
    expect(hashed.trusted.countries).toEqual(raw.trusted.countries);
    expect(hashed.trusted.browsers).toEqual(raw.trusted.browsers);
    // The keys are exactly what the same request, pseudonymized, looks up.
    const keys = contextKeys(ids.identify(HOME, parseIp(HOME.ip)!).pseudonymous);
    expect(Object.keys(hashed.trusted.ips)).toEqual([keys.ip]);
    expect(Object.keys(hashed.trusted.devices)).toEqual([keys.device]);
    expect(Object.keys(hashed.trusted.uas)).toEqual([keys.ua]);
    // Converting again changes nothing.
    expect(pseudonymizeProfile(hashed, pseudonymOf)).toBeUndefined();
    expect(hasPseudonyms(hashed)).toBe(true);
    expect(hasPseudonyms(raw)).toBe(false);
  });

  it('merges a raw key with a pseudonym already learned for it', () => {
    const { pseudonymous } = ids.identify(HOME, parseIp(HOME.ip)!);
    const mixed = learn(raw, pseudonymous, NOW, 'trusted');
    const hashed = pseudonymizeProfile(mixed, pseudonymOf)!;
    expect(Object.values(hashed.trusted.ips)).toEqual([{ count: 3, lastSeen: NOW }]);
  });

  it('keeps a pending value pending and tainted under its pseudonym, so switching on cannot launder it', () => {
    const stranger: RequestFeatures = {
      ...HOME,
      ip: '198.51.100.7',
      deviceId: 'device-stranger',
      geo: { ...HOME.geo, asn: 'AS64496', prefix: '198.51.100.0/24' },
    };
    // Seen right after failed attempts: never confirmed by repetition.
    const tainted = learn(raw, stranger, NOW - 500, 'observed', { afterFailures: true });
    expect(tainted.pending?.ips[stranger.ip]).toMatchObject({ tainted: true });
    const hashed = pseudonymizeProfile(tainted, pseudonymOf)!;
    const { pseudonymous } = ids.identify(stranger, parseIp(stranger.ip)!);
    const keys = contextKeys(pseudonymous);
    expect(Object.keys(hashed.pending!.ips)).toEqual([keys.ip]);
    expect(hashed.pending!.ips[keys.ip]).toMatchObject({ tainted: true, days: 1, firstSeen: NOW - 500 });
    expect(hashed.pending!.devices[keys.device!]).toMatchObject({ tainted: true });
    // Coming back from it on later days, pseudonymized, still never makes it trusted.
    let p = hashed;
    for (let d = 1; d <= 3; d++) p = learn(p, pseudonymous, NOW + d * 86_400_000, 'observed');
    expect(p.trusted.ips).not.toHaveProperty([keys.ip]);
    expect(p.trusted.ips).not.toHaveProperty([stranger.ip]);
  });

  it('switched off: the request at hand gets its raw keys back; other pseudonyms stay until evicted', () => {
    const hashed = pseudonymizeProfile(raw, pseudonymOf)!;
    const back = reidentifyProfile(
      hashed,
      contextKeys(HOME),
      contextKeys(ids.identify(HOME, parseIp(HOME.ip)!).pseudonymous),
    )!;
    expect(back.pseudonymous).toBeUndefined();
    expect(back.trusted.ips).toEqual(raw.trusted.ips);
    expect(back.trusted.devices).toEqual(raw.trusted.devices);
    expect(back.trusted.uas).toEqual(raw.trusted.uas);
    expect(back.trusted.prefixes).toEqual(raw.trusted.prefixes);
    expect(Object.keys(back.unverified.ips).every(isPseudonym)).toBe(true);
    expect(reidentifyProfile(raw, contextKeys(HOME), contextKeys(HOME))).toBeUndefined();
  });
});
