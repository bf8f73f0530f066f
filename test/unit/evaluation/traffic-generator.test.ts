import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { IpAtlas } from '../../../lambdas/evaluation/ip-atlas';
import { Prng } from '../../../lambdas/evaluation/prng';
import {
  ATTACKER_MODELS,
  TrafficGenerator,
  UNKNOWN_ACCOUNT_ID,
  type GeneratedLogin,
  type TrafficOptions,
} from '../../../lambdas/evaluation/traffic-generator';
import {
  BUNDLED_DATA_DIR,
  loadUserAgentPool,
  updatedUserAgent,
  type UserAgentPool,
} from '../../../lambdas/evaluation/user-agent-pool';

const DATA = BUNDLED_DATA_DIR;
const locator = new GeoipLiteLocator();
const options = (seed: number): TrafficOptions => ({
  seed,
  rows: 3000,
  days: 10,
  start: Date.UTC(2020, 1, 3),
  takeoverShare: { naive: 0.02, vpn: 0.02, targeted: 0.02 },
  stuffingShare: 0.04,
});

let agents: UserAgentPool;
let atlas: IpAtlas;
let logins: GeneratedLogin[];

beforeAll(async () => {
  agents = await loadUserAgentPool(DATA);
  atlas = new IpAtlas(locator, new Prng(5), 60_000);
  logins = new TrafficGenerator(options(5), atlas, agents).generate();
});

describe('TrafficGenerator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const again = new TrafficGenerator(options(5), atlas, agents).generate();
    expect(again).toEqual(logins);
    const other = new TrafficGenerator(options(6), atlas, agents).generate();
    expect(other.map((l) => l.row.userId)).not.toEqual(logins.map((l) => l.row.userId));
  });

  it('writes the requested rows in time order, indexed from 0', () => {
    expect(logins).toHaveLength(3000);
    logins.forEach((l, i) => expect(l.row.index).toBe(i));
    for (let i = 1; i < logins.length; i++) {
      expect(logins[i]!.row.timestamp).toBeGreaterThanOrEqual(logins[i - 1]!.row.timestamp);
    }
  });

  it('uses only addresses that geoip-lite places where the row says', () => {
    for (const { row } of logins) {
      const geo = locator.locate(row.ip);
      expect(geo.country).toBe(row.country);
      expect(geo.region).toBe(row.region);
      expect(geo.city).toBe(row.city);
    }
  });

  it('labels as the dataset does: takeovers that got in, never a legitimate login', () => {
    const models = new Set(logins.map((l) => l.label));
    for (const m of ATTACKER_MODELS) expect(models).toContain(m);
    for (const { row, label } of logins) {
      expect(row.isAccountTakeover).toBe(label !== 'legit' && row.loginSuccessful);
      if (label === 'naive' || label === 'vpn' || label === 'targeted') expect(row.loginSuccessful).toBe(true);
    }
    const stuffing = logins.filter((l) => l.label === 'stuffing');
    expect(stuffing.filter((l) => l.row.loginSuccessful).length).toBeLessThan(stuffing.length * 0.1);
  });

  it('makes "Is Attack IP" a partial, noisy threat feed rather than a label', () => {
    const attacks = logins.filter((l) => l.label !== 'legit');
    const flagged = attacks.filter((l) => l.row.isAttackIp).length;
    expect(flagged).toBeGreaterThan(0);
    expect(flagged).toBeLessThan(attacks.length * 0.6);
    const legit = logins.filter((l) => l.label === 'legit');
    expect(legit.filter((l) => l.row.isAttackIp).length).toBeLessThan(legit.length * 0.02);
  });

  it('gives legitimate users realistic novelty: several devices, networks and mistyped names', () => {
    const byUser = new Map<string, { uas: Set<string>; asns: Set<string> }>();
    for (const { row, label } of logins) {
      if (label !== 'legit' || row.userId === UNKNOWN_ACCOUNT_ID) continue;
      const u = byUser.get(row.userId) ?? { uas: new Set(), asns: new Set() };
      u.uas.add(row.userAgent);
      u.asns.add(row.asn ?? '');
      byUser.set(row.userId, u);
    }
    const users = [...byUser.values()];
    expect(users.filter((u) => u.uas.size > 1).length).toBeGreaterThan(users.length * 0.1);
    expect(users.filter((u) => u.asns.size > 1).length).toBeGreaterThan(users.length * 0.1);
    expect(logins.some((l) => l.label === 'legit' && l.row.userId === UNKNOWN_ACCOUNT_ID)).toBe(true);
  });

  it('targeted attackers copy the victim’s exact user agent and stay in the victim’s country', () => {
    const lastUa = new Map<string, string>();
    const home = new Map<string, string>();
    let checked = 0;
    for (const { row, label } of logins) {
      if (label === 'legit' && row.loginSuccessful) {
        if (!home.has(row.userId)) home.set(row.userId, row.country ?? '');
        lastUa.set(row.userId, row.userAgent);
      } else if (label === 'targeted') {
        expect(row.country).toBe(home.get(row.userId));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('user agent pool', () => {
  it('holds real mainstream browsers of each device class from the shared fixtures', () => {
    expect(agents.byClass.desktop.length).toBeGreaterThan(50);
    expect(agents.byClass.mobile.length).toBeGreaterThan(50);
    expect(agents.byClass.tablet.length).toBeGreaterThan(20);
    expect(agents.automation.some((ua) => ua.includes('HeadlessChrome'))).toBe(true);
  });

  it('updates a browser by one major version, keeping family and OS', () => {
    const chrome = agents.byClass.desktop.find((a) => /Chrome\/\d+/.test(a.ua) && a.browser.startsWith('Chrome'))!;
    const next = updatedUserAgent(chrome);
    const major = (s: string) => Number(/Chrome\/(\d+)/.exec(s)![1]);
    expect(major(next.ua)).toBe(major(chrome.ua) + 1);
    expect(next.family).toBe(chrome.family);
  });
});
