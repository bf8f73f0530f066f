import { countryCentroid } from './country-centroids';
import type { Block, IpAtlas } from './ip-atlas';
import { hash32, Prng } from './prng';
import type { RbaLogin } from './rba-row';
import type { TrafficWorld, TargetedAgent, TargetedPlacement } from './traffic-world';
import { worldPreset } from './traffic-world';
import { updatedUserAgent, type DeviceClass, type PooledUserAgent, type UserAgentPool } from './user-agent-pool';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The dataset's bucket for logins to accounts that do not exist (see the RBA dataset notes). */
export const UNKNOWN_ACCOUNT_ID = '-4324475583306591935';

export const ATTACKER_MODELS = ['naive', 'vpn', 'targeted', 'stuffing'] as const;
export type AttackerModel = (typeof ATTACKER_MODELS)[number];
export type TrafficLabel = 'legit' | AttackerModel;

export interface TrafficOptions {
  seed: number;
  rows: number;
  days: number;
  /** Epoch ms of the first day (00:00 UTC). */
  start: number;
  world: TrafficWorld;
}

export const DEFAULT_TRAFFIC: Omit<TrafficOptions, 'seed' | 'rows' | 'world'> & { world: string } = {
  days: 30,
  start: Date.UTC(2020, 1, 3),
  world: 'first-table',
};

export interface GeneratedLogin {
  row: RbaLogin;
  label: TrafficLabel;
}

interface UserDevice {
  agent: PooledUserAgent;
  weight: number;
  nextUpdate: number;
}

/** A home line; family members share one object, so an address change moves them all. */
interface Home {
  block: Block;
  ip: string;
  until: number;
}

interface Family {
  home: Home;
  device: UserDevice;
  size: number;
  members: number;
}

interface Trip {
  from: number;
  to: number;
  hotel: Block;
  hotelIp: string;
}

interface Spot {
  block: Block;
  ip: string;
}

interface User {
  id: string;
  country: string;
  /** Hours to add to UTC for the user's local time. */
  utcOffset: number;
  /** Centre of the user's own daily window, local hours. */
  hourCentre: number;
  home: Home;
  work?: Spot;
  devices: UserDevice[];
  /** Logins per day while active. */
  rate: number;
  joinsAt: number;
  /** Quiet stretches [from, to) of a user who goes dormant now and then. */
  quiet: [number, number][];
  trip?: Trip;
  newDeviceAt?: number;
  vpn?: readonly Block[];
  nearby: Spot[];
  cell?: Spot & { until: number };
  logins: number;
}

interface Event {
  t: number;
  seq: number;
  make: () => GeneratedLogin[];
}

const HOME_COUNTRIES: readonly (readonly [string, number])[] = [
  ['NO', 70],
  ['SE', 5],
  ['DK', 3],
  ['US', 4],
  ['DE', 3],
  ['GB', 3],
  ['PL', 3],
  ['FI', 2],
  ['NL', 2],
  ['*', 5],
];
const TRAVEL: readonly (readonly [string, number])[] = [
  ['SE', 10],
  ['DK', 8],
  ['ES', 10],
  ['DE', 8],
  ['GB', 8],
  ['US', 8],
  ['FR', 6],
  ['IT', 6],
  ['GR', 4],
  ['TH', 3],
  ['PL', 4],
  ['NL', 5],
  ['NO', 10],
];
const DEVICE_MIX: readonly (readonly [DeviceClass, number])[] = [
  ['desktop', 50],
  ['mobile', 42],
  ['tablet', 8],
];
/** How often an IP is in the threat feed ("Is Attack IP"), by who uses it. Feeds are incomplete and noisy. */
const FEED_COVERAGE: Record<TrafficLabel, number> = {
  legit: 0.002,
  naive: 0.15,
  vpn: 0.1,
  targeted: 0.02,
  stuffing: 0.4,
};
/** Beyond this distance from home a trip or an attacker is on another continent. */
const FAR_KM = 3000;

