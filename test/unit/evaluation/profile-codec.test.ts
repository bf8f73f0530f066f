import { learn } from '../../../lambdas/core/risk';
import type { RequestFeatures } from '../../../lambdas/core/risk/types';
import { decodeProfile, encodeProfile } from '../../../tools/evaluation/profile-codec';

const at = (ip: string, city: string, ua: string): RequestFeatures => ({
  ip,
  geo: { kind: 'public', country: 'NO', region: 'Vestland', city, asn: '29695', lat: 60.39, lon: 5.32 },
  device: {
    uaFamily: 'Chrome',
    browserMajor: '86',
    os: 'Windows',
    deviceType: 'desktop',
    isBot: false,
    isHeadless: false,
    isCli: false,
    uaKey: ua,
  },
});

describe('profile codec', () => {
  it('gives back an equal profile, odd keys included, in less than half the JSON size', () => {
    let profile = learn(undefined, at('81.167.144.58', 'Bergen', 'k1'), 1_580_733_810_772, 'trusted');
    profile = learn(profile, at('81.167.144.59', '__proto__', 'k2'), 1_580_733_999_001, 'trusted');
    profile = learn(profile, at('2001:db8::1', 'Ålesund, "quoted"', 'k1'), 1_580_800_000_123, 'unverified');
    for (let i = 0; i < 10; i++)
      profile = learn(profile, at(`81.167.144.${i}`, 'Bergen', 'k1'), 1_581_000_000_000 + i, 'trusted');
    const text = encodeProfile(profile);
    const back = decodeProfile(text);
    expect(back).toEqual(profile);
    expect(Object.hasOwn(back.trusted.cities, 'NO/Vestland/__proto__')).toBe(true);
    expect(text.length).toBeLessThan(JSON.stringify(profile).length * 0.6);
  });
});
