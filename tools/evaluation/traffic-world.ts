/**
 * The parameters of a simulated login world. One generator with many worlds, so that the engine and its default
 * policy are judged on traffic they were not tuned on: a figure measured on a single world says as much about the
 * world as about the engine.
 *
 * Every field is a number or a small enum, so a world can be named by a preset plus dotted overrides
 * (`attack.victims=active`, `mobile.dataShare=0.7`): see `applyOverrides`.
 */

export type Weights<K extends string> = Record<K, number>;

export const TARGETED_PLACEMENTS = ['sameNetwork', 'city', 'region', 'country', 'abroad'] as const;
export type TargetedPlacement = (typeof TARGETED_PLACEMENTS)[number];

export const TARGETED_AGENTS = ['exact', 'family', 'deviceClass', 'random'] as const;
export type TargetedAgent = (typeof TARGETED_AGENTS)[number];

export interface TrafficWorld {
  /** How often and when legitimate users sign in. */
  activity: {
    /** Median logins per day of a user (log-normal across users). */
    medianPerDay: number;
    /** Standard deviation of ln(rate) across users. */
    spread: number;
    maxPerDay: number;
    /** Share of users whose account is created during the period rather than before it. */
    lateJoinShare: number;
    /** Share of users who go quiet for long stretches (weeks) between active spells. */
    dormantShare: number;
    /** Mean length of a quiet stretch, days. */
    dormantDays: number;
  };
  hours: {
    /** Share of a user's logins inside their own daily window; the rest fall anywhere in waking hours. */
    personal: number;
    /** Standard deviation of a user's window, hours. */
    spreadHours: number;
  };
  home: {
    /** Mean days between changes of the home address. */
    ipDays: number;
    /** Share of those changes that move to another network (AS) of the provider rather than a new host. */
    moveNetworkShare: number;
  };
  mobile: {
    /** Share of phone logins on cellular data rather than Wi-Fi. */
    dataShare: number;
    /** Hours a cellular address is kept; 0 = a new address for every login. */
    stickyHours: number;
    /** Share of cellular logins from a carrier-grade NAT pool shared by many users. */
    cgnatShare: number;
  };
  work: { share: number };
  nearby: {
    /** Share of logins from a network near home that is not the user's own (café, friend, library). */
    rate: number;
    /** Share of those that return to a nearby network the user used before. */
    revisitShare: number;
  };
  vpn: { userShare: number; useRate: number };
  travel: {
    /** Share of users with one trip in a 30-day period. */
    userShare: number;
    /** Share of trips abroad (the rest are domestic trips to another region). */
    abroadShare: number;
    /** Share of trips abroad that go to another continent. */
    farShare: number;
    /** Share of phone logins on a trip that use roaming data (routed home) rather than hotel Wi-Fi. */
    roamingShare: number;
  };
  devices: {
    /** Share of users who get a new device during a 30-day period. */
    newDeviceShare: number;
    /** Mean days between automatic browser updates. */
    updateDays: number;
    /** Share of users in a family that shares its home line and one device. */
    familyShare: number;
  };
  typos: { password: number; username: number };
  network: {
    /**
     * tidy: one AS per provider region, one mobile carrier per country. untidy: AS sizes vary, some AS numbers span
     * countries, hosting ranges sit inside access providers, carriers announce from several AS numbers.
     */
    layout: 'tidy' | 'untidy';
  };
  attack: {
    /** Share of rows that are account-takeover incidents with the right password, per attacker model. */
    takeoverShare: { naive: number; vpn: number; targeted: number };
    stuffingShare: number;
    /** uniform: any account with history; active: weighted by how often the owner signs in. */
    victims: 'uniform' | 'active';
    /** uniform: any hour; victim: the victim's own hours. */
    timing: 'uniform' | 'victim';
    /** Probability that an incident starts with 1-3 failed passwords from the attacker's address. */
    failuresBefore: number;
    /** Probability that an attacker who got in comes back on a later day from the same place. */
    returnVisits: number;
    /** Probability of a second attempt a few minutes after the first. */
    retry: number;
    targeted: {
      placement: Weights<TargetedPlacement>;
      agent: Weights<TargetedAgent>;
      /** The copied user agent follows the victim's browser updates (else: as the victim last used it). */
      followUpdates: number;
    };
  };
}

/**
 * Close to the world of the first independent measurement: users with personal hours and quiet spells, a few
 * nearby networks, attackers who sometimes fail a password first or come back, victims chosen at random.
 */