function km(a: readonly [number, number], b: readonly [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function wrapHour(h: number): number {
  return ((h % 24) + 24) % 24;
}

/**
 * Synthetic login traffic in the RBA dataset's schema, deterministic for a seed, shaped by a `TrafficWorld`.
 * Legitimate users have a home line (shared with their family in some worlds), 1-3 devices whose browsers update
 * themselves, phones on cellular data (rotating or carrier-NAT addresses), offices, networks near home, a commercial
 * VPN now and then, trips at home and abroad, new devices, quiet spells, their own hours of the day, password typos
 * and mistyped user names, so a fair share of real logins look unfamiliar. Attackers follow Wiefling et al.: naive
 * (random IP and user agent), VPN (a datacenter address in the victim's country), targeted (near the victim, with
 * the victim's user agent, placed and dressed as the world says), plus credential stuffing (a few proxies trying many
 * accounts quickly, mostly failing). Incidents may start with failed passwords, retry, and come back on later days.
 *
 * Labels are written as the dataset does (Is Account Takeover on a takeover that got the password right) and the
 * attacker model per row goes to a side file; "Is Attack IP" is a threat feed that covers some attack addresses
 * and wrongly lists a few legitimate ones, never a label.
 */
export class TrafficGenerator {
  private readonly rng: Prng;
  private readonly users: User[] = [];
  private readonly countries: string[];
  private readonly world: TrafficWorld;
  private readonly future: Event[] = [];
  private readonly cgnat = new Map<string, Spot[]>();
  private readonly victimWeights: number[] = [];
  private openFamily: Family | undefined;
  private seq = 0;

  constructor(
    private readonly options: TrafficOptions,
    private readonly atlas: IpAtlas,
    private readonly agents: UserAgentPool,
  ) {
    this.world = options.world;
    this.rng = new Prng(options.seed ^ 0x5eed);
    this.countries = atlas.countries().filter((c) => atlas.inCountry(c).length >= 5);
    const w = this.world;
    const a = w.attack;
    const attackShare = a.takeoverShare.naive + a.takeoverShare.vpn + a.takeoverShare.targeted + a.stuffingShare;
    // Users until their expected logins (plus typos) fill the legitimate share of the rows.
    const legitPerDay = ((options.rows / options.days) * (1 - attackShare)) / (1 + w.typos.password + w.typos.username);
    const end = options.start + options.days * DAY;
    let expected = 0;
    while (expected < legitPerDay * 1.02) {
      const user = this.newUser();
      const activeShare = Math.max(0, end - user.joinsAt) / (options.days * DAY);
      let quiet = 0;
      for (const [from, to] of user.quiet) quiet += Math.max(0, Math.min(to, end) - Math.max(from, user.joinsAt));
      expected += user.rate * (activeShare - quiet / (options.days * DAY));
      this.users.push(user);
    }
    let sum = 0;
    for (const user of this.users) this.victimWeights.push((sum += a.victims === 'active' ? user.rate : 1));
  }

  /** The rows, one day per batch, until `rows` rows were produced; indexes are 0-based row numbers. Rows of a
   * batch are in time order; a row a few minutes after midnight can come in the batch of the day before. */
  *batches(): Generator<GeneratedLogin[]> {
    let index = 0;
    for (let day = 0; day < this.options.days * 3 && index < this.options.rows; day++) {
      const events = this.dayEvents(this.options.start + day * DAY);
      events.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const logins: GeneratedLogin[] = [];
      for (const e of events) for (const login of e.make()) logins.push(login);
      logins.sort((a, b) => a.row.timestamp - b.row.timestamp);
      const batch = logins.slice(0, this.options.rows - index);
      for (const login of batch) login.row.index = index++;
      yield batch;
    }
  }

  /** All rows at once (small files and tests). */
  generate(): GeneratedLogin[] {
    const out: GeneratedLogin[] = [];
    for (const batch of this.batches()) for (const login of batch) out.push(login);
    return out;
  }

  // ------------------------------------------------------------------------------------------------ population

  private userId(): string {
    const hi = BigInt(Math.floor(this.rng.next() * 4294967296));
    const lo = BigInt(Math.floor(this.rng.next() * 4294967296));
    return BigInt.asIntN(64, (hi << 32n) | lo).toString();
  }

  private pickCountry(weights: readonly (readonly [string, number])[], not?: string): string {
    for (let i = 0; i < 20; i++) {
      let c = this.rng.weighted(weights);
      if (c === '*') c = this.rng.pick(this.countries);
      if (c !== not && this.atlas.inCountry(c).length >= 5) return c;
    }
    return this.rng.pick(this.countries.filter((c) => c !== not));
  }

  /** A country at least FAR_KM from `from` (another continent), or any other country when none is known. */
  private farCountry(from: string): string {
    const home = countryCentroid(from);
    const far = this.countries.filter((c) => {
      const centre = countryCentroid(c);
      return home !== undefined && centre !== undefined && km(home, centre) >= FAR_KM;
    });
    return far.length > 0 ? this.rng.pick(far) : this.pickCountry([['*', 1]], from);
  }

  private agent(cls: DeviceClass): PooledUserAgent {
    return this.rng.pick(this.agents.byClass[cls]);
  }

  private perPeriod(share: number): number {
    return Math.min(1, (share * this.options.days) / 30);
  }

  private newHome(country: string, start: number): Home {
    const block = this.rng.pick(this.atlas.inCountry(country, false));
    return {
      block,
      ip: this.atlas.address(block, this.rng),
      until: start + this.rng.exponential(this.world.home.ipDays * DAY),
    };
  }

  private newUser(): User {
    const { rng, options, world: w } = this;
    const end = options.start + options.days * DAY;
    let family: Family | undefined;
    if (this.openFamily && this.openFamily.members < this.openFamily.size) family = this.openFamily;
    const country = family ? family.home.block.place.country : this.pickCountry(HOME_COUNTRIES);
    const home = family ? family.home : this.newHome(country, options.start);
    const deviceCount = rng.weighted([
      [1, 45],
      [2, 40],
      [3, 15],
    ] as const);
    const devices: UserDevice[] = [];
    for (let i = 0; i < deviceCount; i++) {
      devices.push({
        agent: this.agent(rng.weighted(DEVICE_MIX)),
        weight: i === 0 ? 3 : 1,
        nextUpdate: options.start + rng.exponential(w.devices.updateDays * DAY),
      });
    }
    if (family) {
      devices.push(family.device);
      family.members++;
    } else if (rng.chance(w.devices.familyShare)) {
      // This user starts a family: the others join with the next users created.
      const shared: UserDevice = {
        agent: this.agent(rng.chance(0.5) ? 'tablet' : 'desktop'),
        weight: 1,
        nextUpdate: options.start + rng.exponential(w.devices.updateDays * DAY),
      };
      devices.push(shared);
      this.openFamily = { home, device: shared, size: 2 + rng.int(3), members: 1 };
    }
    const centre = countryCentroid(country);
    const rate = Math.min(
      w.activity.maxPerDay,
      Math.exp(Math.log(w.activity.medianPerDay) + w.activity.spread * rng.normal()),
    );
    const user: User = {
      id: this.userId(),
      country,
      utcOffset: Math.round((centre?.[1] ?? 0) / 15),
      hourCentre: 8 + 13 * rng.next(),
      home,
      devices,
      rate,
      joinsAt: rng.chance(w.activity.lateJoinShare) ? rng.between(options.start, end) : options.start,
      quiet: [],
      nearby: [],
      logins: 0,
    };
    if (rng.chance(w.activity.dormantShare)) {
      // Active and quiet spells, starting somewhere in the cycle so not every dormant user wakes up on day one.
      let t = options.start - rng.between(0, 60) * DAY;
      let active = rng.chance(0.5);
      while (t < end) {
        const length = rng.exponential((active ? 20 : w.activity.dormantDays) * DAY);
        if (!active) user.quiet.push([t, t + length]);
        t += length;
        active = !active;
      }
    }
    if (devices.some((d) => d.agent.deviceType === 'desktop') && rng.chance(w.work.share)) {
      const nearby = this.atlas.inRegion(home.block.place, false);
      const block = rng.pick(nearby.length > 0 ? nearby : this.atlas.inCountry(country, false));
      user.work = { block, ip: this.atlas.address(block, rng) };
    }
    if (rng.chance(this.perPeriod(w.travel.userShare))) {
      const from = rng.between(options.start, end);
      let dest = country;
      let hotel: Block;
      if (rng.chance(w.travel.abroadShare)) {
        dest = rng.chance(w.travel.farShare) ? this.farCountry(country) : this.pickCountry(TRAVEL, country);
        hotel = rng.pick(this.atlas.inCountry(dest, false));
      } else {
        const elsewhere = this.atlas
          .inCountry(country, false)
          .filter((b) => b.place.region !== home.block.place.region);
        hotel = rng.pick(elsewhere.length > 0 ? elsewhere : this.atlas.inCountry(country, false));
      }
      user.trip = { from, to: from + rng.between(2, 8) * DAY, hotel, hotelIp: this.atlas.address(hotel, rng) };
    }
    if (rng.chance(this.perPeriod(w.devices.newDeviceShare))) user.newDeviceAt = rng.between(options.start, end);
    // Some people use a commercial VPN now and then: exits of one provider in their own country.
    if (rng.chance(w.vpn.userShare)) {
      const provider = rng.pick(this.atlas.inCountry(country, true)).asn;
      user.vpn = this.atlas.inCountry(country, true).filter((b) => b.asn === provider);
    }
    return user;
  }

  private isQuiet(user: User, t: number): boolean {
    for (const [from, to] of user.quiet) if (t >= from && t < to) return true;
    return false;
  }

  /** A time on the day starting at `dayStart` from the user's hour-of-day habit. */
  private userTime(user: User, dayStart: number): number {
    const { rng } = this;
    const local = rng.chance(this.world.hours.personal)
      ? user.hourCentre + this.world.hours.spreadHours * rng.normal()
      : rng.between(6, 23);
    return dayStart + wrapHour(local - user.utcOffset) * HOUR;
  }

  private dayEvents(dayStart: number): Event[] {
    const { rng, options, world: w } = this;
    const events: Event[] = [];
    const at = (t: number, make: () => GeneratedLogin[]) => events.push({ t, seq: this.seq++, make });
    for (const user of this.users) {
      if (user.joinsAt > dayStart + DAY) continue;
      const rate = this.isQuiet(user, dayStart + DAY / 2) ? user.rate * 0.02 : user.rate;
      const n = rng.poisson(rate);
      for (let i = 0; i < n; i++) {
        const t = this.userTime(user, dayStart);
        if (t < user.joinsAt) continue;
        at(t, () => this.legitLogin(user, t));
      }
    }
    for (let i = this.future.length - 1; i >= 0; i--) {
      const e = this.future[i]!;
      if (e.t < dayStart + DAY) {
        events.push(e);
        this.future.splice(i, 1);
      }
    }
    const rowsPerDay = options.rows / options.days;
    const a = w.attack;
    const rowsPerIncident = 1 + a.retry + 2 * a.failuresBefore + a.returnVisits;
    for (const model of ['naive', 'vpn', 'targeted'] as const) {
      const incidents = rng.poisson((rowsPerDay * a.takeoverShare[model]) / rowsPerIncident);
      for (let i = 0; i < incidents; i++) {
        const victim = this.victim();
        if (!victim) continue;
        const t = a.timing === 'victim' ? this.userTime(victim, dayStart) : dayStart + rng.int(DAY);
        at(t, () => this.takeover(model, victim, t));
      }
    }
    let stuffing = rng.poisson(rowsPerDay * a.stuffingShare);
    while (stuffing > 0) {
      const size = Math.min(stuffing, 40 + rng.int(400));
      stuffing -= size;
      const t = dayStart + rng.int(DAY - 2 * HOUR);
      at(t, () => this.stuffingCampaign(t, size));
    }
    return events;
  }

  private row(
    user: string,
    t: number,
    spot: Spot,
    agent: { ua: string; browser?: string; os?: string; deviceType?: string },
    label: TrafficLabel,
    successful: boolean,
  ): GeneratedLogin {
    const { block, ip } = spot;
    const feed = (hash32(`${this.options.seed}:${ip}`) % 10_000) / 10_000 < FEED_COVERAGE[label];
    const row: RbaLogin = {
      index: 0,
      timestamp: Math.round(t),
      userId: user,
      ip,
      country: block.place.country,
      city: block.place.city,
      asn: block.asn,
      userAgent: agent.ua,
      loginSuccessful: successful,
      isAttackIp: feed,
      isAccountTakeover: label !== 'legit' && successful,
    };
    if (block.place.region !== undefined) row.region = block.place.region;
    if (agent.browser !== undefined) row.browser = agent.browser;
    if (agent.os !== undefined) row.os = agent.os;
    row.deviceType = agent.deviceType ?? 'unknown';
    return { row, label };
  }

  private spot(block: Block): Spot {
    return { block, ip: this.atlas.address(block, this.rng) };
  }

  /** Brings a device's browser up to date at `t` (updates happen whether or not anyone looks). */
  private updateDevice(device: UserDevice, t: number): void {
    while (device.nextUpdate <= t) {
      device.agent = updatedUserAgent(device.agent);
      device.nextUpdate += this.rng.exponential(this.world.devices.updateDays * DAY);
    }
  }

  private cellular(user: User, t: number): Spot {
    const { rng, world: w } = this;
    const country = user.home.block.place.country;
    if (rng.chance(w.mobile.cgnatShare)) {
      let pool = this.cgnat.get(country);
      if (!pool) {
        const carrier = this.atlas.carrier(country);
        pool = Array.from({ length: 24 }, () => this.spot(rng.pick(carrier)));
        this.cgnat.set(country, pool);
      }
      return rng.pick(pool);
    }
    if (user.cell && t < user.cell.until) return user.cell;
    const spot = this.spot(rng.pick(this.atlas.carrier(country)));
    user.cell = { ...spot, until: t + w.mobile.stickyHours * HOUR };
    return spot;
  }

  private nearbySpot(user: User): Spot {
    const { rng, world: w } = this;
    if (user.nearby.length > 0 && rng.chance(w.nearby.revisitShare)) return rng.pick(user.nearby);
    const place = user.home.block.place;
    const own = new Set([user.home.block.base, user.work?.block.base]);
    const city = this.atlas.inCity(place, false).filter((b) => !own.has(b.base));
    const region = this.atlas.inRegion(place, false).filter((b) => !own.has(b.base));
    const list = rng.chance(0.7) && city.length > 0 ? city : region.length > 0 ? region : city;
    const spot = list.length > 0 ? this.spot(rng.pick(list)) : { block: user.home.block, ip: user.home.ip };
    user.nearby.push(spot);
    return spot;
  }

  private legitLogin(user: User, t: number): GeneratedLogin[] {
    const { rng, world: w } = this;
    if (user.newDeviceAt !== undefined && t >= user.newDeviceAt) {
      // A new phone or laptop: it replaces an old device half of the time.
      const fresh: UserDevice = {
        agent: this.agent(rng.weighted(DEVICE_MIX)),
        weight: 3,
        nextUpdate: t + rng.exponential(w.devices.updateDays * DAY),
      };
      if (rng.chance(0.5) && user.devices.length > 0) user.devices[rng.int(user.devices.length)] = fresh;
      else user.devices.push(fresh);
      user.newDeviceAt = undefined;
    }
    const device = rng.weighted(user.devices.map((d) => [d, d.weight] as const));
    this.updateDevice(device, t);
    const home = user.home;
    if (t >= home.until) {
      // Dynamic home address: usually a new host in the same network, sometimes another network of the provider.
      const sameProvider = this.atlas
        .inCountry(home.block.place.country, false)
        .filter((b) => b.asn === home.block.asn);
      if (rng.chance(w.home.moveNetworkShare) && sameProvider.length > 1) home.block = rng.pick(sameProvider);
      home.ip = this.atlas.address(home.block, rng);
      home.until = t + rng.exponential(w.home.ipDays * DAY);
    }
    const cls = device.agent.deviceType;
    let spot: Spot = { block: home.block, ip: home.ip };
    const onTrip = user.trip && t >= user.trip.from && t <= user.trip.to;
    const localHour = wrapHour(new Date(t).getUTCHours() + user.utcOffset);
    const weekday = new Date(t).getUTCDay() % 6 !== 0;
    if (onTrip && user.trip) {
      spot =
        cls === 'mobile' && rng.chance(w.travel.roamingShare)
          ? // Roaming data is routed home: the carrier's address, at home.
            this.spot(rng.pick(this.atlas.carrier(home.block.place.country)))
          : { block: user.trip.hotel, ip: user.trip.hotelIp };
    } else if (user.vpn && user.vpn.length > 0 && rng.chance(w.vpn.useRate)) {
      spot = this.spot(rng.pick(user.vpn));
    } else if (rng.chance(w.nearby.rate)) {
      spot = this.nearbySpot(user);
    } else if (cls === 'mobile' && rng.chance(w.mobile.dataShare)) {
      spot = this.cellular(user, t);
    } else if (cls === 'desktop' && user.work && weekday && localHour >= 8 && localHour <= 17 && rng.chance(0.7)) {
      spot = user.work;
    }
    const out: GeneratedLogin[] = [];
    const r = rng.next();
    if (r < w.typos.username) {
      // A mistyped user name: a failed login to an account that does not exist.
      out.push(this.row(UNKNOWN_ACCOUNT_ID, t, spot, device.agent, 'legit', false));
      t += rng.between(5, 40) * 1000;
    } else if (r < w.typos.username + w.typos.password) {
      out.push(this.row(user.id, t, spot, device.agent, 'legit', false));
      t += rng.between(5, 40) * 1000;
    }
    user.logins++;
    out.push(this.row(user.id, t, spot, device.agent, 'legit', true));
    return out;
  }

  // ------------------------------------------------------------------------------------------------ attackers

  private victim(): User | undefined {
    const weights = this.victimWeights;
    const total = weights[weights.length - 1] ?? 0;
    for (let i = 0; i < 20; i++) {
      const r = this.rng.next() * total;
      let lo = 0;
      let hi = weights.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (weights[mid]! > r) hi = mid;
        else lo = mid + 1;
      }
      const user = this.users[lo];
      if (user && user.logins > 0) return user;
    }
    return undefined;
  }

  private primary(victim: User): UserDevice {
    return victim.devices.reduce((a, b) => (b.weight > a.weight ? b : a));
  }

  private targetedSpot(victim: User): Spot {
    const { rng, atlas } = this;
    const place = victim.home.block.place;
    // Never the victim's own home or office /24: the attacker is near, not in the victim's house.
    const own = new Set([victim.home.block.base, victim.work?.block.base]);
    const notOwn = (blocks: readonly Block[]) => blocks.filter((b) => !own.has(b.base) && !b.hosting);
    const how: TargetedPlacement = rng.weighted(
      Object.entries(this.world.attack.targeted.placement) as [TargetedPlacement, number][],
    );
    const candidates: Record<TargetedPlacement, () => readonly Block[]> = {
      // A residential proxy on the victim's own provider.
      sameNetwork: () => notOwn(atlas.inAsn(victim.home.block.asn)).filter((b) => b.place.country === place.country),
      city: () => notOwn(atlas.inCity(place)),
      region: () => notOwn(atlas.inRegion(place)),
      country: () => notOwn(atlas.inCountry(place.country)),
      abroad: () => atlas.inCountry(this.pickCountry([['*', 1]], place.country), false),
    };
    const order: TargetedPlacement[] = [how, 'city', 'region', 'country'];
    for (const option of order) {
      const list = candidates[option]();
      if (list.length > 0) return this.spot(rng.pick(list));
    }
    return this.spot(rng.pick(atlas.blocks));
  }

  private targetedAgent(victim: User, t: number): PooledUserAgent {
    const { rng, world: w } = this;
    const primary = this.primary(victim);
    if (rng.chance(w.attack.targeted.followUpdates)) this.updateDevice(primary, t);
    const how: TargetedAgent = rng.weighted(Object.entries(w.attack.targeted.agent) as [TargetedAgent, number][]);
    const own = primary.agent;
    switch (how) {
      case 'exact':
        return own;
      case 'family': {
        const same = this.agents.byClass[own.deviceType].filter((a) => a.family === own.family && a.ua !== own.ua);
        return same.length > 0 ? rng.pick(same) : own;
      }
      case 'deviceClass':
        return this.agent(own.deviceType);
      case 'random':
        return this.agent(rng.weighted(DEVICE_MIX));
    }
  }

  private takeover(model: 'naive' | 'vpn' | 'targeted', victim: User, t: number): GeneratedLogin[] {
    const { rng, atlas, world: w } = this;
    let spot: Spot;
    let agent: PooledUserAgent;
    if (model === 'naive') {
      spot = this.spot(rng.pick(atlas.blocks));
      agent = this.agent(rng.weighted(DEVICE_MIX));
    } else if (model === 'vpn') {
      // VPN exits sit in datacenters, not in the access networks people live on.
      spot = this.spot(rng.pick(atlas.inCountry(victim.home.block.place.country, true)));
      agent = this.agent(rng.weighted(DEVICE_MIX));
    } else {
      spot = this.targetedSpot(victim);
      agent = this.targetedAgent(victim, t);
    }
    const out: GeneratedLogin[] = [];
    if (rng.chance(w.attack.failuresBefore)) {
      // Trying the password variants of a leak before the one that works.
      const failures = 1 + rng.int(3);
      for (let i = 0; i < failures; i++) {
        out.push(this.row(victim.id, t, spot, agent, model, false));
        t += rng.between(20, 120) * 1000;
      }
    }
    out.push(this.row(victim.id, t, spot, agent, model, true));
    if (rng.chance(w.attack.retry)) {
      // Challenged or not, attackers try again a few minutes later.
      out.push(this.row(victim.id, t + rng.between(30, 300) * 1000, spot, agent, model, true));
    }
    if (rng.chance(w.attack.returnVisits)) {
      const back = t + rng.between(1, 5) * DAY;
      this.future.push({
        t: back,
        seq: this.seq++,
        make: () => {
          const again = model === 'targeted' ? this.targetedAgent(victim, back) : agent;
          return [this.row(victim.id, back, spot, again, model, true)];
        },
      });
    }
    return out;
  }

  private stuffingCampaign(t: number, size: number): GeneratedLogin[] {
    const { rng, atlas } = this;
    const proxies = Array.from({ length: 1 + rng.int(5) }, () => this.spot(rng.pick(atlas.blocks)));
    // Tools send a browser's user agent; a few announce themselves.
    const agent: { ua: string; browser?: string; os?: string; deviceType?: string } =
      rng.chance(0.2) && this.agents.automation.length > 0
        ? { ua: rng.pick(this.agents.automation) }
        : this.agent(rng.weighted(DEVICE_MIX));
    const gap = rng.between(1, 15) * 1000;
    const out: GeneratedLogin[] = [];
    for (let i = 0; i < size; i++) {
      const proxy = proxies[i % proxies.length]!;
      const existing = rng.chance(0.7) ? rng.pick(this.users) : undefined;
      const success = existing !== undefined && rng.chance(0.02);
      out.push(this.row(existing?.id ?? UNKNOWN_ACCOUNT_ID, t + i * gap, proxy, agent, 'stuffing', success));
    }
    return out;
  }
}

/** Options for a named preset world (tests and the CLI). */
export function trafficOptions(
  seed: number,
  rows: number,
  world: TrafficWorld | string = DEFAULT_TRAFFIC.world,
  days = DEFAULT_TRAFFIC.days,
): TrafficOptions {
  return {
    seed,
    rows,
    days,
    start: DEFAULT_TRAFFIC.start,
    world: typeof world === 'string' ? worldPreset(world) : world,
  };
}
