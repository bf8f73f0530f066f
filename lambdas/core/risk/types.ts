import type { Policy, SensitivityLevel } from '../policy/policy-schema';

export type { Policy, SensitivityLevel };
export { emptyProfile } from './profile';

/** Where a request comes from, as the geo port resolved it. */
export interface Geo {
  kind: 'public' | 'private' | 'loopback' | 'reserved' | 'unknown';
  country?: string;
  region?: string;
  city?: string;
  lat?: number;
  lon?: number;
  /** AS number in digits ("15169"), when the network locator knows the address (live) or the CSV says (evaluation). */
  asn?: string;
  /** `ipPrefix()` of the address: the network level of the familiarity hierarchy when no ASN is known. */
  prefix?: string;
}

/** What the device port made of the user agent. */
export interface Device {
  /** Browser name, e.g. "Chrome". */
  uaFamily?: string;
  browserMajor?: string;
  os?: string;
  /** 'desktop' when the parser gives none. */
  deviceType: string;
  isBot: boolean;
  isHeadless: boolean;
  isCli: boolean;
  /**
   * No user agent was sent at all. Missing data, not a command-line client: it has its own reason
   * (`device.ua_missing`). Optional so that features recorded before it existed replay as they were decided.
   */
  uaMissing?: boolean;
  /** Normalized UA string or a short hash of it; the finest level of the UA familiarity hierarchy. */
  uaKey?: string;
}

/**
 * A request after the geo and device ports. With the policy's `privacy.hashIdentifiers` on, the identifiers (`ip`,
 * `deviceId`, `geo.prefix`, `device.uaKey`) are keyed pseudonyms (`pseudonyms.ts`) and the coarse attributes stay.
 */
export interface RequestFeatures {
  ip: string;
  deviceId?: string;
  geo: Geo;
  device: Device;
  /**
   * Pseudonymized features only, which keep no address: the canonical allow/deny-list entries of the deciding
   * policy that contained it, so that a replay matches lists as the decision did.
   */
  lists?: string[];
}

export interface Sighting {
  /** Uses recorded: while trusted (trusted maps) or while waiting for confirmation (pending maps). */
  count: number;
  /** Epoch ms. */
  lastSeen: number;
  /** Pending: when the value was first seen (epoch ms). */
  firstSeen?: number;
  /** Pending: distinct UTC days it was used on. */
  days?: number;
  /** Pending: first seen right after failed attempts, so repetition never confirms it (only a step-up does). */
  tainted?: boolean;
  /** Trusted networks (AS or prefix): uses that came from an address the user had not used before. */
  fresh?: number;
}

export type SightingMap = Record<string, Sighting>;

export interface ProfileMaps {
  devices: SightingMap;
  ips: SightingMap;
  prefixes: SightingMap;
  asns: SightingMap;
  countries: SightingMap;
  regions: SightingMap;
  cities: SightingMap;
  uas: SightingMap;
  browsers: SightingMap;
  oses: SightingMap;
  deviceTypes: SightingMap;
}

/** Levels whose novelty the profile counts: how often this user brings something new at each level. */
export const NOVELTY_LEVELS = [
  'net',
  'ip',
  'country',
  'region',
  'city',
  'ua',
  'uaVersion',
  'device',
  'travel',
] as const;
export type NoveltyLevel = (typeof NOVELTY_LEVELS)[number];

/**
 * A user's habits, as decayed counts (half-life `learning.halfLifeDays`) valid at `at`: the logins recorded, how
 * many of them brought a value the user had not yet proven at each level, and the hours of day they came at.
 * Decay keeps the habits current and the counts small.
 */
export interface Habits {
  /** Epoch ms the decayed counts refer to. */
  at: number;
  n: number;
  novel: Record<NoveltyLevel, number>;
  /** Logins per UTC hour of day, 24 numbers. */
  hours: number[];
}

/**
 * A user's learned contexts, stored as one JSON document. Keys are the `contextKeys()` of past requests.
 *
 * - `trusted`: values the user has proven: by passing a step-up from them, or by using them on separate days with
 *   no failed attempt in between (see `learn`). Only these make a request look familiar. Trust fades: a value not
 *   used for `learning.trustDays` no longer counts.
 * - `pending`: values seen in allowed logins and not yet proven. They make nothing familiar, so one takeover that
 *   got through cannot make the attacker's place look like the user's.
 * - `unverified`: what was seen without any allow (challenged, failed, abandoned), for investigators; never read.
 */