const FIRST_TABLE: TrafficWorld = {
  activity: {
    medianPerDay: 0.35,
    spread: 1.0,
    maxPerDay: 12,
    lateJoinShare: 0.1,
    dormantShare: 0.15,
    dormantDays: 25,
  },
  hours: { personal: 0.8, spreadHours: 2.5 },
  home: { ipDays: 20, moveNetworkShare: 0.3 },
  mobile: { dataShare: 0.45, stickyHours: 0, cgnatShare: 0 },
  work: { share: 0.4 },
  nearby: { rate: 0.03, revisitShare: 0.5 },
  vpn: { userShare: 0.03, useRate: 0.2 },
  travel: { userShare: 0.1, abroadShare: 0.8, farShare: 0.2, roamingShare: 0.5 },
  devices: { newDeviceShare: 0.15, updateDays: 35, familyShare: 0.05 },
  typos: { password: 0.04, username: 0.01 },
  network: { layout: 'tidy' },
  attack: {
    takeoverShare: { naive: 0.01, vpn: 0.01, targeted: 0.01 },
    stuffingShare: 0.03,
    victims: 'uniform',
    timing: 'uniform',
    failuresBefore: 0.3,
    returnVisits: 0.2,
    retry: 0.5,
    targeted: {
      placement: { sameNetwork: 0.05, city: 0.45, region: 0.25, country: 0.25, abroad: 0 },
      agent: { exact: 1, family: 0, deviceClass: 0, random: 0 },
      followUpdates: 0,
    },
  },
};

function derive(base: TrafficWorld, change: (w: TrafficWorld) => void): TrafficWorld {
  const w = structuredClone(base);
  change(w);
  return w;
}

/**
 * The harder world: legitimate users often on new networks near home and on phones, victims chosen by activity,
 * attackers who copy the victim's browser updates and hours and leave fewer traces, untidy AS and carrier layouts.
 */
const HARDER = derive(FIRST_TABLE, (w) => {
  w.nearby = { rate: 0.15, revisitShare: 0.4 };
  w.mobile = { dataShare: 0.6, stickyHours: 0, cgnatShare: 0.2 };
  w.home.ipDays = 12;
  w.network.layout = 'untidy';
  w.attack.victims = 'active';
  w.attack.timing = 'victim';
  w.attack.failuresBefore = 0.15;
  w.attack.targeted.followUpdates = 1;
  w.attack.targeted.placement = { sameNetwork: 0.15, city: 0.5, region: 0.2, country: 0.15, abroad: 0 };
});

export const WORLD_PRESETS: Readonly<Record<string, TrafficWorld>> = {
  'first-table': FIRST_TABLE,
  harder: HARDER,
  // Variations, each moving a few dials away from the first table or the harder world.
  mobile: derive(FIRST_TABLE, (w) => {
    w.mobile = { dataShare: 0.75, stickyHours: 4, cgnatShare: 0.5 };
    w.network.layout = 'untidy';
  }),
  travellers: derive(FIRST_TABLE, (w) => {
    w.travel = { userShare: 0.4, abroadShare: 0.7, farShare: 0.4, roamingShare: 0.3 };
    w.vpn = { userShare: 0.08, useRate: 0.3 };
  }),
  homebodies: derive(FIRST_TABLE, (w) => {
    w.mobile.dataShare = 0.2;
    w.nearby.rate = 0;
    w.travel.userShare = 0.02;
    w.home.ipDays = 60;
    w.hours.personal = 0.9;
  }),
  'same-isp': derive(FIRST_TABLE, (w) => {
    w.attack.targeted.placement = { sameNetwork: 0.5, city: 0.3, region: 0.1, country: 0.1, abroad: 0 };
  }),
  sloppy: derive(FIRST_TABLE, (w) => {
    w.attack.targeted.agent = { exact: 0.3, family: 0.3, deviceClass: 0.3, random: 0.1 };
    w.attack.targeted.placement = { sameNetwork: 0, city: 0.3, region: 0.2, country: 0.3, abroad: 0.2 };
  }),
  families: derive(FIRST_TABLE, (w) => {
    w.devices.familyShare = 0.4;
    w.activity.dormantShare = 0.3;
  }),
  churn: derive(FIRST_TABLE, (w) => {
    w.devices = { newDeviceShare: 0.45, updateDays: 20, familyShare: 0.05 };
    w.home.ipDays = 5;
    w.typos.password = 0.08;
  }),
  persistent: derive(FIRST_TABLE, (w) => {
    w.attack.failuresBefore = 0.6;
    w.attack.returnVisits = 0.6;
    w.attack.retry = 0.8;
  }),
  'quiet-attackers': derive(HARDER, (w) => {
    w.attack.failuresBefore = 0;
    w.attack.returnVisits = 0;
    w.attack.retry = 0.2;
  }),
  'harder-mobile': derive(HARDER, (w) => {
    w.mobile = { dataShare: 0.8, stickyHours: 2, cgnatShare: 0.4 };
    w.nearby.rate = 0.2;
    w.hours.personal = 0.6;
  }),
};

