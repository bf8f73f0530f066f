import { KEY_MAPS, contextKeys } from '../risk/context-keys';
import { familyOf } from '../risk/learning';
import { emptyMaps } from '../risk/profile';
import type {
  EvaluationInput,
  GlobalStats,
  GrantInfo,
  Policy,
  RequestFeatures,
  SightingMap,
  UserProfile,
  VelocityCounts,
} from '../risk/types';

/**
 * What a decision stores so that the engine can be re-run on it later under another policy (simulate, shadow
 * checks): the engine's `EvaluationInput` minus the policy and minus what the decision record keeps anyway
 * (user, action, time, features).
 *
 * The user's profile is not stored whole. `projectProfile` keeps only the entries the signals can read for this
 * request's context (its device, IP, network, places, user agent levels, trusted or pending), the browser and OS
 * entries of the request's families, the newest entry of each map (signals ask "has this user any trusted device
 * that has not faded?"), the habits, and the counts and times the signals read. Which entries a signal reads
 * depends on the request, never on the policy, so the projection scores exactly like the full profile under every
 * policy (property-tested), at a fraction of the size (about 2 KB instead of up to 20 KB) and without copying the
 * user's whole history into every decision record.
 */
export const REPLAY_INPUT_VERSION = 1;

export interface ReplayInput {
  readonly v: typeof REPLAY_INPUT_VERSION;
  readonly profile?: UserProfile;
  readonly velocity: VelocityCounts;
  readonly global: GlobalStats;
  readonly grant?: GrantInfo;
  /** The request's session, which a session-bound grant is checked against. */
  readonly sessionId?: string;
  readonly threat?: { attackIp?: boolean };
}

function put(map: SightingMap, key: string, value: SightingMap[string]): void {
  // defineProperty: a key such as "__proto__" must stay an ordinary entry.
  Object.defineProperty(map, key, { value: { ...value }, enumerable: true, writable: true, configurable: true });
}

/** The most recently used entry of a map: if any entry's trust has not faded, this one's has not. */
function newest(source: SightingMap): string | undefined {
  let best: string | undefined;
  let bestSeen = -Infinity;
  for (const k of Object.keys(source).sort()) {
    const seen = source[k]?.lastSeen ?? -Infinity;
    if (seen > bestSeen) {
      best = k;
      bestSeen = seen;
    }
  }
  return best;
}

/** The part of `profile` the signals can read for a request with these features (see the module comment). */
export function projectProfile(profile: UserProfile, features: RequestFeatures): UserProfile {
  const keys = contextKeys(features);
  const trusted = emptyMaps();
  const pending = emptyMaps();
  for (const [keyName, mapName] of KEY_MAPS) {
    const key = keys[keyName];
    const source = profile.trusted?.[mapName];
    if (source !== undefined) {
      const target = trusted[mapName];
      if (key !== undefined && Object.hasOwn(source, key)) put(target, key, source[key]!);
      if ((mapName === 'browsers' || mapName === 'oses') && key !== undefined) {
        // The user-agent signals match browser and OS keys by family ("Chrome" knows "Chrome 120"): keep them.
        const family = familyOf(key);
        const named = mapName === 'browsers' ? features.device.uaFamily : undefined;
        for (const k of Object.keys(source)) {
          if (familyOf(k) === family || (named !== undefined && familyOf(k) === named)) put(target, k, source[k]!);
        }
      }
      // Signals ask "has this user any trusted device / AS number that has not faded?": the newest entry answers.
      const witness = newest(source);
      if (witness !== undefined) put(target, witness, source[witness]!);
    }
    const waiting = profile.pending?.[mapName];
    if (waiting !== undefined && key !== undefined && Object.hasOwn(waiting, key)) {
      put(pending[mapName], key, waiting[key]!);
    }
  }
  return {
    schemaVersion: profile.schemaVersion,
    createdAt: profile.createdAt,
    trustedEvents: profile.trustedEvents,
    trusted,
    unverified: emptyMaps(),
    pending,
    ...(profile.habits ? { habits: structuredClone(profile.habits) } : {}),
    ...(profile.lastSeen !== undefined ? { lastSeen: profile.lastSeen } : {}),
    ...(profile.lastFailure !== undefined ? { lastFailure: profile.lastFailure } : {}),
    ...(profile.lastTrusted ? { lastTrusted: { ...profile.lastTrusted } } : {}),
  };
}

/** What to store with a decision, from the exact input the engine evaluated. */
export function replayInputOf(input: EvaluationInput): ReplayInput {
  return {
    v: REPLAY_INPUT_VERSION,
    ...(input.profile ? { profile: projectProfile(input.profile, input.features) } : {}),
    velocity: { ...input.velocity },
    global: { ...input.global },
    ...(input.grant ? { grant: { ...input.grant } } : {}),
    ...(input.grant && input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
    ...(input.threat ? { threat: { ...input.threat } } : {}),
  };
}

/** The recorded facts of a decision that the replay input completes. */
export interface RecordedRequest {
  readonly userId: string;
  readonly action: string;
  /** Epoch ms: the time the engine was given. */
  readonly at: number;
  readonly features: RequestFeatures;
}

/** Rebuilds the engine input of a recorded decision, under `policy`. */
export function evaluationInputFrom(request: RecordedRequest, replay: ReplayInput, policy: Policy): EvaluationInput {
  return {
    userId: request.userId,
    action: request.action,
    now: request.at,
    ...(replay.sessionId !== undefined ? { sessionId: replay.sessionId } : {}),
    features: request.features,
    ...(replay.profile ? { profile: replay.profile } : {}),
    velocity: replay.velocity,
    global: replay.global,
    ...(replay.grant ? { grant: replay.grant } : {}),
    ...(replay.threat ? { threat: replay.threat } : {}),
    policy,
  };
}

/** Accepts a stored replay input only in a version this code knows; anything else is "not replayable". */
export function isReplayInput(value: unknown): value is ReplayInput {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ReplayInput>;
  return v.v === REPLAY_INPUT_VERSION && typeof v.velocity === 'object' && typeof v.global === 'object';
}
