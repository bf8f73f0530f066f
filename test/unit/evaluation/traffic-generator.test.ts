import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { IpAtlas } from '../../../tools/evaluation/ip-atlas';
import { Prng } from '../../../tools/evaluation/prng';
import {
  ATTACKER_MODELS,
  TrafficGenerator,
  UNKNOWN_ACCOUNT_ID,
  type GeneratedLogin,
  trafficOptions,
  type TrafficOptions,
} from '../../../tools/evaluation/traffic-generator';
import {
  applyOverrides,
  validateWorld,
  worldPreset,
  WORLD_PRESETS,
  type TrafficWorld,
} from '../../../tools/evaluation/traffic-world';
import {
  BUNDLED_DATA_DIR,
  loadUserAgentPool,
  updatedUserAgent,
  type UserAgentPool,
} from '../../../tools/evaluation/user-agent-pool';

const DATA = BUNDLED_DATA_DIR;
const locator = new GeoipLiteLocator();
const WORLD = applyOverrides(worldPreset('first-table'), [
  'attack.takeoverShare.naive=0.02',
  'attack.takeoverShare.vpn=0.02',
  'attack.takeoverShare.targeted=0.02',
  'attack.stuffingShare=0.04',
]);
const options = (seed: number, world = WORLD): TrafficOptions => trafficOptions(seed, 3000, world, 10);

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
    }
    // Takeover incidents may start with failed passwords, from the address that then gets in.
    const takeovers = logins.filter((l) => l.label === 'naive' || l.label === 'vpn' || l.label === 'targeted');
    const failed = takeovers.filter((l) => !l.row.loginSuccessful);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(takeovers.length * 0.6);
    for (const f of failed) {
      const success = takeovers.find(
        (l) => l.row.userId === f.row.userId && l.row.loginSuccessful && l.row.timestamp > f.row.timestamp,
      );
      expect(success?.row.ip).toBe(f.row.ip);
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

describe('worlds', () => {
  const run = (world: TrafficWorld, seed = 5) => new TrafficGenerator(options(seed, world), atlas, agents).generate();
  const legitRows = (rows: GeneratedLogin[]) =>
    rows.filter((l) => l.label === 'legit' && l.row.loginSuccessful && l.row.userId !== UNKNOWN_ACCOUNT_ID);

  it('moves what users do with the dials: more phone data means more carrier networks', () => {
    const share = (w: TrafficWorld) => {
      const rows = legitRows(run(w));
      const carriers = new Set(atlas.carrier('NO').map((b) => b.asn));
      const phones = rows.filter((l) => l.row.deviceType === 'mobile' && l.row.country === 'NO');
      return phones.filter((l) => carriers.has(l.row.asn ?? '')).length / phones.length;
    };
    const few = share(applyOverrides(WORLD, ['mobile.dataShare=0.05', 'nearby.rate=0', 'travel.userShare=0']));
    const many = share(applyOverrides(WORLD, ['mobile.dataShare=0.95', 'nearby.rate=0', 'travel.userShare=0']));
    expect(many).toBeGreaterThan(few + 0.4);
  });

  it('places targeted attackers as asked: on the victim’s own provider, or abroad', () => {
    const sameIsp = run(
      applyOverrides(WORLD, [
        'attack.targeted.placement.sameNetwork=1',
        ...zero(['city', 'region', 'country', 'abroad']),
      ]),
    );
    const abroad = run(
      applyOverrides(WORLD, [
        'attack.targeted.placement.abroad=1',
        ...zero(['sameNetwork', 'city', 'region', 'country']),
      ]),
    );
    const homeAsn = (rows: GeneratedLogin[], user: string) =>
      rows.find((l) => l.label === 'legit' && l.row.userId === user && l.row.loginSuccessful)?.row;
    const targeted = (rows: GeneratedLogin[]) => rows.filter((l) => l.label === 'targeted');
    expect(targeted(sameIsp).length).toBeGreaterThan(5);
    const onProvider = targeted(sameIsp).filter((l) => homeAsn(sameIsp, l.row.userId)?.asn === l.row.asn).length;
    expect(onProvider).toBeGreaterThan(targeted(sameIsp).length * 0.5);
    const foreign = targeted(abroad).filter((l) => homeAsn(abroad, l.row.userId)?.country !== l.row.country).length;
    expect(foreign).toBeGreaterThan(targeted(abroad).length * 0.8);
  });

  it('gives targeted attackers a user agent from an exact copy to a random one', () => {
    const exact = run(WORLD);
    const random = run(applyOverrides(WORLD, ['attack.targeted.agent.random=1', 'attack.targeted.agent.exact=0']));
    const copied = (rows: GeneratedLogin[]) => {
      const seen = new Map<string, Set<string>>();
      let n = 0;
      let same = 0;
      for (const { row, label } of rows) {
        if (label === 'legit') {
          const s = seen.get(row.userId) ?? new Set<string>();
          s.add(row.userAgent);
          seen.set(row.userId, s);
        } else if (label === 'targeted' && seen.has(row.userId)) {
          n++;
          if (seen.get(row.userId)!.has(row.userAgent)) same++;
        }
      }
      return same / n;
    };
    expect(copied(exact)).toBeGreaterThan(0.8);
    expect(copied(random)).toBeLessThan(0.3);
  });

  it('sends attackers at the victim’s hours when the world says so', () => {
    const hourSpread = (rows: GeneratedLogin[]) => {
      const legitHours = new Map<string, number[]>();
      for (const { row, label } of rows) {
        if (label !== 'legit') continue;
        const list = legitHours.get(row.userId) ?? [];
        list.push(new Date(row.timestamp).getUTCHours());
        legitHours.set(row.userId, list);
      }
      const gaps: number[] = [];
      for (const { row, label } of rows) {
        const own = legitHours.get(row.userId);
        if (label !== 'targeted' || !own || own.length < 3) continue;
        const h = new Date(row.timestamp).getUTCHours();
        gaps.push(Math.min(...own.map((x) => Math.min(Math.abs(x - h), 24 - Math.abs(x - h)))));
      }
      return gaps.reduce((a, b) => a + b, 0) / gaps.length;
    };
    const uniform = hourSpread(
      run(applyOverrides(WORLD, ['attack.timing=uniform', 'hours.personal=1', 'hours.spreadHours=1'])),
    );
    const copied = hourSpread(
      run(applyOverrides(WORLD, ['attack.timing=victim', 'hours.personal=1', 'hours.spreadHours=1'])),
    );
    expect(copied).toBeLessThan(uniform);
  });

  it('rejects a dial that does not exist or a value out of range, naming it', () => {
    expect(() => applyOverrides(WORLD, ['mobile.datashare=0.5'])).toThrow(/no field datashare/);
    expect(() => applyOverrides(WORLD, ['mobile.dataShare=1.5'])).toThrow(/mobile.dataShare must be in \[0, 1\]/);
    expect(() => applyOverrides(WORLD, ['attack.victims=everyone'])).toThrow(/attack.victims is uniform or active/);
    expect(() => applyOverrides(WORLD, ['attack'])).toThrow(/not path=value/);
    expect(() => worldPreset('nowhere')).toThrow(/unknown world "nowhere"/);
  });

  it('keeps every preset valid and different from the first table', () => {
    for (const name of Object.keys(WORLD_PRESETS)) {
      const w = worldPreset(name);
      expect(() => validateWorld(w)).not.toThrow();
      if (name !== 'first-table') expect(w).not.toEqual(worldPreset('first-table'));
    }
  });
});

function zero(fields: string[]): string[] {
  return fields.map((f) => `attack.targeted.placement.${f}=0`);
}

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