export function worldPreset(name: string): TrafficWorld {
  const preset = Object.hasOwn(WORLD_PRESETS, name) ? WORLD_PRESETS[name] : undefined;
  if (!preset) throw new Error(`unknown world "${name}" (known: ${Object.keys(WORLD_PRESETS).join(', ')})`);
  return structuredClone(preset);
}

/**
 * Applies `path=value` overrides (`attack.victims=active`, `travel.userShare=0.3`) to a copy of a world. Numbers
 * replace numbers and words replace words; a path that does not name a field of the world is an error, so a typo
 * never silently runs the unchanged world.
 */
export function applyOverrides(world: TrafficWorld, overrides: readonly string[]): TrafficWorld {
  const out = structuredClone(world);
  for (const text of overrides) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new Error(`override "${text}" is not path=value`);
    const path = text.slice(0, eq).split('.');
    const raw = text.slice(eq + 1);
    let node: Record<string, unknown> = out as unknown as Record<string, unknown>;
    for (const part of path.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === null || typeof next !== 'object') throw new Error(`override "${text}": no field ${part}`);
      node = next as Record<string, unknown>;
    }
    const leaf = path[path.length - 1] ?? '';
    if (!Object.hasOwn(node, leaf)) throw new Error(`override "${text}": no field ${leaf}`);
    const current = node[leaf];
    if (typeof current === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0) {
        throw new Error(`override "${text}": expected a non-negative number`);
      }
      node[leaf] = n;
    } else if (typeof current === 'string') {
      node[leaf] = raw;
    } else {
      throw new Error(`override "${text}": ${leaf} is a group, name one of its fields`);
    }
  }
  validateWorld(out);
  return out;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`invalid world: ${message}`);
}

function share(name: string, x: number): void {
  check(Number.isFinite(x) && x >= 0 && x <= 1, `${name} must be in [0, 1]`);
}

/** Throws with the offending field when a world cannot be simulated. */
export function validateWorld(w: TrafficWorld): void {
  share('hours.personal', w.hours.personal);
  share('home.moveNetworkShare', w.home.moveNetworkShare);
  share('mobile.dataShare', w.mobile.dataShare);
  share('mobile.cgnatShare', w.mobile.cgnatShare);
  share('work.share', w.work.share);
  share('nearby.rate', w.nearby.rate);
  share('nearby.revisitShare', w.nearby.revisitShare);
  share('vpn.userShare', w.vpn.userShare);
  share('vpn.useRate', w.vpn.useRate);
  share('travel.userShare', w.travel.userShare);
  share('travel.abroadShare', w.travel.abroadShare);
  share('travel.farShare', w.travel.farShare);
  share('travel.roamingShare', w.travel.roamingShare);
  share('devices.newDeviceShare', w.devices.newDeviceShare);
  share('devices.familyShare', w.devices.familyShare);
  share('typos.password', w.typos.password);
  share('typos.username', w.typos.username);
  share('activity.lateJoinShare', w.activity.lateJoinShare);
  share('activity.dormantShare', w.activity.dormantShare);
  share('attack.failuresBefore', w.attack.failuresBefore);
  share('attack.returnVisits', w.attack.returnVisits);
  share('attack.retry', w.attack.retry);
  share('attack.targeted.followUpdates', w.attack.targeted.followUpdates);
  check(w.typos.password + w.typos.username <= 0.5, 'typos.password + typos.username must be at most 0.5');
  check(w.activity.medianPerDay > 0 && w.activity.maxPerDay >= w.activity.medianPerDay, 'activity rates');
  check(w.hours.spreadHours > 0 && w.home.ipDays > 0 && w.devices.updateDays > 0, 'durations must be positive');
  check(w.activity.dormantDays > 0, 'activity.dormantDays must be positive');
  check(w.network.layout === 'tidy' || w.network.layout === 'untidy', 'network.layout is tidy or untidy');
  check(w.attack.victims === 'uniform' || w.attack.victims === 'active', 'attack.victims is uniform or active');
  check(w.attack.timing === 'uniform' || w.attack.timing === 'victim', 'attack.timing is uniform or victim');
  const t = w.attack.takeoverShare;
  check(t.naive + t.vpn + t.targeted + w.attack.stuffingShare < 0.6, 'attack shares must leave room for users');
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  check(sum(w.attack.targeted.placement) > 0, 'attack.targeted.placement needs a positive weight');
  check(sum(w.attack.targeted.agent) > 0, 'attack.targeted.agent needs a positive weight');
}

for (const [name, world] of Object.entries(WORLD_PRESETS)) {
  try {
    validateWorld(world);
  } catch (error) {
    throw new Error(`preset ${name}: ${(error as Error).message}`);
  }
}
