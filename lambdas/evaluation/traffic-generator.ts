import type { Block, IpAtlas } from './ip-atlas';
import { hash32, Prng } from './prng';
import type { RbaLogin } from './rba-row';
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
  /** Share of rows that are account-takeover attempts with the right password, per attacker model. */
  takeoverShare: Record<'naive' | 'vpn' | 'targeted', number>;
  /** Share of rows that are credential-stuffing attempts. */
  stuffingShare: number;
}

export const DEFAULT_TRAFFIC: Omit<TrafficOptions, 'seed' | 'rows'> = {
  days: 30,
  start: Date.UTC(2020, 1, 3),
  takeoverShare: { naive: 0.01, vpn: 0.01, targeted: 0.01 },
  stuffingShare: 0.03,
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

interface Trip {
  from: number;
  to: number;
  hotel: Block;
  hotelIp: string;
}

interface User {
  id: string;
  home: Block;
  homeIp: string;
  homeIpUntil: number;
  work?: { block: Block; ip: string };
  devices: UserDevice[];
  /** Logins per day. */
  rate: number;
  joinsAt: number;
  trip?: Trip;
  newDeviceAt?: number;
  vpn?: readonly Block[];
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

/**
 * Synthetic login traffic in the RBA dataset's schema, deterministic for a seed. Legitimate users have a home city
 * and provider, 1-3 devices whose browsers update themselves, phones on cellular data, office networks, dynamic
 * home addresses, a commercial VPN now and then, occasional trips abroad (hotel Wi-Fi, or roaming on the home
 * carrier), new devices, password
 * typos and mistyped usernames, so a fair share of real logins look unfamiliar. Attackers follow Wiefling et al.:
 * naive (random IP and user agent), VPN (a datacenter address in the victim's country), targeted (the victim's region and
 * exact user agent), plus credential stuffing (a few proxies trying many accounts quickly, mostly failing).
 *
 * Labels are written as the dataset does (Is Account Takeover on a takeover that got the password right) and the
 * attacker model per row goes to a side file; "Is Attack IP" is a threat feed that covers some attack addresses
 * and wrongly lists a few legitimate ones, never a label.
 */
export class TrafficGenerator {
  private readonly rng: Prng;
  private readonly users: User[] = [];
  private readonly countries: string[];
  private seq = 0;

  constructor(
    private readonly options: TrafficOptions,
    private readonly atlas: IpAtlas,
    private readonly agents: UserAgentPool,
  ) {
    this.rng = new Prng(options.seed ^ 0x5eed);
    this.countries = atlas.countries().filter((c) => atlas.inCountry(c).length >= 5);
    const attackShare =
      options.takeoverShare.naive + options.takeoverShare.vpn + options.takeoverShare.targeted + options.stuffingShare;
    // Users until their expected logins (plus typos and retries, ~6 %) fill the legitimate share of the rows.
    const legitPerDay = ((options.rows / options.days) * (1 - attackShare)) / 1.06;
    let expected = 0;
    while (expected < legitPerDay * 1.04) {
      const user = this.newUser();
      const activeShare = Math.max(0, options.start + options.days * DAY - user.joinsAt) / (options.days * DAY);
      expected += user.rate * activeShare;
      this.users.push(user);
    }
  }

  /** The rows, one day per batch, in time order, until `rows` rows were produced. Indexes are 0-based row numbers. */
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

  private agent(cls: DeviceClass): PooledUserAgent {
    return this.rng.pick(this.agents.byClass[cls]);
  }

  private newUser(): User {
    const { rng, options } = this;
    const country = this.pickCountry(HOME_COUNTRIES);
    const home = rng.pick(this.atlas.inCountry(country, false));
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
        nextUpdate: options.start + rng.exponential(35 * DAY),
      });
    }
    const end = options.start + options.days * DAY;
    const user: User = {
      id: this.userId(),
      home,
      homeIp: this.atlas.address(home, rng),
      homeIpUntil: options.start + rng.exponential(20 * DAY),
      devices,
      // Heavy-tailed activity: most users sign in every few days, a few many times a day.
      rate: Math.min(12, Math.exp(Math.log(0.35) + 1.0 * rng.normal())),
      joinsAt: rng.chance(0.1) ? rng.between(options.start, end) : options.start,
      logins: 0,
    };
    if (devices.some((d) => d.agent.deviceType === 'desktop') && rng.chance(0.4)) {
      const nearby = this.atlas.inRegion(home.place, false);
      const block = rng.pick(nearby.length > 0 ? nearby : this.atlas.inCountry(country, false));
      user.work = { block, ip: this.atlas.address(block, rng) };
    }
    if (rng.chance(0.1)) {
      const from = rng.between(options.start, end);
      const dest = this.pickCountry(TRAVEL, country);
      const hotel = rng.pick(this.atlas.inCountry(dest, false));
      user.trip = { from, to: from + rng.between(2, 8) * DAY, hotel, hotelIp: this.atlas.address(hotel, rng) };
    }
    if (rng.chance(0.15)) user.newDeviceAt = rng.between(options.start, end);
    // Some people use a commercial VPN now and then: exits of one provider in their own country.
    if (rng.chance(0.03)) {
      const provider = rng.pick(this.atlas.inCountry(country, true)).asn;
      user.vpn = this.atlas.inCountry(country, true).filter((b) => b.asn === provider);
    }
    return user;
  }

  private dayEvents(dayStart: number): Event[] {
    const { rng, options } = this;
    const events: Event[] = [];
    const at = (t: number, make: () => GeneratedLogin[]) => events.push({ t, seq: this.seq++, make });
    for (const user of this.users) {
      if (user.joinsAt > dayStart + DAY) continue;
      const n = rng.poisson(user.rate);
      for (let i = 0; i < n; i++) {
        // Waking hours, roughly Central European time.
        const t = dayStart + rng.between(5, 22) * HOUR + rng.int(HOUR);
        if (t < user.joinsAt) continue;
        at(t, () => this.legitLogin(user, t));
      }
    }
    const rowsPerDay = options.rows / options.days;
    for (const model of ['naive', 'vpn', 'targeted'] as const) {
      // An incident is 1-2 attempts: attackers retry once after being challenged.
      const incidents = rng.poisson((rowsPerDay * options.takeoverShare[model]) / 1.5);
      for (let i = 0; i < incidents; i++) {
        const t = dayStart + rng.int(DAY);
        at(t, () => this.takeover(model, t));
      }
    }
    let stuffing = rng.poisson(rowsPerDay * options.stuffingShare);
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
    ip: string,
    block: Block,
    agent: { ua: string; browser?: string; os?: string; deviceType?: string },
    label: TrafficLabel,
    successful: boolean,
  ): GeneratedLogin {
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

  private legitLogin(user: User, t: number): GeneratedLogin[] {
    const { rng } = this;
    if (user.newDeviceAt !== undefined && t >= user.newDeviceAt) {
      // A new phone or laptop: it replaces an old device half of the time.
      const fresh: UserDevice = {
        agent: this.agent(rng.weighted(DEVICE_MIX)),
        weight: 3,
        nextUpdate: t + rng.exponential(35 * DAY),
      };
      if (rng.chance(0.5) && user.devices.length > 0) user.devices[rng.int(user.devices.length)] = fresh;
      else user.devices.push(fresh);
      user.newDeviceAt = undefined;
    }
    const device = rng.weighted(user.devices.map((d) => [d, d.weight] as const));
    while (device.nextUpdate <= t) {
      device.agent = updatedUserAgent(device.agent);
      device.nextUpdate += rng.exponential(35 * DAY);
    }
    if (t >= user.homeIpUntil) {
      // Dynamic home address: usually a new host in the same network, sometimes another network of the provider.
      const sameProvider = this.atlas.inCountry(user.home.place.country, false).filter((b) => b.asn === user.home.asn);
      if (rng.chance(0.3) && sameProvider.length > 1) user.home = rng.pick(sameProvider);
      user.homeIp = this.atlas.address(user.home, rng);
      user.homeIpUntil = t + rng.exponential(20 * DAY);
    }
    const cls = device.agent.deviceType;
    let block = user.home;
    let ip = user.homeIp;
    const onTrip = user.trip && t >= user.trip.from && t <= user.trip.to;
    const hour = new Date(t).getUTCHours();
    const weekday = new Date(t).getUTCDay() % 6 !== 0;
    if (onTrip && user.trip) {
      if (cls === 'mobile' && rng.chance(0.5)) {
        // Roaming data is routed home: the carrier's address, at home.
        block = rng.pick(this.atlas.carrier(user.home.place.country));
        ip = this.atlas.address(block, rng);
      } else {
        block = user.trip.hotel;
        ip = user.trip.hotelIp;
      }
    } else if (user.vpn && user.vpn.length > 0 && rng.chance(0.2)) {
      block = rng.pick(user.vpn);
      ip = this.atlas.address(block, rng);
    } else if (cls === 'mobile' && rng.chance(0.45)) {
      block = rng.pick(this.atlas.carrier(user.home.place.country));
      ip = this.atlas.address(block, rng);
    } else if (cls === 'desktop' && user.work && weekday && hour >= 7 && hour <= 16 && rng.chance(0.7)) {
      block = user.work.block;
      ip = user.work.ip;
    }
    const out: GeneratedLogin[] = [];
    const r = rng.next();
    if (r < 0.01) {
      // A mistyped user name: a failed login to an account that does not exist.
      out.push(this.row(UNKNOWN_ACCOUNT_ID, t, ip, block, device.agent, 'legit', false));
      t += rng.between(5, 40) * 1000;
    } else if (r < 0.05) {
      out.push(this.row(user.id, t, ip, block, device.agent, 'legit', false));
      t += rng.between(5, 40) * 1000;
    }
    user.logins++;
    out.push(this.row(user.id, t, ip, block, device.agent, 'legit', true));
    return out;
  }

  private victim(): User | undefined {
    for (let i = 0; i < 20; i++) {
      const user = this.rng.pick(this.users);
      if (user.logins > 0) return user;
    }
    return undefined;
  }

  private takeover(model: 'naive' | 'vpn' | 'targeted', t: number): GeneratedLogin[] {
    const { rng, atlas } = this;
    const victim = this.victim();
    if (!victim) return [];
    let block: Block;
    let agent: PooledUserAgent;
    if (model === 'naive') {
      block = rng.pick(atlas.blocks);
      agent = this.agent(rng.weighted(DEVICE_MIX));
    } else if (model === 'vpn') {
      // VPN exits sit in datacenters, not in the access networks people live on.
      block = rng.pick(atlas.inCountry(victim.home.place.country, true));
      agent = this.agent(rng.weighted(DEVICE_MIX));
    } else {
      // Knows where the victim lives and which browser they use (phishing page, social media).
      // ... but not their network: a proxy in the same city, not in the victim's own home or office /24.
      const own = new Set([victim.home.base, victim.work?.block.base]);
      const notOwn = (blocks: readonly Block[]) => blocks.filter((b) => !own.has(b.base));
      // Residential proxies: access networks, so the proxy may well share the victim's provider.
      const city = notOwn(atlas.inCity(victim.home.place, false));
      const region = notOwn(atlas.inRegion(victim.home.place, false));
      const country = notOwn(atlas.inCountry(victim.home.place.country, false));
      const anywhere = notOwn(atlas.inCountry(victim.home.place.country));
      block = rng.pick(
        rng.chance(0.5) && city.length > 0
          ? city
          : ([region, country, anywhere].find((list) => list.length > 0) ?? atlas.blocks),
      );
      const primary = victim.devices.reduce((a, b) => (b.weight > a.weight ? b : a));
      agent = primary.agent;
    }
    const ip = atlas.address(block, rng);
    const attempts = rng.chance(0.5) ? 2 : 1;
    const out: GeneratedLogin[] = [];
    for (let i = 0; i < attempts; i++) {
      out.push(this.row(victim.id, t + i * rng.between(30, 300) * 1000, ip, block, agent, model, true));
    }
    return out;
  }

  private stuffingCampaign(t: number, size: number): GeneratedLogin[] {
    const { rng, atlas } = this;
    const proxies = Array.from({ length: 1 + rng.int(5) }, () => {
      const block = rng.pick(atlas.blocks);
      return { block, ip: atlas.address(block, rng) };
    });
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
      out.push(
        this.row(existing?.id ?? UNKNOWN_ACCOUNT_ID, t + i * gap, proxy.ip, proxy.block, agent, 'stuffing', success),
      );
    }
    return out;
  }
}