export interface UserProfile {
  schemaVersion: 1 | 2;
  /** Epoch ms. */
  createdAt: number;
  /** Logins recorded in the profile (allowed at low risk, or a passed step-up): the user's history length. */
  trustedEvents: number;
  trusted: ProfileMaps;
  unverified: ProfileMaps;
  pending?: ProfileMaps;
  habits?: Habits;
  /** Last recorded login (epoch ms). */
  lastSeen?: number;
  /** Last failed sign-in or step-up of the user (epoch ms): pending values seen before it are never confirmed. */
  lastFailure?: number;
  /** Last recorded login whose location was known: the origin of the impossible-travel check. */
  lastTrusted?: { at: number; lat?: number; lon?: number; country?: string; city?: string };
  /**
   * Set while the privacy setting keeps the profile's identifiers as pseudonyms; a context with raw identifiers
   * (a step-up asked for before the setting was switched on) is then not learned into it.
   */
  pseudonymous?: true;
}

/**
 * Counts the store read before this request (the current request is not included). Expected windows:
 * userRequests 1 min, ipRequests 1 min, ipDistinctUsers 10 min, userFailedStepUps 1 h, userFailedSignIns 1 h,
 * ipFailedSignIns 10 min.
 */
export interface VelocityCounts {
  userRequests: number;
  ipRequests: number;
  ipDistinctUsers: number;
  userFailedStepUps: number;
  userFailedSignIns: number;
  /** Failed sign-ins from this request's IP, whichever user they were for (credential stuffing fails a lot). */
  ipFailedSignIns?: number;
  /** At least one of the user's failed sign-ins came from this request's IP (same 1 h window). */
  failedSignInFromIp?: boolean;
  /** The user's previous request within the last hour, if any: when, and its AS number. */
  previous?: { at: number; network: string };
  /**
   * The same two address counts for the client's IPv6 /64 (`velocityNetwork`), beside the exact address's: one
   * subscriber picks any address of its /64. Absent for IPv4 and in decisions recorded before they were counted.
   */
  networkRequests?: number;
  networkDistinctUsers?: number;
}

/**
 * Population counts that share this request's value at each level (keys from `contextKeys()`), and the population
 * total: users, not logins (a value counts once per user, when it first becomes trusted for them; the total counts
 * users with a recorded login). The service and the offline evaluator count alike. All zero is valid (a new
 * deployment): the signals that compare against the population then stay silent.
 */
export interface GlobalStats {
  total: number;
  ip: number;
  prefix: number;
  asn: number;
  country: number;
  ua: number;
  browser: number;
  os: number;
  deviceType: number;
}

/** A completed step-up, as stored by the step-up flow. */
export interface GrantInfo {
  stepUpId: string;
  userId: string;
  action: string;
  acr: string;
  /** Epoch ms. */
  grantedAt: number;
  consumed: boolean;
  /** When set, the grant only works from this device. */
  deviceId?: string;
  /** When set, the grant only works in this session (the `sessionId` of the request that asked for the step-up). */
  sessionId?: string;
}

export interface EvaluationInput {
  userId: string;
  action: string;
  /** Epoch ms: the request time; the core never reads a clock. */
  now: number;
  /** The app's session of the request, when it named one: a session-bound grant only works in that session. */
  sessionId?: string;
  features: RequestFeatures;
  /** Absent for a user never seen before. */
  profile?: UserProfile;
  velocity: VelocityCounts;
  global: GlobalStats;
  grant?: GrantInfo;
  /** Threat-feed knowledge about the IP (the RBA dataset's "Is Attack IP", or a live feed). */
  threat?: { attackIp?: boolean };
  policy: Policy;
  /**
   * The client's address when `features.ip` is a pseudonym: allow and deny lists are matched against it. Only for
   * the live decision (and its shadow score); never stored, so a replay matches lists by `features.lists`.
   */
  address?: string;
}

/**
 * One signal's contribution. Whole points: the engine rounds the signals' exact contributions so that they add up
 * to round(`rawScore`), the score before clamping (largest remainders keep the sum exact).
 */
export interface Reason {
  code: string;
  points: number;
  detail: string;
}

export type Decision = 'allow' | 'step_up' | 'deny';

/** Derived from `score`: low < 30 ≤ medium < 70 ≤ high. Informational; decisions use the level thresholds. */
export type RiskLevel = 'low' | 'medium' | 'high';

export interface StepUpRequirement {
  acr: string;
  maxAgeSeconds: number;
  methods: string[];
}

export interface Evaluation {
  decision: Decision;
  /** clamp(round(rawScore), 0, 100). */
  score: number;
  riskLevel: RiskLevel;
  reasons: Reason[];
  level: SensitivityLevel;
  /** Unclamped, unrounded sum of the reasons' points: what ranks requests finely (evaluation, ROC). */
  rawScore: number;
  /** Present exactly when decision is 'step_up'. */
  stepUp?: StepUpRequirement;
  /**
   * true: the presented grant turned a step-up into this allow; the caller must mark it consumed when the level's
   * maxAgeSeconds is 0 (single use). false: a grant was presented but not used. Absent: no grant presented.
   */
  grantRedeemed?: boolean;
  /** The request may be recorded in the profile (allow, low risk, no grant used, no hard rule); see `learn`. */
  teaches: boolean;
}
