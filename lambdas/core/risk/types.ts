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
  count: number;
  /** Epoch ms. */
  lastSeen: number;
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

/**
 * A user's learned contexts, stored as one JSON document. Keys are the `contextKeys()` of past requests.
 * `trusted` only grows after an allow at low risk or a passed step-up; `unverified` records what was seen without
 * that proof and never lowers risk (it is there for investigators and for a future "seen before" hint).
 */
export interface UserProfile {
  schemaVersion: 1;
  /** Epoch ms. */
  createdAt: number;
  /** Number of trusted events learned (the N of the familiarity model; never decreases when maps evict). */
  trustedEvents: number;
  trusted: ProfileMaps;
  unverified: ProfileMaps;
  /** Last trusted event whose location was known: the origin of the impossible-travel check. */
  lastTrusted?: { at: number; lat?: number; lon?: number; country?: string; city?: string };
  /**
   * Set while the privacy setting keeps the profile's identifiers as pseudonyms; a context with raw identifiers
   * (a step-up asked for before the setting was switched on) is then not learned into it.
   */
  pseudonymous?: true;
}

/**
 * Counts the store read before this request (the current request is not included). Expected windows:
 * userRequests 1 min, ipRequests 1 min, ipDistinctUsers 10 min, userFailedStepUps 1 h, userFailedSignIns 1 h.
 */
export interface VelocityCounts {
  userRequests: number;
  ipRequests: number;
  ipDistinctUsers: number;
  userFailedStepUps: number;
  userFailedSignIns: number;
  /**
   * The same two address counts for the client's IPv6 /64 (`velocityNetwork`), beside the exact address's: one
   * subscriber picks any address of its /64. Absent for IPv4 and in decisions recorded before they were counted.
   */
  networkRequests?: number;
  networkDistinctUsers?: number;
}

/**
 * Population counts that share this request's value at each level (keys from `contextKeys()`), and the population
 * total. The service counts users (a value counts once per user, when it first enters their trusted profile); the
 * offline evaluator counts logins as the RBA research does. The model only needs the counts to be consistent. All zero is valid (new deployment): the familiarity model then compares against a
 * flat prior.
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

/** One signal's contribution; `points` of all reasons add up to `rawScore`. */
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
  /** Unclamped sum of the reasons' points. */
  rawScore: number;
  /** Present exactly when decision is 'step_up'. */
  stepUp?: StepUpRequirement;
  /**
   * true: the presented grant turned a step-up into this allow; the caller must mark it consumed when the level's
   * maxAgeSeconds is 0 (single use). false: a grant was presented but not used. Absent: no grant presented.
   */
  grantRedeemed?: boolean;
  /** The request may enter the trusted profile (allow, low risk, no grant used, no hard rule). */
  teaches: boolean;
}
