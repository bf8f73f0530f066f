import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import { emptyProfile, learn } from '../../../lambdas/core/risk/learning';
import type {
  Device,
  EvaluationInput,
  Geo,
  GlobalStats,
  RequestFeatures,
  UserProfile,
  VelocityCounts,
} from '../../../lambdas/core/risk/types';

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const NY = { lat: 40.71, lon: -74.0 };
export const TOKYO = { lat: 35.68, lon: 139.69 };
export const BERGEN = { lat: 60.39, lon: 5.32 };

export const HOME_GEO: Geo = {
  kind: 'public',
  country: 'NO',
  region: 'Vestland',
  city: 'Bergen',
  ...BERGEN,
  asn: 'AS29695',
  prefix: '81.167.144.0/24',
};

export const HOME_DEVICE: Device = {
  uaFamily: 'Chrome',
  browserMajor: '120',
  os: 'Windows 10',
  deviceType: 'desktop',
  isBot: false,
  isHeadless: false,
  isCli: false,
  uaKey: 'chrome-120-windows-10',
};

export const HOME: RequestFeatures = {
  ip: '81.167.144.58',
  deviceId: 'device-home',
  geo: HOME_GEO,
  device: HOME_DEVICE,
};

export const TOKYO_GEO: Geo = {
  kind: 'public',
  country: 'JP',
  region: 'Tokyo',
  city: 'Tokyo',
  ...TOKYO,
  asn: 'AS2516',
  prefix: '106.72.0.0/24',
};

export const ZERO_VELOCITY: VelocityCounts = {
  userRequests: 0,
  ipRequests: 0,
  ipDistinctUsers: 0,
  userFailedStepUps: 0,
  userFailedSignIns: 0,
};

export const ZERO_GLOBAL: GlobalStats = {
  total: 0,
  ip: 0,
  prefix: 0,
  asn: 0,
  country: 0,
  ua: 0,
  browser: 0,
  os: 0,
  deviceType: 0,
};

export function features(over: Partial<RequestFeatures> = {}): RequestFeatures {
  return { ...HOME, ...over };
}

export function withGeo(over: Partial<Geo>, base: RequestFeatures = HOME): RequestFeatures {
  return { ...base, geo: { ...base.geo, ...over } };
}

export function withDevice(over: Partial<Device>, base: RequestFeatures = HOME): RequestFeatures {
  return { ...base, device: { ...base.device, ...over } };
}

/** A profile that learned `ctx` as trusted `n` times, once a day, the last one `lastAgo` ms before NOW. */
export function trustedProfile(n = 20, ctx: RequestFeatures = HOME, lastAgo = DAY): UserProfile {
  let p = emptyProfile(NOW - (n + 1) * DAY);
  for (let i = n - 1; i >= 0; i--) p = learn(p, ctx, NOW - lastAgo - i * DAY, 'trusted');
  return p;
}

export function input(over: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    userId: 'alice@example.com',
    action: 'payment.transfer',
    now: NOW,
    features: HOME,
    profile: trustedProfile(),
    velocity: ZERO_VELOCITY,
    global: ZERO_GLOBAL,
    policy: defaultPolicy,
    ...over,
  };
}

/** A deep copy of the default policy with changes applied (a new object, so compiled caches do not leak). */
export function policyWith(change: (p: Policy) => void): Policy {
  const p = structuredClone(defaultPolicy);
  change(p);
  return p;
}

export function codes(reasons: { code: string }[]): string[] {
  return reasons.map((r) => r.code);
}
